import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { Type } from 'class-transformer';
import { CASE_TYPES, CATEGORIES, CHANNELS, RATINGS, RESOLUTIONS } from './enums.js';
import type { CaseType, Category, Channel, Rating, Resolution } from './enums.js';

/*
 * Domain event contracts: the one place where services agree.
 * A breaking change gets a new version and a new class; consumers name the version they read.
 * The classes double as validators: a consumer refuses (dead-letters) a payload that does not fit.
 */

export class AddressV1 {
  /** GB/T 2260 city code, e.g. 210100 沈阳市. */
  @IsString() @IsNotEmpty() cityCode: string;
  /** GB/T 2260 district/county code, e.g. 210102 和平区. */
  @IsString() @IsNotEmpty() districtCode: string;
  @IsString() @IsNotEmpty() street: string;
  @IsOptional() @IsString() building?: string;
  @IsOptional() @IsString() unit?: string;
  @IsOptional() @IsString() room?: string;
}

/** complaint.received v1 — intake accepted a case that needs a company (not a consultation closed at intake). */
export class ComplaintReceivedV1 {
  @IsUUID() caseId: string;
  @IsString() @IsNotEmpty() caseNumber: string;
  @IsIn(CHANNELS) channel: Channel;
  @IsIn(CASE_TYPES) type: CaseType;
  @IsIn(CATEGORIES) category: Category;
  @IsString() @IsNotEmpty() communityName: string;
  /** @IsObject: @ValidateNested alone lets a missing (undefined) address through. */
  @IsObject() @ValidateNested() @Type(() => AddressV1) address: AddressV1;
  @IsString() description: string;
  /** Full number: the handling company calls the resident, sms-survey texts them. Never logged. */
  @IsString() @IsNotEmpty() phone: string;
  @IsOptional() @IsString() contactName?: string;
  @IsOptional() @IsString() namedCompanyId?: string;
  @IsOptional() @Min(-20) @Max(40) indoorTemperatureC?: number;
  @IsOptional() @IsInt() daysWithoutHeat?: number;
  /** Photos kept by intake: the handling company reads them at intake's GET /api/v1/attachments/{id}. */
  @IsOptional() @IsArray() @IsUUID('4', { each: true }) photoIds?: string[];
  @IsOptional() @IsObject() coordinates?: { latitude: number; longitude: number };
  @IsISO8601() receivedAt: string;
}

/** consultation.answered v1 — a consultation answered on the call and closed at intake: it counts, it is not dispatched. */
export class ConsultationAnsweredV1 {
  @IsUUID() caseId: string;
  @IsString() @IsNotEmpty() caseNumber: string;
  @IsIn(CHANNELS) channel: Channel;
  @IsIn(CATEGORIES) category: Category;
  @IsString() cityCode: string;
  @IsString() districtCode: string;
  @IsISO8601() answeredAt: string;
}

/** case.dispatched v1 — the case reached its handling company (分转). */
export class CaseDispatchedV1 {
  @IsUUID() caseId: string;
  @IsString() caseNumber: string;
  @IsString() companyId: string;
  @IsString() authorityId: string;
  @IsString() cityCode: string;
  @IsIn(['auto', 'manual']) method: 'auto' | 'manual';
  @IsString() reason: string;
  @IsISO8601() receivedAt: string;
  @IsISO8601() dispatchedAt: string;
  @IsISO8601() dueAt: string;
  /** Set when the authority moved the case from another company (a decided return): the final company is this one. */
  @IsOptional() @IsString() previousCompanyId?: string;
  /*
   * Where the case is, as the registry knows it (optional, added for kpi's live monitoring: hot
   * spots and surges per station). Absent for a case whose community the router could not place.
   */
  @IsOptional() @IsString() districtCode?: string;
  @IsOptional() @IsString() communityId?: string;
  @IsOptional() @IsString() communityName?: string;
  /** 换热站 heat-exchange station serving the community. */
  @IsOptional() @IsString() stationId?: string;
  @IsOptional() @IsString() stationName?: string;
}

/** case.overdue v1 — the deadline passed without a result; the case goes to the authority for supervision (督办). */
export class CaseOverdueV1 {
  @IsUUID() caseId: string;
  @IsString() caseNumber: string;
  @IsString() companyId: string;
  @IsString() authorityId: string;
  @IsISO8601() dueAt: string;
  @IsISO8601() overdueAt: string;
}

/** case.feedback_submitted v1 — the company fed back its result (反馈). */
export class CaseFeedbackSubmittedV1 {
  @IsUUID() caseId: string;
  @IsString() caseNumber: string;
  @IsString() companyId: string;
  @IsString() authorityId: string;
  @IsIn(RESOLUTIONS) resolution: Resolution;
  @IsString() summary: string;
  @IsISO8601() dispatchedAt: string;
  @IsISO8601() submittedAt: string;
}

/** case.closed v1 — the case is 办结; a survey follows. `resolution` keeps "fixed" apart from "only closed". */
export class CaseClosedV1 {
  @IsUUID() caseId: string;
  @IsString() caseNumber: string;
  @IsString() companyId: string;
  @IsString() authorityId: string;
  @IsIn(RESOLUTIONS) resolution: Resolution;
  @IsISO8601() closedAt: string;
}

/** survey.rated v1 — the resident rated the handling (评价). */
export class SurveyRatedV1 {
  @IsUUID() surveyId: string;
  @IsUUID() caseId: string;
  @IsString() caseNumber: string;
  @IsString() companyId: string;
  @IsString() authorityId: string;
  @IsIn(RATINGS) rating: Rating;
  @IsOptional() @IsString() comment?: string;
  @IsIn(['sms', 'web']) via: 'sms' | 'web';
  @IsISO8601() ratedAt: string;
  /**
   * Which survey of the case this is: 1 after the case closed, 2, 3 … for the fresh survey after
   * each rectification (survey.requested). Absent (older producers) means 1. A case's latest round
   * replaces its earlier rating in the satisfaction rate.
   */
  @IsOptional() @IsInt() @Min(1) round?: number;
}

/** The steps of the bad-rating workflow (差评处理), DOMAIN.md §3 step 6. */
export const BAD_RATING_STEPS = [
  'opened', // a 不满意 rating: the company must call the resident back
  'called_back', // 回访 recorded
  'classified', // the authority judged the demand reasonable or unreasonable
  'rectified', // 整改 done: a fresh survey follows
  'reconsideration_applied', // 复议 applied for, with evidence
  'reconsideration_decided', // approved (leaves the satisfaction rate) or rejected
  'spot_checked', // the province's spot-check of an approved reconsideration
] as const;
export type BadRatingStep = (typeof BAD_RATING_STEPS)[number];

/** Spot-check findings; anything but `confirmed` costs the applying unit 1 percentage point. */
export const SPOT_CHECK_FINDINGS = ['confirmed', 'not_done', 'closed_over_head', 'faked'] as const;
export type SpotCheckFinding = (typeof SPOT_CHECK_FINDINGS)[number];

/** bad_rating.updated v1 — one step of the bad-rating workflow, with what kpi needs to count it. */
export class BadRatingUpdatedV1 {
  @IsUUID() badRatingId: string;
  @IsUUID() caseId: string;
  @IsString() caseNumber: string;
  @IsString() companyId: string;
  @IsString() authorityId: string;
  @IsString() cityCode: string;
  @IsIn(BAD_RATING_STEPS) step: BadRatingStep;
  @IsISO8601() at: string;
  /** classified: reasonable or unreasonable. */
  @IsOptional() @IsIn(['reasonable', 'unreasonable']) classification?: 'reasonable' | 'unreasonable';
  /** reconsideration_decided: whether the reconsideration was approved. */
  @IsOptional() @IsBoolean() approved?: boolean;
  /** spot_checked: what the province found. */
  @IsOptional() @IsIn(SPOT_CHECK_FINDINGS) finding?: SpotCheckFinding;
}

/** survey.requested v1 — ask the resident again (after a rectification). */
export class SurveyRequestedV1 {
  @IsUUID() caseId: string;
  @IsString() caseNumber: string;
  @IsString() companyId: string;
  @IsString() authorityId: string;
  @IsIn(['rectified']) reason: 'rectified';
  @IsISO8601() requestedAt: string;
  /**
   * The survey whose 不满意 rating was followed up and rectified: the fresh survey is the round
   * after it (so a repeated request for the same rectification asks once). Absent from older
   * producers: sms-survey then takes the case's latest survey.
   */
  @IsOptional() @IsUUID() surveyId?: string;
}

/** bulletin.published v1 — kpi published a version of a month's bulletin (月度通报); the files are immutable, identified by their SHA-256. */
export class BulletinPublishedV1 {
  @IsUUID() bulletinId: string;
  /** YYYY-MM (Asia/Shanghai). */
  @IsString() month: string;
  @IsInt() @Min(1) version: number;
  @IsISO8601() publishedAt: string;
  @IsString() sha256Html: string;
  @IsString() sha256Pdf: string;
  @IsString() sha256Xlsx: string;
}

/** The states of an outage incident (大面积停供), as dispatch keeps them. */
export const INCIDENT_STATUSES = ['proposed', 'open', 'restored', 'dismissed'] as const;
export type IncidentStatusName = (typeof INCIDENT_STATUSES)[number];

/** incident.updated v1 — an outage incident (大面积停供) was proposed, opened, restored or dismissed; the whole incident as it now stands. */
export class IncidentUpdatedV1 {
  @IsUUID() incidentId: string;
  @IsIn(INCIDENT_STATUSES) status: IncidentStatusName;
  @IsString() authorityId: string;
  @IsString() cityCode: string;
  @IsString() districtCode: string;
  @IsString() title: string;
  @IsOptional() @IsString() cause?: string;
  @IsArray() @IsString({ each: true }) stationIds: string[];
  @IsArray() @IsString({ each: true }) communityIds: string[];
  @IsArray() @IsString({ each: true }) companyIds: string[];
  /** Cases linked to the incident so far. */
  @IsOptional() @IsInt() @Min(0) linkedCases?: number;
  @IsOptional() @IsISO8601() expectedRestorationAt?: string;
  @IsISO8601() updatedAt: string;
}

/** The early-warning rules of kpi's live monitoring (监测预警, docs/dashboard.md). */
export const WARNING_RULES = ['surge', 'overdue_wave', 'satisfaction_dip'] as const;
export type WarningRule = (typeof WARNING_RULES)[number];
/** What a warning is about: a station, a community or a district (surges), a company (overdue waves, satisfaction dips). */
export const WARNING_SUBJECT_TYPES = ['station', 'community', 'district', 'company'] as const;
export type WarningSubjectType = (typeof WARNING_SUBJECT_TYPES)[number];

/** warning.raised v1 — kpi's live monitoring raised an early warning (预警), with the reason in Chinese and the figures behind it. */
export class WarningRaisedV1 {
  @IsUUID() warningId: string;
  @IsIn(WARNING_RULES) rule: WarningRule;
  @IsIn(WARNING_SUBJECT_TYPES) subjectType: WarningSubjectType;
  @IsString() @IsNotEmpty() subjectId: string;
  @IsString() subjectName: string;
  /** Absent only when kpi has not seen where the subject is (a company known from an overdue event alone). */
  @IsOptional() @IsString() cityCode?: string;
  @IsOptional() @IsString() districtCode?: string;
  @IsOptional() @IsString() authorityId?: string;
  @IsOptional() @IsString() companyId?: string;
  /** Why it fired, for people: "过去30分钟内 金地小区 有 6 户反映问题…". */
  @IsString() @IsNotEmpty() reason: string;
  /** The numbers behind the reason (counts, window, baseline, thresholds). */
  @IsObject() figures: Record<string, number | string | null>;
  @IsISO8601() raisedAt: string;
}

/** warning.acknowledged v1 — an authority (or the province) acknowledged a warning (已确认). */
export class WarningAcknowledgedV1 {
  @IsUUID() warningId: string;
  @IsIn(WARNING_RULES) rule: WarningRule;
  @IsIn(WARNING_SUBJECT_TYPES) subjectType: WarningSubjectType;
  @IsString() subjectId: string;
  /** role:sub of whoever acknowledged it. */
  @IsString() acknowledgedBy: string;
  @IsOptional() @IsString() note?: string;
  @IsISO8601() acknowledgedAt: string;
}

/** Every event type, its current version and its payload class. */
export const EVENT_CONTRACTS = {
  'complaint.received': { version: 1, payload: ComplaintReceivedV1 },
  'consultation.answered': { version: 1, payload: ConsultationAnsweredV1 },
  'case.dispatched': { version: 1, payload: CaseDispatchedV1 },
  'case.overdue': { version: 1, payload: CaseOverdueV1 },
  'case.feedback_submitted': { version: 1, payload: CaseFeedbackSubmittedV1 },
  'case.closed': { version: 1, payload: CaseClosedV1 },
  'survey.rated': { version: 1, payload: SurveyRatedV1 },
  'survey.requested': { version: 1, payload: SurveyRequestedV1 },
  'bad_rating.updated': { version: 1, payload: BadRatingUpdatedV1 },
  'bulletin.published': { version: 1, payload: BulletinPublishedV1 },
  'incident.updated': { version: 1, payload: IncidentUpdatedV1 },
  'warning.raised': { version: 1, payload: WarningRaisedV1 },
  'warning.acknowledged': { version: 1, payload: WarningAcknowledgedV1 },
} as const;

export type EventType = keyof typeof EVENT_CONTRACTS;
export type EventPayload<T extends EventType> = InstanceType<(typeof EVENT_CONTRACTS)[T]['payload']>;

export function isKnownEventType(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(EVENT_CONTRACTS, type);
}
