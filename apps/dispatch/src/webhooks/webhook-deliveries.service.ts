import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppError, CLOCK, maskPhone, maskPhonesInText, PHONE_VAULT } from '#shared';
import type { Clock, PhoneVault, Principal } from '#shared';
import { UnitScopes } from '../access/unit-scope.js';
import type { UnitScope } from '../access/unit-scope.js';
import { openPayloadPhones } from './payload-phones.js';
import type { DeliveryStatus } from './webhook-delivery.entity.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { endpointState, WebhookEndpoints } from './webhook-endpoints.js';
import { modifyReturning } from './webhook-sql.js';

export interface DeliveryFilter {
  caseId?: string;
  status?: DeliveryStatus;
  companyId?: string;
  limit: number;
}

export interface AttemptRecord {
  attempt: number;
  at: Date;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
}

export interface DeliveryRecord {
  id: string;
  companyId: string;
  caseId: string;
  type: string;
  status: DeliveryStatus;
  payload: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
  nextAttemptAt: Date | null;
  inFlight: boolean;
  deliveredAt: Date | null;
  lastError: string | null;
  attempts: AttemptRecord[];
}

interface DeliveryRow {
  id: string;
  company_id: string;
  case_id: string;
  event_type: string;
  payload: Record<string, unknown>;
  status: DeliveryStatus;
  next_attempt_at: Date | string;
  leased_until: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
  delivered_at: Date | string | null;
  last_error: string | null;
}

interface AttemptRow {
  delivery_id: string;
  attempt: number;
  at: Date | string;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
}

const date = (v: Date | string) => new Date(v);
const dateOrNull = (v: Date | string | null) => (v === null ? null : new Date(v));

/** A mainland mobile number written with spaces or dashes: 139 1234 5678, 139-1234-5678. */
const SPACED_MOBILE = /(?<!\d)(1[3-9]\d)[\s-](\d{4})[\s-](\d{4})(?!\d)/g;

/**
 * Replaces phone numbers anywhere in a payload: fields named like `phone` are masked whole
 * (138****1234), numbers inside other text too. For everyone but the company the case was sent to.
 */
export function maskPayload(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    return /phone|mobile/i.test(key) ? maskPhone(value) : maskPhonesInText(value).replace(SPACED_MOBILE, '$1****$3');
  }
  if (Array.isArray(value)) return value.map((v) => maskPayload(v, key));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskPayload(v, k)]));
  }
  return value;
}

/**
 * Who sees which deliveries: a company its own; an authority those of the companies in its region
 * (city or district); the province all. Anything outside reads as "not found".
 */
@Injectable()
export class WebhookDeliveries {
  private readonly logger = new Logger('WebhookDeliveries');

  constructor(
    private readonly dataSource: DataSource,
    private readonly scopes: UnitScopes,
    private readonly endpoints: WebhookEndpoints,
    private readonly dispatcher: WebhookDispatcher,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PHONE_VAULT) private readonly vault: PhoneVault,
  ) {}

  async list(principal: Principal, filter: DeliveryFilter): Promise<DeliveryRecord[]> {
    const scope = await this.scopes.of(principal);
    const rows = await this.find(scope, filter);
    return this.withAttempts(rows, scope);
  }

  /** A new attempt soon: back to pending, due now, a fresh retry schedule; the attempt history stays. */
  async redeliver(principal: Principal, id: string): Promise<DeliveryRecord> {
    const scope = await this.scopes.of(principal);
    const [row] = await this.find(scope, { limit: 1 }, id);
    if (!row) throw new AppError('WEBHOOK_DELIVERY_NOT_FOUND', '未找到该推送记录，或无权查看', 404, 'id');
    const endpoint = await this.endpoints.get(row.company_id);
    const state = endpoint ? endpointState(endpoint) : 'not_configured';
    if (state === 'not_configured') {
      throw new AppError('WEBHOOK_NOT_CONFIGURED', '该企业未设置回调地址，无法重新推送；企业可通过接口拉取工单', 409);
    }
    if (state === 'disabled') {
      throw new AppError('WEBHOOK_ENDPOINT_DISABLED', '该企业的回调地址已停用（接收方返回 HTTP 410），企业重新设置回调地址后方可重新推送', 409);
    }
    const now = this.clock.now();
    const updated = await modifyReturning<DeliveryRow>(
      this.dataSource.manager,
      `UPDATE webhook_delivery SET status = 'pending', next_attempt_at = $2, schedule_start = attempts, updated_at = $2
        WHERE id = $1
        RETURNING id, company_id, case_id, event_type, payload, status, next_attempt_at, leased_until, created_at, updated_at, delivered_at, last_error`,
      [id, now],
    );
    this.logger.log(`webhook ${id} to company ${row.company_id}: redelivery requested by ${principal.role} ${principal.unitId ?? principal.sub}`);
    this.dispatcher.kick();
    const [record] = await this.withAttempts(updated, scope);
    return record;
  }

  private async find(scope: UnitScope, filter: Partial<DeliveryFilter>, id?: string): Promise<DeliveryRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(clause(`$${params.length}`));
    };
    if (scope.kind === 'company') add((p) => `d.company_id = ${p}`, scope.companyId);
    else if (scope.kind === 'city') add((p) => `c.city_code = ${p}`, scope.cityCode);
    else if (scope.kind === 'county') add((p) => `c.district_code = ${p}`, scope.districtCode);
    if (id !== undefined) add((p) => `d.id = ${p}`, id);
    if (filter.caseId) add((p) => `d.case_id = ${p}`, filter.caseId);
    if (filter.status) add((p) => `d.status = ${p}`, filter.status);
    if (filter.companyId) add((p) => `d.company_id = ${p}`, filter.companyId);
    params.push(filter.limit ?? 50);
    return this.dataSource.query(
      `SELECT d.id, d.company_id, d.case_id, d.event_type, d.payload, d.status, d.next_attempt_at, d.leased_until,
              d.created_at, d.updated_at, d.delivered_at, d.last_error
         FROM webhook_delivery d JOIN company c ON c.id = d.company_id
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY d.created_at DESC, d.seq DESC
        LIMIT $${params.length}`,
      params,
    );
  }

  private async withAttempts(rows: DeliveryRow[], scope: UnitScope): Promise<DeliveryRecord[]> {
    if (rows.length === 0) return [];
    const attempts: AttemptRow[] = await this.dataSource.query(
      `SELECT delivery_id, attempt, at, status_code, duration_ms, error FROM webhook_attempt
        WHERE delivery_id = ANY($1::text[]) ORDER BY delivery_id, attempt`,
      [rows.map((r) => r.id)],
    );
    const byDelivery = new Map<string, AttemptRecord[]>();
    for (const a of attempts) {
      const list = byDelivery.get(a.delivery_id) ?? [];
      list.push({ attempt: a.attempt, at: date(a.at), statusCode: a.status_code, durationMs: a.duration_ms, error: a.error });
      byDelivery.set(a.delivery_id, list);
    }
    const now = this.clock.now().getTime();
    return rows.map((r) => {
      const leasedUntil = dateOrNull(r.leased_until);
      // Stored with the resident's number sealed; opened to show what was (or will be) sent.
      const payload = openPayloadPhones(this.vault, r.payload);
      return {
        id: r.id,
        companyId: r.company_id,
        caseId: r.case_id,
        type: r.event_type,
        status: r.status,
        // The company the case went to sees what it received; everyone else sees numbers masked.
        payload: scope.kind === 'company' ? payload : (maskPayload(payload) as Record<string, unknown>),
        createdAt: date(r.created_at),
        updatedAt: date(r.updated_at),
        nextAttemptAt: r.status === 'pending' ? date(r.next_attempt_at) : null,
        inFlight: r.status === 'pending' && leasedUntil !== null && leasedUntil.getTime() > now,
        deliveredAt: dateOrNull(r.delivered_at),
        lastError: r.last_error,
        attempts: byDelivery.get(r.id) ?? [],
      };
    });
  }
}
