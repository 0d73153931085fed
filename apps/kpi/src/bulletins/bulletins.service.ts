import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppError, CLOCK, Outbox } from '#shared';
import type { Clock } from '#shared';
import { BULLETIN_DATA_SOURCE } from './bulletin-data-source.js';
import type { BulletinDataSource } from './bulletin-data-source.js';
import { diffSnapshots, sameFigures } from './bulletin-diff.js';
import type { BulletinChanges } from './bulletin-diff.js';
import { CONTENT_TYPES, fileNames } from './bulletin-document.js';
import type { BulletinDocument, BulletinFormat } from './bulletin-document.js';
import { renderBulletinHtml } from './bulletin-html.js';
import { renderBulletinPdf } from './bulletin-pdf.js';
import { buildSnapshot } from './bulletin-snapshot.js';
import type { BulletinRules, BulletinSnapshot } from './bulletin-snapshot.js';
import { renderBulletinXlsx } from './bulletin-xlsx.js';

/** The ranking rules the bulletins name (threshold from KPI_RED_BLACK_MIN_DISPATCHED, as kpi's rankings). */
export const BULLETIN_RULES_TOKEN = Symbol('BULLETIN_RULES');

/** Namespace of the per-month transaction lock: pg_advisory_xact_lock(namespace, hashtext(month)). */
const BULLETIN_LOCK_NAMESPACE = 4_501;

export interface BulletinSummary {
  id: string;
  month: string;
  version: number;
  createdAt: string;
  createdBy: string;
  /** Units whose figures changed since the previous version (null for version 1). */
  changedUnits: number | null;
  sha256: Record<BulletinFormat, string>;
  bytes: Record<BulletinFormat, number>;
  files: Record<BulletinFormat, string>;
}

export interface BulletinFile {
  bytes: Buffer;
  contentType: string;
  fileName: string;
  displayName: string;
  sha256: string;
}

export interface PublishResult {
  /** false: the figures had not changed, the latest published version is answered. */
  created: boolean;
  bulletin: BulletinSummary;
}

interface SummaryRow {
  id: string;
  month: string;
  version: number;
  created_at: Date | string;
  created_by: string;
  changed_units: number | null;
  sha256_html: string;
  sha256_pdf: string;
  sha256_xlsx: string;
  html_bytes: number;
  pdf_bytes: number;
  xlsx_bytes: number;
}

const SUMMARY_COLUMNS = `id, month, version, created_at, created_by, jsonb_array_length(changes->'units') AS changed_units,
  sha256_html, sha256_pdf, sha256_xlsx, octet_length(html) AS html_bytes, octet_length(pdf) AS pdf_bytes, octet_length(xlsx) AS xlsx_bytes`;

export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

function summary(r: SummaryRow): BulletinSummary {
  const base = `/api/v1/bulletins/${r.month}/v${r.version}`;
  return {
    id: r.id,
    month: r.month,
    version: Number(r.version),
    createdAt: new Date(r.created_at).toISOString(),
    createdBy: r.created_by,
    changedUnits: r.changed_units === null ? null : Number(r.changed_units),
    sha256: { html: r.sha256_html, pdf: r.sha256_pdf, xlsx: r.sha256_xlsx },
    bytes: { html: Number(r.html_bytes), pdf: Number(r.pdf_bytes), xlsx: Number(r.xlsx_bytes) },
    files: { html: `${base}.html`, pdf: `${base}.pdf`, xlsx: `${base}.xlsx` },
  };
}

export interface RenderedBulletin {
  html: string;
  pdf: Buffer;
  xlsx: Buffer;
}

export async function renderBulletin(doc: BulletinDocument): Promise<RenderedBulletin> {
  const html = renderBulletinHtml(doc);
  const pdf = await renderBulletinPdf(doc);
  const xlsx = await renderBulletinXlsx(doc);
  return { html, pdf, xlsx };
}

/**
 * Monthly bulletins: generated from the read model, published as immutable versions. Publishing
 * the same month again makes a new version only when a unit's counters moved (late events); the
 * new version lists what changed. The version row and its bulletin.published event are written in
 * one transaction, under a per-month lock, so concurrent publishers (replicas, the schedule and a
 * person) never make two versions of the same figures.
 */
@Injectable()
export class BulletinsService {
  private readonly logger = new Logger('Bulletins');

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(BULLETIN_DATA_SOURCE) private readonly source: BulletinDataSource,
    @Inject(BULLETIN_RULES_TOKEN) private readonly rules: BulletinRules,
  ) {}

  /** The month's figures as they are now. */
  async snapshot(month: string): Promise<BulletinSnapshot> {
    return buildSnapshot(month, await this.source.countsFor([month]), this.clock.now(), this.rules);
  }

  /** A draft: rendered from the figures as they are now, neither stored nor published. */
  async draft(month: string, createdBy: string): Promise<BulletinDocument> {
    return { snapshot: await this.snapshot(month), version: null, createdBy, changes: null };
  }

  /**
   * Publishes version 1, or version N+1 when the figures moved since version N; otherwise answers
   * the latest version. `onlyFirst` (the schedule): never more than version 1.
   */
  async publish(month: string, createdBy: string, options: { onlyFirst?: boolean } = {}): Promise<PublishResult> {
    // Read (and render) outside the transaction: embedded PGlite has one connection, held by it.
    const snapshot = await this.snapshot(month);
    return this.dataSource.transaction(async (em) => {
      await em.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [BULLETIN_LOCK_NAMESPACE, month]);
      const latest: Array<{ version: number; snapshot: BulletinSnapshot | string }> = await em.query(
        'SELECT version, snapshot FROM bulletin WHERE month = $1 ORDER BY version DESC LIMIT 1',
        [month],
      );
      const previous = latest[0] ? { version: Number(latest[0].version), snapshot: parseJson<BulletinSnapshot>(latest[0].snapshot) } : undefined;
      if (previous && (options.onlyFirst || sameFigures(previous.snapshot, snapshot))) {
        const [row] = await em.query(`SELECT ${SUMMARY_COLUMNS} FROM bulletin WHERE month = $1 AND version = $2`, [month, previous.version]);
        return { created: false, bulletin: summary(row) };
      }
      const version = (previous?.version ?? 0) + 1;
      const changes: BulletinChanges | null = previous ? diffSnapshots(previous.snapshot, snapshot, previous.version) : null;
      const rendered = await renderBulletin({ snapshot, version, createdBy, changes });
      const id = randomUUID();
      const publishedAt = this.clock.now();
      const hashes = { html: sha256(rendered.html), pdf: sha256(rendered.pdf), xlsx: sha256(rendered.xlsx) };
      const [row] = await em.query(
        `INSERT INTO bulletin (id, month, version, created_at, created_by, snapshot, changes, html, pdf, xlsx, sha256_html, sha256_pdf, sha256_xlsx)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         RETURNING ${SUMMARY_COLUMNS}`,
        [id, month, version, publishedAt, createdBy, JSON.stringify(snapshot), changes ? JSON.stringify(changes) : null, rendered.html, rendered.pdf, rendered.xlsx, hashes.html, hashes.pdf, hashes.xlsx],
      );
      await this.outbox.add(em, 'bulletin.published', {
        bulletinId: id,
        month,
        version,
        publishedAt: publishedAt.toISOString(),
        sha256Html: hashes.html,
        sha256Pdf: hashes.pdf,
        sha256Xlsx: hashes.xlsx,
      });
      this.logger.log(`bulletin ${month} version ${version} published by ${createdBy}${changes ? ` (${changes.units.length} units changed)` : ''}`);
      return { created: true, bulletin: summary(row) };
    });
  }

  /** Published versions, newest month first; of one month when given. */
  async list(month?: string): Promise<BulletinSummary[]> {
    const rows: SummaryRow[] = month
      ? await this.dataSource.query(`SELECT ${SUMMARY_COLUMNS} FROM bulletin WHERE month = $1 ORDER BY version`, [month])
      : await this.dataSource.query(`SELECT ${SUMMARY_COLUMNS} FROM bulletin ORDER BY month DESC, version DESC LIMIT 500`);
    return rows.map(summary);
  }

  async hasAny(month: string): Promise<boolean> {
    const rows = await this.dataSource.query('SELECT 1 FROM bulletin WHERE month = $1 LIMIT 1', [month]);
    return rows.length > 0;
  }

  /** The stored snapshot and changes of a version (JSON). */
  async version(month: string, version: number): Promise<BulletinSummary & { snapshot: BulletinSnapshot; changes: BulletinChanges | null }> {
    const rows = await this.dataSource.query(`SELECT ${SUMMARY_COLUMNS}, snapshot, changes FROM bulletin WHERE month = $1 AND version = $2`, [month, version]);
    if (rows.length === 0) throw notFound(month, version);
    return { ...summary(rows[0]), snapshot: parseJson(rows[0].snapshot), changes: rows[0].changes === null ? null : parseJson(rows[0].changes) };
  }

  /** One file of a published version, exactly as stored. */
  async file(month: string, version: number, format: BulletinFormat): Promise<BulletinFile> {
    const rows = await this.dataSource.query(`SELECT ${format} AS data, sha256_${format} AS sha256 FROM bulletin WHERE month = $1 AND version = $2`, [month, version]);
    if (rows.length === 0) throw notFound(month, version);
    const names = fileNames(month, version, format);
    const data = rows[0].data;
    return {
      bytes: typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data),
      contentType: CONTENT_TYPES[format],
      fileName: names.ascii,
      displayName: names.display,
      sha256: rows[0].sha256,
    };
  }
}

function notFound(month: string, version: number): AppError {
  return new AppError('BULLETIN_NOT_FOUND', `${month} 的月度通报第 ${version} 版不存在`, 404);
}

function parseJson<T>(value: T | string): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}
