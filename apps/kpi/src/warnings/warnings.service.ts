import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppError, CLOCK, Outbox } from '#shared';
import type { Clock, Principal } from '#shared';
import { covers } from '../dashboard/dashboard-scope.js';
import type { DashboardScope } from '../dashboard/dashboard-scope.js';
import { DASHBOARD_SETTINGS } from '../kpi-settings.js';
import type { DashboardSettings } from '../kpi-settings.js';
import { MINUTE_MS, warningKey } from './warning-signals.js';
import type { WarningCandidate } from './warning-signals.js';
import { warningView } from './warning-view.js';
import type { WarningRow, WarningView } from './warning-view.js';

/** Namespace of the per-(rule, subject) transaction lock: pg_advisory_xact_lock(namespace, hashtext(key)). */
const WARNING_LOCK_NAMESPACE = 4_701;

const COLUMNS = `id, rule, subject_type, subject_id, subject_name, city_code, district_code, authority_id, company_id, reason, figures,
  raised_at, acknowledged_at, acknowledged_by, acknowledgement_note`;

/**
 * The stored warnings (dashboard_warning): a raised warning is a row and a warning.raised event,
 * written in one transaction; an acknowledgement updates the row and publishes
 * warning.acknowledged. Raising takes a lock per rule and subject and checks the cooldown in the
 * table, so replicas that detect the same surge together store it once.
 */
@Injectable()
export class WarningsService {
  private readonly logger = new Logger('Warnings');
  private readonly listeners: Array<(w: WarningView) => void> = [];

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(DASHBOARD_SETTINGS) private readonly settings: DashboardSettings,
  ) {}

  /** Called with every warning raised or acknowledged here (the live page shows it at once). */
  onChange(listener: (w: WarningView) => void): void {
    this.listeners.push(listener);
  }

  /** Stores and announces a warning, unless the same rule warned about the same subject within the cooldown. */
  async raise(c: WarningCandidate): Promise<WarningView | null> {
    const cooldownMs = this.settings.warnings.cooldownMinutes * MINUTE_MS;
    const view = await this.dataSource.transaction(async (em) => {
      await em.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [WARNING_LOCK_NAMESPACE, warningKey(c)]);
      const [latest]: Array<{ raised_at: Date | string }> = await em.query(
        `SELECT raised_at FROM dashboard_warning WHERE rule = $1 AND subject_type = $2 AND subject_id = $3 ORDER BY raised_at DESC LIMIT 1`,
        [c.rule, c.subjectType, c.subjectId],
      );
      if (latest && c.raisedAt - new Date(latest.raised_at).getTime() < cooldownMs) return null;
      const id = randomUUID();
      const raisedAt = new Date(c.raisedAt);
      const [row]: WarningRow[] = await em.query(
        `INSERT INTO dashboard_warning (id, rule, subject_type, subject_id, subject_name, city_code, district_code, authority_id, company_id, reason, figures, raised_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING ${COLUMNS}`,
        [id, c.rule, c.subjectType, c.subjectId, c.subjectName, c.cityCode ?? null, c.districtCode ?? null, c.authorityId ?? null, c.companyId ?? null, c.reason, JSON.stringify(c.figures), raisedAt],
      );
      await this.outbox.add(em, 'warning.raised', {
        warningId: id,
        rule: c.rule,
        subjectType: c.subjectType,
        subjectId: c.subjectId,
        subjectName: c.subjectName,
        ...(c.cityCode ? { cityCode: c.cityCode } : {}),
        ...(c.districtCode ? { districtCode: c.districtCode } : {}),
        ...(c.authorityId ? { authorityId: c.authorityId } : {}),
        ...(c.companyId ? { companyId: c.companyId } : {}),
        reason: c.reason,
        figures: c.figures,
        raisedAt: raisedAt.toISOString(),
      });
      return warningView(row);
    });
    if (view) {
      this.logger.warn(`warning ${view.rule} raised for ${view.subjectType} ${view.subjectId}: ${view.reason}`);
      this.notify(view);
    }
    return view;
  }

  /** An authority (in whose region the warning is) or the province acknowledges a warning, once. */
  async acknowledge(principal: Principal, scope: DashboardScope, id: string, note?: string): Promise<WarningView> {
    const now = this.clock.now();
    const by = `${principal.role}:${principal.sub}`;
    const view = await this.dataSource.transaction(async (em) => {
      const rows: WarningRow[] = /^[0-9a-f-]{36}$/i.test(id) ? await em.query(`SELECT ${COLUMNS} FROM dashboard_warning WHERE id = $1 FOR UPDATE`, [id]) : [];
      const found = rows[0] ? warningView(rows[0]) : undefined;
      if (!found || !covers(scope, found)) {
        throw new AppError('WARNING_NOT_FOUND', `预警 ${id} 不存在，或不在您的辖区内`, 404, 'id');
      }
      if (found.acknowledgedAt) {
        throw new AppError('WARNING_ALREADY_ACKNOWLEDGED', `该预警已于 ${found.acknowledgedAt} 由 ${found.acknowledgedBy} 确认，无需重复确认`, 409, 'id');
      }
      const [row]: WarningRow[] = await em.query(
        `UPDATE dashboard_warning SET acknowledged_at = $2, acknowledged_by = $3, acknowledgement_note = $4, updated_at = $2 WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, now, by, note ?? null],
      );
      await this.outbox.add(em, 'warning.acknowledged', {
        warningId: id,
        rule: found.rule,
        subjectType: found.subjectType,
        subjectId: found.subjectId,
        acknowledgedBy: by,
        ...(note ? { note } : {}),
        acknowledgedAt: now.toISOString(),
      });
      return warningView(Array.isArray(row) ? (row as unknown as WarningRow[])[0] : row);
    });
    this.notify(view);
    return view;
  }

  /** The warnings of a scope raised since `since`, newest first; `active`: only those not yet acknowledged. */
  async list(scope: DashboardScope, since: Date, active: boolean): Promise<WarningView[]> {
    const rows: WarningRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM dashboard_warning WHERE raised_at >= $1 ${active ? 'AND acknowledged_at IS NULL' : ''} ORDER BY raised_at DESC, id LIMIT 2000`,
      [since],
    );
    return rows.map(warningView).filter((w) => covers(scope, w));
  }

  /** Warnings changed (raised or acknowledged) since `since`, by any replica. */
  async changedSince(since: Date): Promise<WarningView[]> {
    const rows: WarningRow[] = await this.dataSource.query(`SELECT ${COLUMNS} FROM dashboard_warning WHERE updated_at >= $1 ORDER BY updated_at`, [since]);
    return rows.map(warningView);
  }

  private notify(view: WarningView): void {
    for (const listener of this.listeners) listener(view);
  }
}
