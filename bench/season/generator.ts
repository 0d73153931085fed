import { EVENT_CONTRACTS } from '#shared';
import type { BadRatingStep, Category, EventEnvelope, EventType, Rating, Resolution, ServiceName, SpotCheckFinding } from '#shared';
import type { CreateHotlineComplaintDto } from '../../apps/intake/src/complaints/create-complaint.dto.js';
import { buildDemoRegistry } from '../../apps/dispatch/src/registry/demo-registry.js';
import type { RoomType } from '../../apps/dispatch/src/cases/temperature-slip.js';
import type { DemoCommunity, DemoCompany, DemoRegistry } from '../../apps/dispatch/src/registry/demo-registry.js';
import { CommunityIndex } from '../../apps/dispatch/src/routing/community-index.js';
import { COMMUNITY_SUFFIXES } from '../../apps/dispatch/src/routing/community-name.js';
import type { RoutingDecision } from '../../apps/dispatch/src/routing/routing-types.js';
import { parseSurveyReply } from '../../apps/sms-survey/src/replies/parse-survey-reply.js';
import { MinHeap } from './min-heap.js';
import {
  COMPLAINT_CATEGORY_SHARES,
  CONSULTATION_CATEGORY_SHARES,
  dailyCategoryShares,
  dailyCounts,
  dailyProfile,
  DAY_MS,
  HOUR_MS,
  HOURLY_WEIGHTS,
  seasonCalendar,
  shanghaiDateStampOfMs,
  shanghaiHour,
  SHANGHAI_OFFSET_MS,
} from './profile.js';
import type { SeasonCalendar } from './profile.js';
import { Random, WeightedChoice } from './random.js';
import {
  CALLBACK_DEMANDS,
  consultationAnswer,
  description,
  feedbackSummary,
  MANUAL_DISPATCH_NOTES,
  RECONSIDERATION_REASONS,
  RETURN_REASONS_TEXT,
  SMS_REPLIES,
  STREETS,
  SURNAMES,
  WEB_COMMENTS,
} from './texts.js';

/*
 * A deterministic heating season for benchmarks (issue 6: kpi rebuild and bulletin; issue 8:
 * whole-season replay). From a seed: by default 189,000 complaints over the 151 days of the
 * 2026–27 season (Nov 1 – Mar 31, Asia/Shanghai) plus the consultations answered at intake
 * (531,000 per 189,000 complaints, DOMAIN.md §1), over the demo registry the dispatch service
 * seeds (apps/dispatch/src/registry/demo-registry.ts: 14 cities, 97 authorities, 647 companies,
 * 1,941 communities), each complaint with its whole life (DOMAIN.md §3):
 *
 *   received (hotline) → dispatched: routed by dispatch's own CommunityIndex on the name as the
 *   resident said it (variants, typos, aliases, wrong district, unknown names; unclear owners) —
 *   automatic within seconds, or by the authority's hand (mostly within 2 h, later at night);
 *   a mis-routed case is returned (退回) and re-dispatched; a few other returns, mostly rejected
 *   → signed → maybe graded complex → feedback (反馈 = 办结) within 3 or 7 natural days, some late
 *   (case.overdue), a few never → survey by SMS or web, rated or not (satisfaction rate ≈ 92 %) →
 *   a 不满意 opens a bad rating: callback, classification, rectification and a fresh survey, or a
 *   reconsideration (复议), approved or rejected; the province spot-checks some approved ones.
 *
 * It emits, streaming and in time order:
 *   events()  the domain events exactly as kpi consumes them (libs/shared/src/contracts/events.ts
 *             envelopes: complaint.received with the phone, as published by intake);
 *   inputs()  the hotline operator's request bodies for POST /api/v1/complaints (new cases,
 *             repeat calls that intake links to the open case, consultations answered on the call);
 *   cases()   each case's script (every step above with its time), in order of receipt.
 * Memory stays bounded: only cases whose later events are still pending are held.
 */

export interface SeasonOptions {
  /** Same seed, same season. */
  seed?: number;
  /** First year of the season: 2026 → 2026-11-01 … 2027-03-31. */
  startYear?: number;
  /** Complaints forwarded to companies (cases). */
  complaints?: number;
  /** Consultations answered at intake; default complaints × 531/189 (DOMAIN.md §1). 0 for none. */
  consultations?: number;
}

export const SEASON_DEFAULTS = { seed: 20261101, startYear: 2026, complaints: 189_000 } as const;
export const CONSULTATIONS_PER_COMPLAINT = 531 / 189;

const MIN_MS = 60_000;
/** Deadline monitor sweep (apps/dispatch/src/deadlines): an overdue mark lands within a minute. */
const MONITOR_SWEEP_MS = 60_000;
/** sms-survey's default survey window (7 days). */
const SURVEY_WINDOW_MS = 7 * DAY_MS;

export type Complexity = 'general' | 'complex';

/** POST /api/v1/complaints body: intake's own DTO. */
export type HotlineComplaintBody = CreateHotlineComplaintDto;

/** How the resident (through the operator) wrote the community name. */
export type NameVariant =
  | 'as_registered'
  | 'spacing'
  | 'phase_numeral'
  | 'suffix'
  | 'full_width'
  | 'traditional'
  | 'typo'
  | 'alias'
  | 'wrong_district'
  | 'unknown';

export interface DispatchStep {
  at: number;
  companyId: string;
  authorityId: string;
  cityCode: string;
  method: 'auto' | 'manual';
  reason: string;
  dueAt: number;
  previousCompanyId?: string;
}

export interface ReturnStep {
  /** The company asked to return the case (退回). */
  at: number;
  companyId: string;
  reasonCode: 'not_our_service_area' | 'not_heating_related' | 'owner_unclear';
  reason: string;
  /** The authority's binding decision. */
  decidedAt: number;
  approved: boolean;
}

/**
 * 延期: the company asks the authority for more natural days before the deadline; the authority
 * decides before the feedback. Drawn from a random stream of its own, so the rest of the season
 * (every other draw, event and figure) is the same with or without it. The generated deadlines and
 * overdue marks do not move: an approved request is one whose case then finished within the
 * original deadline anyway; a case that went overdue (late feedback, or none) had its request rejected.
 * No event reaches kpi for it (dispatch tells the company by webhook, case.extension_decided).
 */
export interface ExtensionStep {
  at: number;
  /** Natural days asked for (1–7). */
  days: number;
  reason: string;
  decidedAt: number;
  approved: boolean;
}

export interface SurveyStep {
  surveyId: string;
  reason: 'closed' | 'rectified';
  sentAt: number;
  /** null: never rated (the 7-day window ran out). */
  ratedAt: number | null;
  rating: Rating | null;
  via: 'sms' | 'web' | null;
  /** The resident's SMS as typed. */
  reply?: string;
  /** What sms-survey keeps as the comment (its parser's reading of the reply, or the web comment). */
  comment?: string;
}

export interface BadRatingStepRecord {
  step: BadRatingStep;
  at: number;
  classification?: 'reasonable' | 'unreasonable';
  approved?: boolean;
  finding?: SpotCheckFinding;
  /** Callback demand, rectification summary, reconsideration reason… */
  text?: string;
}

export interface BadRatingFlow {
  id: string;
  surveyId: string;
  steps: BadRatingStepRecord[];
}

export interface SeasonCase {
  /** 0-based, in order of receipt. */
  index: number;
  caseId: string;
  caseNumber: string;
  receivedAt: number;
  residentId: number;
  /** The request the operator posts. */
  body: HotlineComplaintBody;
  nameVariant: NameVariant;
  /** The community the resident lives in and the company that really serves it. */
  communityId: string;
  responsibleCompanyId: string;
  /** dispatch's router on the written name. */
  routing: { kind: 'company' | 'manual'; method: RoutingDecision['method']; companyId?: string };
  dispatches: DispatchStep[];
  returnRequest: ReturnStep | null;
  /** The final company signed for it (签收). */
  signedAt: number | null;
  complexity: Complexity;
  /** When the authority graded it complex (null: general). */
  gradedAt: number | null;
  /** The company's extension request (延期) and the authority's decision, if it asked. */
  extension: ExtensionStep | null;
  /** Final deadline. */
  dueAt: number;
  overdueAt: number | null;
  feedback: { at: number; resolution: Resolution; summary: string; temperatureSlip?: TemperatureReading[] } | null;
  closedAt: number | null;
  surveys: SurveyStep[];
  badRatings: BadRatingFlow[];
  /** Repeat calls while the case was open (intake links them to this case). */
  repeatCalls: Array<{ at: number; body: HotlineComplaintBody }>;
  /** Everything kpi receives about the case, in time order. */
  events: EventEnvelope[];
  /** The events' times (ms), as occurredAt. */
  eventTimes: number[];
}

export interface TemperatureReading {
  room: string;
  roomType: RoomType;
  temperatureC: number;
}

export interface SeasonConsultation {
  caseId: string;
  caseNumber: string;
  answeredAt: number;
  body: HotlineComplaintBody;
  event: EventEnvelope;
}

export interface SeasonInput {
  at: number;
  kind: 'complaint' | 'repeat' | 'consultation';
  /** What intake should answer: a new case (201), linked to the open case (200), a consultation closed at once (201). */
  expect: 'created' | 'duplicate';
  /** A stable key for the Idempotency-Key header of a replay. */
  idempotencyKey: string;
  /** The case it creates or repeats (the generator's numbering; intake assigns its own). */
  caseNumber: string;
  caseIndex?: number;
  body: HotlineComplaintBody;
}

export type SeasonArrival = { kind: 'case'; case: SeasonCase } | { kind: 'consultation'; consultation: SeasonConsultation };

interface CompanyProfile {
  company: DemoCompany;
  communityChoice: WeightedChoice<DemoCommunity>;
  /** Base 不满意 rate of first surveys. */
  dissatisfied: number;
  late: number;
  noFeedback: number;
}

interface Resident {
  id: number;
  community: DemoCommunity;
  phone: string;
  contactName?: string;
  address: HotlineComplaintBody['address'];
  open: Array<{ category: Category; until: number }>;
}

const PHONE_PREFIXES = ['134', '135', '136', '137', '138', '139', '150', '151', '152', '157', '158', '159', '182', '183', '187', '188', '130', '131', '132', '155', '156', '185', '186', '133', '153', '180', '181', '189', '177', '176', '173', '199', '166', '198'];

/** A distinct mobile number per resident (an injective map of the id into 8 digits). */
export function residentPhone(id: number, seed: number): string {
  const prefix = PHONE_PREFIXES[(Math.imul(id, 2654435761) >>> 0) % PHONE_PREFIXES.length];
  const offset = seed % 100_000_000;
  const digits = (((id * 48271) % 100_000_000) + offset) % 100_000_000;
  return prefix + String(digits).padStart(8, '0');
}

const PRODUCER: Record<string, ServiceName> = {
  'complaint.received': 'intake',
  'consultation.answered': 'intake',
  'survey.rated': 'sms-survey',
};

const HOMOPHONES: Record<string, string[]> = {
  幸: ['星', '兴'], 福: ['富', '府'], 阳: ['杨', '洋'], 光: ['广'], 和: ['河', '合'], 平: ['苹', '萍'], 金: ['今', '津'], 地: ['第', '帝'],
  锦: ['近', '今'], 绣: ['秀', '修'], 翠: ['萃'], 湖: ['胡', '壶'], 富: ['福', '府'], 民: ['敏'], 康: ['慷'], 乐: ['勒'], 长: ['常', '昌'],
  青: ['清', '轻'], 祥: ['翔', '详'], 东: ['冬', '董'], 南: ['男', '楠'], 北: ['贝'], 陵: ['凌', '灵'], 中: ['钟', '忠'], 山: ['衫', '珊'],
  滨: ['宾', '彬'], 河: ['和', '合'], 枫: ['风', '峰'], 林: ['琳', '临'], 御: ['玉', '裕'], 景: ['井', '静'], 雅: ['亚'], 居: ['局', '聚'],
  春: ['纯'], 晖: ['辉', '灰'], 欣: ['新', '心'],
};
const TRADITIONAL: Record<string, string> = { 园: '園', 区: '區', 阳: '陽', 东: '東', 锦: '錦', 绣: '繡', 乐: '樂', 长: '長', 枫: '楓', 滨: '濱', 华: '華', 兴: '興', 号: '號', 湾: '灣' };
const SUFFIX_TYPOS: Record<string, string[]> = { 小区: ['小去', '晓区'], 花园: ['花圆', '华园'], 家园: ['家圆', '佳园'], 新村: ['新存'], 公寓: ['公玉'], 号院: ['号愿'], 雅苑: ['雅院'], 嘉园: ['嘉圆'] };
const TAILS = ['小区', '花园', '家园', '新村', '雅苑', '公寓', '号院', '嘉园'];
const CN_PHASES = ['一', '二', '三'];
const UNKNOWN_NAMES = ['万科城', '保利花园', '华润置地', '中海国际', '碧桂园', '恒大名都', '龙湖天街', '融创壹号', '世茂滨江', '金地檀府', '远洋天著', '招商雍景湾'];
const EXTENSION_REASONS = ['需更换庭院管网阀门，备件预计 2 天后到货', '涉及单元立管改造，需协调楼内住户停水施工', '需待换热站检修完成后复测室温', '诉求人近期不在家，约定入户时间延后'];
const REPEAT_TEXTS = ['还是不热，催一下，什么时候来人', '上次反映的问题还没人处理', '再次反映：暖气还是凉的', '说好今天来人，到现在没来'];

/**
 * The deadline of `days` natural days from `t` (the end of the days-th day after the dispatch day,
 * Asia/Shanghai): libs/shared naturalDayDeadline, by fixed-offset arithmetic (no daylight saving in
 * Shanghai; the spec checks both agree) because the time-zone library costs ~20 µs a call here.
 */
export function naturalDayDeadlineMs(t: number, days: number): number {
  return shanghaiMidnight(t) + (days + 1) * DAY_MS;
}

/** 00:00 Shanghai of the day `t` falls on. */
function shanghaiMidnight(t: number): number {
  return Math.floor((t + SHANGHAI_OFFSET_MS) / DAY_MS) * DAY_MS - SHANGHAI_OFFSET_MS;
}

/** 00:00 Shanghai on the first day of the month after the one `t` falls in. */
function nextMonthStart(t: number): number {
  const local = new Date(t + SHANGHAI_OFFSET_MS);
  return Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + 1, 1) - SHANGHAI_OFFSET_MS;
}

export class Season {
  readonly options: Required<SeasonOptions>;
  readonly calendar: SeasonCalendar;
  readonly registry: DemoRegistry;
  /** Complaints per day of the season (index 0 = Nov 1). */
  readonly complaintsPerDay: number[];
  readonly consultationsPerDay: number[];
  private readonly categoryShares: number[][];
  private readonly companies: CompanyProfile[];
  private readonly companyChoice: WeightedChoice<CompanyProfile>;
  private readonly companiesById: Map<string, CompanyProfile>;
  private readonly companiesByDistrict: Map<string, CompanyProfile[]>;
  private readonly districtsByCity: Map<string, string[]>;
  private readonly index: CommunityIndex;

  constructor(options: SeasonOptions = {}) {
    const complaints = options.complaints ?? SEASON_DEFAULTS.complaints;
    this.options = {
      seed: options.seed ?? SEASON_DEFAULTS.seed,
      startYear: options.startYear ?? SEASON_DEFAULTS.startYear,
      complaints,
      consultations: options.consultations ?? Math.round(complaints * CONSULTATIONS_PER_COMPLAINT),
    };
    const seed = this.options.seed;
    this.calendar = seasonCalendar(this.options.startYear);
    const profile = dailyProfile(this.calendar, seed);
    this.complaintsPerDay = dailyCounts(this.options.complaints, profile.complaintWeights);
    this.consultationsPerDay = dailyCounts(this.options.consultations, profile.consultationWeights);
    this.categoryShares = dailyCategoryShares(this.complaintsPerDay, COMPLAINT_CATEGORY_SHARES);

    this.registry = buildDemoRegistry();
    // The router as dispatch runs it on the seeded registry (no aliases in the demo data).
    this.index = CommunityIndex.build(this.registry.communities);
    const r = new Random(seed, 7);
    const byCompany = new Map<string, DemoCommunity[]>();
    for (const c of this.registry.communities) byCompany.set(c.companyId, [...(byCompany.get(c.companyId) ?? []), c]);
    this.companies = this.registry.companies.map((company) => {
      const communities = byCompany.get(company.id) ?? [];
      return {
        company,
        communityChoice: new WeightedChoice(communities, communities.map(() => r.logNormal(1, 0.6))),
        dissatisfied: Math.min(0.4, r.logNormal(0.145, 0.45)),
        late: Math.min(0.25, r.logNormal(0.035, 0.7)),
        noFeedback: Math.min(0.08, r.logNormal(0.012, 0.6)),
      };
    });
    // Company sizes: skewed around 1, so a city's share follows its number of companies, which the
    // registry apportions by population; about 10 % are small (a few cases a month).
    const weights = this.companies.map(() => (r.chance(0.1) ? r.between(0.05, 0.2) : r.logNormal(1, 0.7)));
    this.companyChoice = new WeightedChoice(this.companies, weights);
    this.companiesById = new Map(this.companies.map((c) => [c.company.id, c]));
    this.companiesByDistrict = new Map();
    for (const c of this.companies) this.companiesByDistrict.set(c.company.districtCode, [...(this.companiesByDistrict.get(c.company.districtCode) ?? []), c]);
    this.districtsByCity = new Map();
    for (const c of this.registry.companies) {
      const list = this.districtsByCity.get(c.cityCode) ?? [];
      if (!list.includes(c.districtCode)) list.push(c.districtCode);
      this.districtsByCity.set(c.cityCode, list);
    }
  }

  /** Complaints and consultations in order of receipt. */
  *arrivals(): Generator<SeasonArrival> {
    const seed = this.options.seed;
    const life = new Random(seed, 1);
    const ids = new Random(seed, 2);
    const complaintTimes = new Random(seed, 3);
    const consultationRandom = new Random(seed, 4);
    const consultationTimes = new Random(seed, 5);
    const hours = new WeightedChoice(HOURLY_WEIGHTS.map((_, h) => h), HOURLY_WEIGHTS);
    const consultationCategories = new WeightedChoice(
      CONSULTATION_CATEGORY_SHARES.map(([c]) => c),
      CONSULTATION_CATEGORY_SHARES.map(([, s]) => s),
    );
    const state: GenerationState = { life, ids, extensions: new Random(seed, 11), residents: [], nextResident: 1, routes: new Map(), nextConsultationResident: 50_000_000 };
    let serial = 0;
    let caseIndex = 0;
    for (let d = 0; d < this.calendar.days; d++) {
      const dayStart = this.calendar.startMs + d * DAY_MS;
      const times = (n: number, r: Random) => {
        const out = new Float64Array(n);
        for (let i = 0; i < n; i++) out[i] = dayStart + hours.pick(r) * HOUR_MS + Math.floor(r.next() * HOUR_MS);
        return out.sort();
      };
      const complaintsAt = times(this.complaintsPerDay[d], complaintTimes);
      const consultationsAt = times(this.consultationsPerDay[d], consultationTimes);
      const categories = new WeightedChoice(
        COMPLAINT_CATEGORY_SHARES.map(([c]) => c),
        this.categoryShares[d],
      );
      let i = 0;
      let j = 0;
      while (i < complaintsAt.length || j < consultationsAt.length) {
        serial++;
        if (j >= consultationsAt.length || (i < complaintsAt.length && complaintsAt[i] <= consultationsAt[j])) {
          const at = complaintsAt[i++];
          yield { kind: 'case', case: this.complaint(state, caseIndex++, serial, at, categories.pick(life)) };
        } else {
          const at = consultationsAt[j++];
          yield { kind: 'consultation', consultation: this.consultation(state, consultationRandom, serial, at, consultationCategories.pick(consultationRandom)) };
        }
      }
    }
  }

  /** Each case's script, in order of receipt. */
  *cases(): Generator<SeasonCase> {
    for (const a of this.arrivals()) if (a.kind === 'case') yield a.case;
  }

  /**
   * Every event kpi consumes, in time order (ties: in the order they were made). `onCase` sees
   * each case as it is generated (before its events are emitted), e.g. to tally expected figures.
   */
  *events(onCase?: (c: SeasonCase) => void): Generator<EventEnvelope> {
    const heap = new MinHeap<EventEnvelope>();
    let seq = 0;
    for (const a of this.arrivals()) {
      const at = a.kind === 'case' ? a.case.receivedAt : a.consultation.answeredAt;
      while (heap.size > 0 && heap.peekKey() < at) yield heap.pop();
      if (a.kind === 'consultation') {
        heap.push(at, seq++, a.consultation.event);
        continue;
      }
      onCase?.(a.case);
      a.case.events.forEach((e, k) => heap.push(a.case.eventTimes[k], seq++, e));
    }
    while (heap.size > 0) yield heap.pop();
  }

  /** The operator's requests, in time order: new cases, repeat calls, consultations. */
  *inputs(): Generator<SeasonInput> {
    const heap = new MinHeap<SeasonInput>();
    let seq = 0;
    for (const a of this.arrivals()) {
      const at = a.kind === 'case' ? a.case.receivedAt : a.consultation.answeredAt;
      while (heap.size > 0 && heap.peekKey() < at) yield heap.pop();
      if (a.kind === 'consultation') {
        const c = a.consultation;
        yield { at, kind: 'consultation', expect: 'created', idempotencyKey: `season-${c.caseNumber}`, caseNumber: c.caseNumber, body: c.body };
        continue;
      }
      const c = a.case;
      yield { at, kind: 'complaint', expect: 'created', idempotencyKey: `season-${c.caseNumber}`, caseNumber: c.caseNumber, caseIndex: c.index, body: c.body };
      c.repeatCalls.forEach((call, k) =>
        heap.push(call.at, seq++, { at: call.at, kind: 'repeat', expect: 'duplicate', idempotencyKey: `season-${c.caseNumber}-r${k + 1}`, caseNumber: c.caseNumber, caseIndex: c.index, body: call.body }),
      );
    }
    while (heap.size > 0) yield heap.pop();
  }

  // ----------------------------------------------------------------------------------------------
  // one complaint
  // ----------------------------------------------------------------------------------------------

  private complaint(s: GenerationState, index: number, serial: number, receivedAt: number, drawnCategory: Category): SeasonCase {
    const r = s.life;
    const { resident, category } = this.residentFor(s, receivedAt, drawnCategory);
    const community = resident.community;
    const responsible = this.companiesById.get(community.companyId)!;
    const caseNumber = `GR-${shanghaiDateStampOfMs(receivedAt)}-${String(serial % 1_000_000).padStart(6, '0')}`;

    // 1. What the operator records.
    const { written, variant, districtCode } = this.writtenName(r, community, resident.address.cityCode);
    const extra: { indoorTemperatureC?: number; daysWithoutHeat?: number } = {};
    if (category === 'too_cold') extra.indoorTemperatureC = Math.round(Math.min(17.5, r.logNormal(15, 0.1)) * 2) / 2;
    if (category === 'heating_not_started' || category === 'heating_cut_off') extra.daysWithoutHeat = Math.min(30, 1 + Math.floor(r.logNormal(2, 0.7)));
    let namedCompanyId: string | undefined;
    if (r.chance(0.06)) {
      const neighbours = this.companiesByDistrict.get(community.districtCode) ?? [];
      namedCompanyId = r.chance(0.85) || neighbours.length < 2 ? community.companyId : r.pick(neighbours).company.id;
    }
    const body: HotlineComplaintBody = {
      callerPhone: resident.phone,
      type: category === 'charges' || category === 'staff_conduct' ? (r.chance(0.3) ? 'report' : 'complaint') : 'complaint',
      category,
      communityName: written,
      address: { ...resident.address, districtCode },
      description: description(r, category, extra),
      ...(resident.contactName ? { contactName: resident.contactName } : {}),
      ...(namedCompanyId ? { namedCompanyId } : {}),
      ...extra,
    };

    // 2. Routing (dispatch's own router), then the dispatches.
    const decision = this.route(s, written, districtCode, namedCompanyId);
    const c: SeasonCase = {
      index,
      caseId: s.ids.uuid(),
      caseNumber,
      receivedAt,
      residentId: resident.id,
      body,
      nameVariant: variant,
      communityId: community.id,
      responsibleCompanyId: responsible.company.id,
      routing: decision.kind === 'company' ? { kind: 'company', method: decision.method, companyId: decision.companyId } : { kind: 'manual', method: 'manual' },
      dispatches: [],
      returnRequest: null,
      signedAt: null,
      complexity: 'general',
      gradedAt: null,
      extension: null,
      dueAt: 0,
      overdueAt: null,
      feedback: null,
      closedAt: null,
      surveys: [],
      badRatings: [],
      repeatCalls: [],
      events: [],
      eventTimes: [],
    };
    const cityCode = body.address.cityCode;
    const dispatchTo = (company: DemoCompany, at: number, method: 'auto' | 'manual', reason: string, previousCompanyId?: string) => {
      const step: DispatchStep = {
        at,
        companyId: company.id,
        authorityId: company.authorityId,
        cityCode,
        method,
        reason,
        dueAt: naturalDayDeadlineMs(at, 3),
        ...(previousCompanyId && previousCompanyId !== company.id ? { previousCompanyId } : {}),
      };
      c.dispatches.push(step);
      return step;
    };
    const manualReason = (company: DemoCompany) => {
      const note = r.pick(MANUAL_DISPATCH_NOTES);
      return `主管单位人工分转至 ${company.name}${note ? `：${note}` : ''}`;
    };

    let current: DispatchStep;
    if (decision.kind === 'company') {
      const routed = this.companiesById.get(decision.companyId)!.company;
      current = dispatchTo(routed, receivedAt + Math.round(r.between(300, 4_000)), 'auto', decision.reason);
    } else {
      const at = this.working(r, receivedAt) + Math.round(r.logNormal(35 * MIN_MS, 0.8));
      current = dispatchTo(responsible.company, at, 'manual', manualReason(responsible.company));
    }

    // 3. A return (退回): always when the router picked the wrong company, now and then otherwise.
    const misrouted = current.companyId !== responsible.company.id;
    if (misrouted || r.chance(0.012)) {
      const at = this.working(r, current.at) + Math.round(r.logNormal(2 * HOUR_MS, 0.8));
      const decidedAt = this.working(r, at) + Math.round(r.logNormal(3 * HOUR_MS, 0.9));
      const reasonCode = misrouted ? 'not_our_service_area' : r.chance(0.7) ? 'not_our_service_area' : 'not_heating_related';
      const others = (this.companiesByDistrict.get(responsible.company.districtCode) ?? []).filter((x) => x.company.id !== current.companyId);
      const approved = misrouted ? r.chance(0.96) : r.chance(0.25) && others.length > 0;
      c.returnRequest = { at, companyId: current.companyId, reasonCode, reason: r.pick(RETURN_REASONS_TEXT[reasonCode]), decidedAt, approved };
      if (approved) {
        const to = misrouted ? responsible.company : r.pick(others).company;
        current = dispatchTo(to, decidedAt, 'manual', `主管单位裁定退回成立，改派至 ${to.name}：${misrouted ? '经核实该小区由该企业供热' : '经核实由该企业负责'}`, current.companyId);
      }
    }
    const final = this.companiesById.get(current.companyId)!;

    // 4. Signed, graded, deadline.
    c.signedAt = this.working(r, current.at) + Math.round(r.logNormal(25 * MIN_MS, 0.9));
    if (r.chance(0.09)) {
      c.complexity = 'complex';
      c.gradedAt = c.signedAt + Math.round(r.between(HOUR_MS, 20 * HOUR_MS));
    }
    c.dueAt = naturalDayDeadlineMs(current.at, c.complexity === 'complex' ? 7 : 3);

    // 5. Feedback (反馈 + 办结 in one step), on time, late, or never.
    if (!r.chance(final.noFeedback)) {
      const late = r.chance(final.late);
      const start = Math.max(c.signedAt, c.gradedAt ?? 0) + 40 * MIN_MS;
      const at = late
        ? c.dueAt + Math.round(Math.min(10 * DAY_MS, r.logNormal(14 * HOUR_MS, 1)))
        : start + Math.round(Math.max(0, c.dueAt - 30 * MIN_MS - start) * r.next() ** 2.2);
      const resolution: Resolution = r.chance(late ? 0.15 : 0.05) ? 'closed_unresolved' : 'fixed';
      c.feedback = { at, resolution, summary: feedbackSummary(r, category, resolution) };
      if (category === 'too_cold') c.feedback.temperatureSlip = this.slip(r, resolution);
      c.closedAt = at;
    }
    const overdueAt = c.dueAt + Math.round(r.between(1_000, MONITOR_SWEEP_MS));
    if (c.feedback === null || c.feedback.at > overdueAt) c.overdueAt = overdueAt;
    c.extension = this.extension(s.extensions, c);

    // 6. Surveys and bad ratings.
    if (c.closedAt !== null) {
      const late = c.feedback!.at > c.dueAt;
      const pDissatisfied = Math.min(0.7, final.dissatisfied * (c.feedback!.resolution === 'closed_unresolved' ? 3 : 1) * (late ? 1.5 : 1));
      this.surveysAndBadRatings(s, c, c.closedAt, 'closed', (x) => (x < pDissatisfied ? 'dissatisfied' : x < pDissatisfied + 0.17 ? 'basically_satisfied' : 'satisfied'));
    }

    // 7. Repeat calls while the case is open (linked by intake, no new case).
    const openUntil = c.closedAt ?? Number.POSITIVE_INFINITY;
    if (openUntil - receivedAt > 20 * HOUR_MS && r.chance(0.07)) {
      const at = receivedAt + Math.round(r.between(6 * HOUR_MS, Math.min(3 * DAY_MS, openUntil - receivedAt - 10 * MIN_MS)));
      c.repeatCalls.push({ at, body: { ...body, description: r.pick(REPEAT_TEXTS) } });
    }
    resident.open.push({ category, until: openUntil });

    const events = this.caseEvents(s, c, category);
    c.events = events.map((e) => e.envelope);
    c.eventTimes = events.map((e) => e.at);
    return c;
  }

  /**
   * Whether the company asks for more days (its own stream: no other draw changes). Mostly complex
   * cases and cases that end up late or without feedback; rarely the others. Asked after the grading
   * (or the signing) and decided before the feedback and the deadline (see ExtensionStep).
   */
  private extension(r: Random, c: SeasonCase): ExtensionStep | null {
    if (c.signedAt === null) return null;
    const late = c.feedback === null || c.feedback.at > c.dueAt;
    const p = late ? 0.45 : c.complexity === 'complex' ? 0.25 : 0.01;
    const draw = r.next();
    const days = c.complexity === 'complex' ? r.int(2, 7) : r.int(1, 3);
    const reason = r.pick(EXTENSION_REASONS);
    const x = r.next();
    const y = r.next();
    if (draw >= p) return null;
    const from = Math.max(c.signedAt, c.gradedAt ?? 0);
    // Approved only where the case then finished within the original deadline (nothing to move).
    const end = late ? c.dueAt - 30 * MIN_MS : Math.min(c.feedback!.at, c.dueAt) - MIN_MS;
    if (end - from < 4 * MIN_MS) return null;
    const at = from + Math.round((end - from) * (0.1 + 0.4 * x));
    const decidedAt = at + Math.round((end - at) * (0.2 + 0.6 * y));
    return { at, days, reason, decidedAt, approved: !late };
  }

  /** The resident who calls: mostly a new one; some call again (another category, or after closure). */
  private residentFor(s: GenerationState, at: number, drawn: Category): { resident: Resident; category: Category } {
    const r = s.life;
    if (s.residents.length > 1_000 && r.chance(0.13)) {
      const resident = s.residents[Math.floor(r.next() * s.residents.length)];
      resident.open = resident.open.filter((o) => o.until > at);
      // Same phone + address + category while open would be linked by intake, not a new case.
      if (!resident.open.some((o) => o.category === drawn)) return { resident, category: drawn };
    }
    const company = this.companyChoice.pick(r);
    const community = company.communityChoice.pick(r);
    const id = s.nextResident++;
    const streetNo = (Math.imul(Number(community.id.slice(2)), 2654435761) >>> 0) % 200;
    const resident: Resident = {
      id,
      community,
      phone: residentPhone(id, this.options.seed),
      ...(r.chance(0.7) ? { contactName: `${r.pick(SURNAMES)}${r.chance(0.55) ? '女士' : '先生'}` } : {}),
      address: {
        cityCode: company.company.cityCode,
        districtCode: community.districtCode,
        street: `${STREETS[streetNo % STREETS.length]}${1 + (streetNo % 97)}号`,
        building: `${r.int(1, 28)}号楼`,
        unit: `${r.int(1, 6)}单元`,
        room: `${r.int(1, 18)}0${r.int(1, 4)}`,
      },
      open: [],
    };
    if (s.residents.length < 40_000) s.residents.push(resident);
    else s.residents[Math.floor(r.next() * s.residents.length)] = resident;
    return { resident, category: drawn };
  }

  /** The community name as said on the phone, and the district given. */
  private writtenName(r: Random, community: DemoCommunity, cityCode: string): { written: string; variant: NameVariant; districtCode: string } {
    const name = community.name;
    const phase = /[一二三]期$/u.exec(name)?.[0] ?? '';
    const rest = name.slice(0, name.length - phase.length);
    const tail = TAILS.find((t) => rest.endsWith(t)) ?? '';
    const head = rest.slice(0, rest.length - tail.length);
    const x = r.next();
    const as = (written: string, variant: NameVariant) => ({ written, variant, districtCode: community.districtCode });
    if (x < 0.6) return as(name, 'as_registered');
    if (x < 0.66) return as(r.pick([`${head} ${tail}${phase}`, phase ? `${head}${tail}·${phase}` : `${head}·${tail}`, `${head}　${tail}${phase}`, ` ${name} `]), 'spacing');
    if (x < 0.72) {
      if (!phase) return as(name, 'as_registered');
      const n = CN_PHASES.indexOf(phase[0]) + 1;
      return as(`${rest}${r.pick([`${n}期`, `第${phase}`, `0${n}期`, `(${phase})`])}`, 'phase_numeral');
    }
    if (x < 0.78) {
      const generic = COMMUNITY_SUFFIXES.includes(tail);
      return as(generic ? `${head}${phase}` : `${name}小区`, 'suffix');
    }
    if (x < 0.82) {
      const n = CN_PHASES.indexOf(phase[0]) + 1;
      return as(phase ? `${rest}（${String.fromCharCode(0xff10 + n)}期）` : `${head}　${tail}`, 'full_width');
    }
    if (x < 0.85) return as([...name].map((ch) => TRADITIONAL[ch] ?? ch).join(''), 'traditional');
    if (x < 0.93) {
      const chars = [...head];
      const at = r.int(0, chars.length - 1);
      const options = HOMOPHONES[chars[at]];
      if (options && r.chance(0.7)) return as(chars.map((ch, k) => (k === at ? r.pick(options) : ch)).join('') + tail + phase, 'typo');
      return as(head + r.pick(SUFFIX_TYPOS[tail] ?? [tail]) + phase, 'typo');
    }
    if (x < 0.96) return as(r.pick([`老${head}${tail}`, `${head}${r.pick(['东', '西', '南', '北'])}院`, `${head}${tail}${r.pick(['北门', '南区', '西区'])}`]), 'alias');
    if (x < 0.98) {
      const districts = (this.districtsByCity.get(cityCode) ?? []).filter((d) => d !== community.districtCode);
      if (districts.length > 0) return { written: name, variant: 'wrong_district', districtCode: r.pick(districts) };
      return as(name, 'as_registered');
    }
    return as(r.pick(UNKNOWN_NAMES), 'unknown');
  }

  private route(s: GenerationState, communityName: string, districtCode: string, namedCompanyId?: string): RoutingDecision {
    const key = `${districtCode}\u0000${communityName}\u0000${namedCompanyId ?? ''}`;
    let decision = s.routes.get(key);
    if (!decision) {
      decision = this.index.route({ communityName, districtCode, ...(namedCompanyId ? { namedCompanyId } : {}) });
      s.routes.set(key, decision);
    }
    return decision;
  }

  /** `t`, or the next 08:00–20:30 Shanghai working time (a person has to act). */
  private working(r: Random, t: number): number {
    const h = shanghaiHour(t);
    if (h >= 8 && h < 20.5) return t;
    const morning = shanghaiMidnight(t) + (h >= 20.5 ? DAY_MS : 0) + 8 * HOUR_MS;
    return morning + Math.round(r.between(0, 70 * MIN_MS));
  }

  /** When a resident answers: `t`, or the next morning if it falls in the night. */
  private awake(r: Random, t: number): number {
    const h = shanghaiHour(t);
    if (h >= 7 && h < 23) return t;
    return shanghaiMidnight(t) + (h >= 23 ? DAY_MS : 0) + 7 * HOUR_MS + Math.round(r.between(0, 3 * HOUR_MS));
  }

  private slip(r: Random, resolution: Resolution): TemperatureReading[] {
    const level = resolution === 'fixed' ? r.between(18, 21.5) : r.between(15.5, 18.5);
    return [
      { room: '主卧', roomType: 'bedroom', temperatureC: Math.round((level + r.between(-0.5, 0.5)) * 10) / 10 },
      { room: '客厅', roomType: 'living_room', temperatureC: Math.round((level + r.between(-0.3, 0.8)) * 10) / 10 },
    ];
  }

  /** A survey after `at`; a 不满意 opens a bad rating, whose rectification brings a fresh survey (at most 3 rounds). */
  private surveysAndBadRatings(s: GenerationState, c: SeasonCase, at: number, reason: 'closed' | 'rectified', ratingOf: (x: number) => Rating): void {
    const r = s.life;
    const survey: SurveyStep = { surveyId: s.ids.uuid(), reason, sentAt: at + Math.round(r.between(5_000, 3 * MIN_MS)), ratedAt: null, rating: null, via: null };
    c.surveys.push(survey);
    if (!r.chance(reason === 'closed' ? 0.8 : 0.7)) return; // never answered: the window runs out
    survey.rating = ratingOf(r.next());
    survey.ratedAt = Math.min(survey.sentAt + SURVEY_WINDOW_MS - MIN_MS, this.awake(r, survey.sentAt + Math.round(r.logNormal(35 * MIN_MS, 1.3))));
    if (r.chance(0.85)) {
      survey.via = 'sms';
      survey.reply = r.pick(SMS_REPLIES[survey.rating]);
      const parsed = parseReply(survey.reply);
      if (parsed.kind !== 'rating' || parsed.rating !== survey.rating) throw new Error(`reply text "${survey.reply}" does not read as ${survey.rating}`);
      if (parsed.comment) survey.comment = parsed.comment;
    } else {
      survey.via = 'web';
      if (r.chance(0.4)) survey.comment = r.pick(WEB_COMMENTS[survey.rating]);
    }
    if (survey.rating !== 'dissatisfied' || c.badRatings.length >= 3) return;

    const flow: BadRatingFlow = { id: s.ids.uuid(), surveyId: survey.surveyId, steps: [] };
    c.badRatings.push(flow);
    let t = survey.ratedAt + Math.round(r.between(1_000, 10_000));
    const step = (record: Omit<BadRatingStepRecord, 'at'>, delayMedian: number, sigma: number) => {
      t = this.working(r, t) + Math.round(r.logNormal(delayMedian, sigma));
      flow.steps.push({ ...record, at: t });
    };
    flow.steps.push({ step: 'opened', at: t });
    if (!r.chance(0.96)) return;
    step({ step: 'called_back', text: r.pick(CALLBACK_DEMANDS) }, 5 * HOUR_MS, 0.9);
    const reasonable = r.chance(0.6);
    step({ step: 'classified', classification: reasonable ? 'reasonable' : 'unreasonable' }, 8 * HOUR_MS, 0.9);
    if (!reasonable) {
      if (!r.chance(0.88)) return;
      step({ step: 'reconsideration_applied', text: r.pick(RECONSIDERATION_REASONS) }, DAY_MS, 0.6);
      const approved = r.chance(0.62);
      step({ step: 'reconsideration_decided', approved }, 1.5 * DAY_MS, 0.7);
      if (approved) {
        // The province draws a sample of a month's approvals and checks them the month after.
        if (r.chance(0.25)) {
          const x = r.next();
          const finding: SpotCheckFinding = x < 0.76 ? 'confirmed' : x < 0.86 ? 'not_done' : x < 0.94 ? 'closed_over_head' : 'faked';
          const checkedAt = this.working(r, nextMonthStart(t) + Math.round(r.between(2 * DAY_MS, 18 * DAY_MS)));
          flow.steps.push({ step: 'spot_checked', at: checkedAt, finding });
        }
        return;
      }
    }
    if (!r.chance(0.92)) return;
    step({ step: 'rectified', text: '已再次上门处理，复测室温达标' }, 1.5 * DAY_MS, 0.6);
    this.surveysAndBadRatings(s, c, t, 'rectified', (x) => (x < 0.35 ? 'dissatisfied' : x < 0.6 ? 'basically_satisfied' : 'satisfied'));
  }

  /** The case's events as its services publish them, in time order. */
  private caseEvents(s: GenerationState, c: SeasonCase, category: Category): Array<{ at: number; envelope: EventEnvelope }> {
    const iso = (t: number) => new Date(t).toISOString();
    const caseId = c.caseId;
    const caseNumber = c.caseNumber;
    const out: Array<{ at: number; type: EventType; payload: Record<string, unknown> }> = [];
    const b = c.body;
    const receivedAt = iso(c.receivedAt);
    const received: Record<string, unknown> = {
      caseId,
      caseNumber,
      channel: 'hotline',
      type: b.type,
      category,
      communityName: b.communityName.trim(),
      address: { ...b.address },
      description: b.description,
      phone: b.callerPhone,
    };
    if (b.contactName) received.contactName = b.contactName;
    if (b.namedCompanyId) received.namedCompanyId = b.namedCompanyId;
    if (b.indoorTemperatureC !== undefined) received.indoorTemperatureC = b.indoorTemperatureC;
    if (b.daysWithoutHeat !== undefined) received.daysWithoutHeat = b.daysWithoutHeat;
    received.receivedAt = receivedAt;
    out.push({ at: c.receivedAt, type: 'complaint.received', payload: received });
    for (const d of c.dispatches) {
      const payload: Record<string, unknown> = {
        caseId,
        caseNumber,
        companyId: d.companyId,
        authorityId: d.authorityId,
        cityCode: d.cityCode,
        method: d.method,
        reason: d.reason,
        receivedAt,
        dispatchedAt: iso(d.at),
        dueAt: iso(d.dueAt),
      };
      if (d.previousCompanyId) payload.previousCompanyId = d.previousCompanyId;
      out.push({ at: d.at, type: 'case.dispatched', payload });
    }
    const final = c.dispatches[c.dispatches.length - 1];
    const companyId = final.companyId;
    const authorityId = final.authorityId;
    if (c.overdueAt !== null) {
      out.push({ at: c.overdueAt, type: 'case.overdue', payload: { caseId, caseNumber, companyId, authorityId, dueAt: iso(c.dueAt), overdueAt: iso(c.overdueAt) } });
    }
    if (c.feedback) {
      const f = c.feedback;
      const at = iso(f.at);
      out.push({ at: f.at, type: 'case.feedback_submitted', payload: { caseId, caseNumber, companyId, authorityId, resolution: f.resolution, summary: f.summary, dispatchedAt: iso(final.at), submittedAt: at } });
      out.push({ at: f.at, type: 'case.closed', payload: { caseId, caseNumber, companyId, authorityId, resolution: f.resolution, closedAt: at } });
    }
    for (const sv of c.surveys) {
      if (sv.ratedAt === null) continue;
      const payload: Record<string, unknown> = { surveyId: sv.surveyId, caseId, caseNumber, companyId, authorityId, rating: sv.rating };
      if (sv.comment) payload.comment = sv.comment;
      payload.via = sv.via;
      payload.ratedAt = iso(sv.ratedAt);
      out.push({ at: sv.ratedAt, type: 'survey.rated', payload });
    }
    for (const flow of c.badRatings) {
      for (const st of flow.steps) {
        const payload: Record<string, unknown> = { badRatingId: flow.id, caseId, caseNumber, companyId, authorityId, cityCode: final.cityCode, step: st.step, at: iso(st.at) };
        if (st.classification) payload.classification = st.classification;
        if (st.approved !== undefined) payload.approved = st.approved;
        if (st.finding) payload.finding = st.finding;
        out.push({ at: st.at, type: 'bad_rating.updated', payload });
      }
    }
    // Stable: same-time events keep the order they were made in (feedback before closure).
    out.sort((x, y) => x.at - y.at);
    return out.map((e) => ({ at: e.at, envelope: envelope(s.ids, e.type, e.at, e.payload) }));
  }

  // ----------------------------------------------------------------------------------------------
  // one consultation
  // ----------------------------------------------------------------------------------------------

  private consultation(s: GenerationState, r: Random, serial: number, at: number, category: Category): SeasonConsultation {
    const company = this.companyChoice.pick(r);
    const community = company.communityChoice.pick(r);
    const caseId = r.uuid();
    const caseNumber = `GR-${shanghaiDateStampOfMs(at)}-${String(serial % 1_000_000).padStart(6, '0')}`;
    const id = s.nextConsultationResident++;
    const streetNo = (Math.imul(Number(community.id.slice(2)), 2654435761) >>> 0) % 200;
    const body: HotlineComplaintBody = {
      callerPhone: residentPhone(id, this.options.seed),
      type: 'consultation',
      category,
      communityName: community.name,
      address: {
        cityCode: company.company.cityCode,
        districtCode: community.districtCode,
        street: `${STREETS[streetNo % STREETS.length]}${1 + (streetNo % 97)}号`,
        building: `${r.int(1, 28)}号楼`,
      },
      description: description(r, category, {}),
      answer: consultationAnswer(r, category),
    };
    const event = envelope(r, 'consultation.answered', at, {
      caseId,
      caseNumber,
      channel: 'hotline',
      category,
      cityCode: body.address.cityCode,
      districtCode: body.address.districtCode,
      answeredAt: new Date(at).toISOString(),
    });
    return { caseId, caseNumber, answeredAt: at, body, event };
  }
}

interface GenerationState {
  life: Random;
  ids: Random;
  /** Extension requests only (a stream of its own: the season is the same without them). */
  extensions: Random;
  residents: Resident[];
  nextResident: number;
  nextConsultationResident: number;
  routes: Map<string, RoutingDecision>;
}

function envelope(ids: Random, type: EventType, at: number, payload: Record<string, unknown>): EventEnvelope {
  return { id: ids.uuid(), type, version: EVENT_CONTRACTS[type].version, occurredAt: new Date(at).toISOString(), producer: PRODUCER[type] ?? 'dispatch', payload };
}

const parsedReplies = new Map<string, ReturnType<typeof parseSurveyReply>>();
function parseReply(text: string): ReturnType<typeof parseSurveyReply> {
  let parsed = parsedReplies.get(text);
  if (!parsed) {
    parsed = parseSurveyReply(text);
    parsedReplies.set(text, parsed);
  }
  return parsed;
}

/** A season with the defaults (or the given options). */
export function generateSeason(options: SeasonOptions = {}): Season {
  return new Season(options);
}
