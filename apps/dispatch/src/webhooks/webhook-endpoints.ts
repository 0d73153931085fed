import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { modifyReturning } from './webhook-sql.js';

/** A company's webhook endpoint as stored on its `company` row. */
export interface WebhookEndpoint {
  companyId: string;
  url: string | null;
  secret: string | null;
  disabledAt: Date | null;
  disabledReason: string | null;
}

export type EndpointState = 'active' | 'disabled' | 'not_configured';

export function endpointState(e: Pick<WebhookEndpoint, 'url' | 'secret' | 'disabledAt'>): EndpointState {
  if (!e.url || !e.secret) return 'not_configured';
  return e.disabledAt ? 'disabled' : 'active';
}

interface EndpointRow {
  id: string;
  webhook_url: string | null;
  webhook_secret: string | null;
  webhook_disabled_at: Date | string | null;
  webhook_disabled_reason: string | null;
}

const COLUMNS = 'id, webhook_url, webhook_secret, webhook_disabled_at, webhook_disabled_reason';

function toEndpoint(row: EndpointRow): WebhookEndpoint {
  return {
    companyId: row.id,
    url: row.webhook_url,
    secret: row.webhook_secret,
    disabledAt: row.webhook_disabled_at === null ? null : new Date(row.webhook_disabled_at),
    disabledReason: row.webhook_disabled_reason,
  };
}

/**
 * Reads and writes the webhook columns of `company` (url, secret, disabled state). The disabled
 * columns belong to the webhook feature and are not mapped on the registry's Company entity.
 */
@Injectable()
export class WebhookEndpoints {
  constructor(private readonly dataSource: DataSource) {}

  async get(companyId: string, em: EntityManager = this.dataSource.manager, lock = false): Promise<WebhookEndpoint | null> {
    const rows: EndpointRow[] = await em.query(`SELECT ${COLUMNS} FROM company WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [companyId]);
    return rows.length ? toEndpoint(rows[0]) : null;
  }

  /** Sets (or replaces) the URL and secret and re-enables the endpoint. False when the company is unknown. */
  async set(companyId: string, url: string, secret: string): Promise<boolean> {
    const rows = await modifyReturning(
      this.dataSource.manager,
      `UPDATE company SET webhook_url = $2, webhook_secret = $3, webhook_disabled_at = NULL, webhook_disabled_reason = NULL
        WHERE id = $1 RETURNING id`,
      [companyId, url, secret],
    );
    return rows.length > 0;
  }

  /**
   * Disables the endpoint if it still points at `url` (a company that has just set a new URL keeps
   * it). Returns whether it was disabled now.
   */
  async disable(em: EntityManager, companyId: string, url: string, at: Date, reason: string): Promise<boolean> {
    const rows = await modifyReturning(
      em,
      `UPDATE company SET webhook_disabled_at = $3, webhook_disabled_reason = $4
        WHERE id = $1 AND webhook_url = $2 AND webhook_disabled_at IS NULL RETURNING id`,
      [companyId, url, at, reason],
    );
    return rows.length > 0;
  }
}
