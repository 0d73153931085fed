import {
  IsArray,
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
} as const;

export type EventType = keyof typeof EVENT_CONTRACTS;
export type EventPayload<T extends EventType> = InstanceType<(typeof EVENT_CONTRACTS)[T]['payload']>;

export function isKnownEventType(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(EVENT_CONTRACTS, type);
}
