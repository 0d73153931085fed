import { findLiaoningDivision, maskPhonesInText } from '#shared';
import type { CaseType, Category, Channel, EventEnvelope, IncidentStatusName, Rating } from '#shared';
import type { WarningSignal } from '../warnings/warning-signals.js';
import type { WarningView } from '../warnings/warning-view.js';
import { complaintWords } from './words/complaint-words.js';

/*
 * The live board (监测大屏的数据): every case with an event in the last days, in memory, built
 * from the same events kpi stores (the phone number is already gone). Pure: no Nest, no
 * database. The hub feeds it the events kpi consumes and, at start-up, those kpi stored; it turns
 * each event into what the early-warning rules read (signals) and keeps what the page shows.
 * Each event is taken once (by message id) and the facts of a case do not depend on the order
 * its events arrive in.
 */

/** China has had no daylight saving time since 1991: Shanghai is UTC+8 all year. */
const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;

/** YYYY-MM-DD in Asia/Shanghai. */
export const shanghaiDay = (t: number): string => new Date(t + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
/** Hour of the day (0–23) in Asia/Shanghai. */
export const shanghaiHour = (t: number): number => new Date(t + SHANGHAI_OFFSET_MS).getUTCHours();

const EXCERPT_CHARS = 60;

/** One case as the live page sees it. */
export interface LiveCase {
  caseId: string;
  caseNumber: string;
  /** complaint: came in through complaint.received; consultation: answered and closed at intake. */
  kind?: 'complaint' | 'consultation';
  type?: CaseType;
  category?: Category;
  channel?: Channel;
  cityCode?: string;
  districtCode?: string;
  communityName?: string;
  /** district|normalised community name: the community as residents name it. */
  communityKey?: string;
  household?: string;
  receivedAt?: number;
  /** Hour of the day of receipt (Asia/Shanghai), and the place as people read it (沈阳市和平区): kept, not recomputed per picture. */
  hour?: number;
  placeName?: string;
  /** The text, shortened and with phone numbers masked. */
  excerpt?: string;
  words: string[];
  companyId?: string;
  authorityId?: string;
  stationId?: string;
  stationName?: string;
  /** The latest dispatch. */
  dispatchedAt?: number;
  dueAt?: number;
  overdueAt?: number;
  feedbackAt?: number;
  closedAt?: number;
  /** The station the case's household was already counted for (surges). */
  stationCounted?: string;
  /** Latest time anything happened to the case (pruning). */
  touchedAt: number;
}

export interface LiveIncident {
  incidentId: string;
  status: IncidentStatusName;
  authorityId: string;
  cityCode: string;
  districtCode: string;
  title: string;
  cause?: string;
  stationIds: string[];
  communityIds: string[];
  companyIds: string[];
  linkedCases?: number;
  expectedRestorationAt?: string;
  updatedAt: string;
}

export interface IngestResult {
  /** false: a message already taken, or an event that changes nothing the page shows. */
  changed: boolean;
  signals: WarningSignal[];
}

const NOTHING: IngestResult = Object.freeze({ changed: false, signals: [] }) as IngestResult;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const time = (v: unknown): number | undefined => {
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isNaN(t) ? undefined : t;
};
const compact = (s: string): string => s.replace(/\s+/g, '');

export function isOpen(c: LiveCase): boolean {
  return c.kind !== 'consultation' && c.closedAt === undefined && (c.receivedAt !== undefined || c.dispatchedAt !== undefined);
}

/** Overdue: the current deadline passed without a result (a re-dispatch sets a new deadline). */
export function isOverdue(c: LiveCase): boolean {
  return isOpen(c) && c.overdueAt !== undefined && (c.dispatchedAt === undefined || c.overdueAt >= c.dispatchedAt);
}

export function districtName(code: string | undefined): string {
  if (!code) return '';
  return findLiaoningDivision(code)?.district?.name ?? code;
}

export function cityName(code: string | undefined): string {
  if (!code) return '';
  return findLiaoningDivision(code)?.city.name ?? code;
}

export class LiveBoard {
  readonly cases = new Map<string, LiveCase>();
  /** Cases received on a day (Asia/Shanghai), by day. */
  readonly byDay = new Map<string, Set<LiveCase>>();
  /** Cases not yet closed. */
  readonly open = new Set<LiveCase>();
  readonly incidents = new Map<string, LiveIncident>();
  readonly warnings = new Map<string, WarningView>();
  /** Message id → occurred at: each event is taken once. */
  private readonly seen = new Map<string, number>();
  /** Moves whenever something the page shows changed. */
  revision = 0;
  /** The earliest event time the board holds (the baselines look no further back). */
  firstEventAt = Number.POSITIVE_INFINITY;

  /** Whether a message was taken already. */
  has(messageId: string): boolean {
    return this.seen.has(messageId);
  }

  get eventCount(): number {
    return this.seen.size;
  }

  ingest(env: EventEnvelope): IngestResult {
    if (this.seen.has(env.id)) return NOTHING;
    const occurredAt = Date.parse(env.occurredAt);
    this.seen.set(env.id, occurredAt);
    if (occurredAt < this.firstEventAt) this.firstEventAt = occurredAt;
    const p = env.payload as Record<string, unknown>;
    switch (env.type) {
      case 'complaint.received':
        return this.received(p);
      case 'consultation.answered':
        return this.consultation(p);
      case 'case.dispatched':
        return this.dispatched(p);
      case 'case.overdue':
        return this.overdue(p);
      case 'case.feedback_submitted':
        return this.update(p, (c) => {
          const at = time(p.submittedAt);
          if (at === undefined || (c.feedbackAt !== undefined && c.feedbackAt <= at)) return false;
          c.feedbackAt = at;
          return false; // feedback alone changes nothing the page shows
        });
      case 'case.closed':
        return this.update(p, (c) => {
          const at = time(p.closedAt);
          if (at === undefined || (c.closedAt !== undefined && c.closedAt <= at)) return false;
          c.closedAt = at;
          return true;
        });
      case 'survey.rated':
        return this.rated(p);
      case 'incident.updated':
        return this.incident(p);
      default:
        return NOTHING;
    }
  }

  upsertWarning(w: WarningView): boolean {
    const known = this.warnings.get(w.id);
    if (known && known.acknowledgedAt === w.acknowledgedAt) return false;
    this.warnings.set(w.id, w);
    this.revision++;
    return true;
  }

  /** Forgets cases, events and warnings older than the horizon. */
  prune(before: number): void {
    for (const [id, at] of this.seen) if (at < before) this.seen.delete(id);
    for (const c of this.cases.values()) {
      if (c.touchedAt >= before) continue;
      this.cases.delete(c.caseId);
      this.open.delete(c);
      if (c.receivedAt !== undefined) this.byDay.get(shanghaiDay(c.receivedAt))?.delete(c);
    }
    for (const day of this.byDay.keys()) if (day < shanghaiDay(before)) this.byDay.delete(day);
    for (const w of this.warnings.values()) if (Date.parse(w.raisedAt) < before) this.warnings.delete(w.id);
    for (const i of this.incidents.values()) if (Date.parse(i.updatedAt) < before && (i.status === 'restored' || i.status === 'dismissed')) this.incidents.delete(i.incidentId);
    if (this.firstEventAt < before) this.firstEventAt = before;
    this.revision++;
  }

  private caseOf(p: Record<string, unknown>): LiveCase | undefined {
    const caseId = str(p.caseId);
    if (!caseId) return undefined;
    let c = this.cases.get(caseId);
    if (!c) {
      c = { caseId, caseNumber: str(p.caseNumber) ?? '', words: [], touchedAt: 0 };
      this.cases.set(caseId, c);
    }
    if (!c.caseNumber && str(p.caseNumber)) c.caseNumber = str(p.caseNumber)!;
    return c;
  }

  /** Applies a change to a case and keeps the indexes (open set) in step. */
  private update(p: Record<string, unknown>, change: (c: LiveCase) => boolean, signals: WarningSignal[] = []): IngestResult {
    const c = this.caseOf(p);
    if (!c) return NOTHING;
    const changed = change(c);
    this.touch(c);
    if (changed) this.revision++;
    return { changed, signals };
  }

  private touch(c: LiveCase): void {
    c.touchedAt = Math.max(c.touchedAt, c.receivedAt ?? 0, c.dispatchedAt ?? 0, c.overdueAt ?? 0, c.closedAt ?? 0, c.feedbackAt ?? 0);
    if (isOpen(c)) this.open.add(c);
    else this.open.delete(c);
  }

  private received(p: Record<string, unknown>): IngestResult {
    const c = this.caseOf(p);
    const receivedAt = time(p.receivedAt);
    if (!c || receivedAt === undefined || c.receivedAt !== undefined) return NOTHING;
    const address = (p.address ?? {}) as Record<string, unknown>;
    c.kind = 'complaint';
    c.type = str(p.type) as CaseType | undefined;
    c.category = str(p.category) as Category | undefined;
    c.channel = str(p.channel) as Channel | undefined;
    c.cityCode ??= str(address.cityCode);
    c.districtCode ??= str(address.districtCode);
    c.communityName = compact(str(p.communityName) ?? '') || '（未填小区）';
    c.communityKey = `${c.districtCode ?? ''}|${c.communityName}`;
    const room = [address.building, address.unit, address.room].map((v) => compact(String(v ?? ''))).join('|');
    c.household = str(address.room) ? `${c.communityKey}|${room}` : `case:${c.caseId}`;
    c.receivedAt = receivedAt;
    c.hour = shanghaiHour(receivedAt);
    c.placeName = `${cityName(c.cityCode)}${districtName(c.districtCode)}`;
    const text = str(p.description) ?? '';
    c.excerpt = maskPhonesInText(text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text);
    c.words = complaintWords(maskPhonesInText(text));
    this.dayOf(receivedAt).add(c);
    this.touch(c);
    this.revision++;
    return { changed: true, signals: this.householdSignals(c) };
  }

  private consultation(p: Record<string, unknown>): IngestResult {
    const c = this.caseOf(p);
    const at = time(p.answeredAt);
    if (!c || at === undefined || c.receivedAt !== undefined) return NOTHING;
    c.kind = 'consultation';
    c.type = 'consultation';
    c.category = str(p.category) as Category | undefined;
    c.channel = str(p.channel) as Channel | undefined;
    c.cityCode ??= str(p.cityCode);
    c.districtCode ??= str(p.districtCode);
    c.receivedAt = at;
    c.hour = shanghaiHour(at);
    c.placeName = `${cityName(c.cityCode)}${districtName(c.districtCode)}`;
    c.closedAt = at;
    this.dayOf(at).add(c);
    this.touch(c);
    this.revision++;
    return { changed: true, signals: [] };
  }

  private dispatched(p: Record<string, unknown>): IngestResult {
    const at = time(p.dispatchedAt);
    const c = this.caseOf(p);
    if (!c || at === undefined) return NOTHING;
    if (c.dispatchedAt !== undefined && c.dispatchedAt > at) {
      this.touch(c);
      return NOTHING; // an older dispatch arriving late: the latest one names the company
    }
    c.dispatchedAt = at;
    c.dueAt = time(p.dueAt);
    c.companyId = str(p.companyId);
    c.authorityId = str(p.authorityId);
    c.cityCode ??= str(p.cityCode);
    c.districtCode ??= str(p.districtCode);
    if (str(p.stationId)) {
      c.stationId = str(p.stationId);
      c.stationName = str(p.stationName) ?? c.stationId;
    }
    this.touch(c);
    this.revision++;
    const signals: WarningSignal[] = [];
    const station = this.stationSignal(c);
    if (station) signals.push(station);
    return { changed: true, signals };
  }

  private overdue(p: Record<string, unknown>): IngestResult {
    const at = time(p.overdueAt);
    const companyId = str(p.companyId);
    const c = this.caseOf(p);
    if (!c || at === undefined || !companyId) return NOTHING;
    const changed = c.overdueAt === undefined || at > c.overdueAt;
    if (changed) c.overdueAt = at;
    this.touch(c);
    if (changed) this.revision++;
    const signal: WarningSignal = {
      kind: 'overdue',
      companyId,
      caseId: c.caseId,
      at,
      authorityId: str(p.authorityId) ?? c.authorityId,
      cityCode: c.cityCode,
      districtCode: c.districtCode,
    };
    return { changed, signals: [signal] };
  }

  private rated(p: Record<string, unknown>): IngestResult {
    const at = time(p.ratedAt);
    const companyId = str(p.companyId);
    const surveyId = str(p.surveyId);
    if (at === undefined || !companyId || !surveyId) return NOTHING;
    const c = str(p.caseId) ? this.cases.get(String(p.caseId)) : undefined;
    const rating = p.rating as Rating;
    const signal: WarningSignal = {
      kind: 'rating',
      companyId,
      surveyId,
      satisfied: rating === 'satisfied' || rating === 'basically_satisfied',
      at,
      authorityId: str(p.authorityId) ?? c?.authorityId,
      cityCode: c?.cityCode,
      districtCode: c?.districtCode,
    };
    return { changed: false, signals: [signal] };
  }

  private incident(p: Record<string, unknown>): IngestResult {
    const id = str(p.incidentId);
    if (!id) return NOTHING;
    const known = this.incidents.get(id);
    if (known && Date.parse(known.updatedAt) > Date.parse(String(p.updatedAt))) return NOTHING;
    this.incidents.set(id, p as unknown as LiveIncident);
    this.revision++;
    return { changed: true, signals: [] };
  }

  private dayOf(t: number): Set<LiveCase> {
    const day = shanghaiDay(t);
    let set = this.byDay.get(day);
    if (!set) this.byDay.set(day, (set = new Set()));
    return set;
  }

  /** A complaint (not a consultation) counts for its community and its district, and for its station once dispatched. */
  private householdSignals(c: LiveCase): WarningSignal[] {
    if (c.type === 'consultation' || c.receivedAt === undefined || !c.category || !c.household) return [];
    const place = { cityCode: c.cityCode, districtCode: c.districtCode, authorityId: c.authorityId, companyId: c.companyId };
    const base = { kind: 'household' as const, household: c.household, category: c.category, at: c.receivedAt, ...place };
    const signals: WarningSignal[] = [{ ...base, subjectType: 'community', subjectId: c.communityKey!, subjectName: c.communityName! }];
    if (c.districtCode) signals.push({ ...base, subjectType: 'district', subjectId: c.districtCode, subjectName: c.placeName ?? c.districtCode });
    const station = this.stationSignal(c);
    if (station) signals.push(station);
    return signals;
  }

  private stationSignal(c: LiveCase): WarningSignal | null {
    if (!c.stationId || c.stationCounted === c.stationId || c.type === 'consultation' || c.receivedAt === undefined || !c.category || !c.household) return null;
    c.stationCounted = c.stationId;
    return {
      kind: 'household',
      subjectType: 'station',
      subjectId: c.stationId,
      subjectName: c.stationName ?? c.stationId,
      household: c.household,
      category: c.category,
      at: c.receivedAt,
      cityCode: c.cityCode,
      districtCode: c.districtCode,
      authorityId: c.authorityId,
      companyId: c.companyId,
    };
  }
}
