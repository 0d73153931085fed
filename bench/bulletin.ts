/*
 * Monthly bulletin (issue 6): one month's bulletin from kpi's read model on the real PostgreSQL,
 * for a realistic season (apps/kpi/src/bulletins/testing/synthetic-season.ts: 647 companies,
 * 97 authorities, 14 cities, ≈ 189,000 complaints over Nov–Mar, November the busiest month).
 *
 *   1. a fresh database with kpi's migrations (incl. the bulletin tables); unit_month filled with
 *      the season's counters, as the projector leaves them (company, authority and city rows);
 *   2. for November, timed separately, BENCH_RUNS (5) times after one warm-up, median reported:
 *      snapshot (the grouped unit_month read + figures, ranks, 红榜/黑榜), HTML (incl. the two
 *      ECharts SVG charts), XLSX (exceljs), PDF (pdfkit, embedded Noto Sans SC subset);
 *   3. the whole publication as POST /api/v1/bulletins does it (read, render the three formats,
 *      insert the immutable version and its outbox row in one transaction), once per season month;
 *   4. version 2 after a late event: one company's November counters move, publish again.
 *
 * Build and run: `npm run bench:bulletin` (= npm run build, tsc -p bench/tsconfig.json, node
 * bench/dist/bench/bulletin.js). Output: a summary on stdout and bench/results/bulletin.json.
 * Needs PostgreSQL at PG_URL (default postgres://postgres@127.0.0.1:5432/postgres); no RabbitMQ.
 *
 * The stage timing (step 2) is exported as timeBulletinStages: bench/kpi-rebuild.ts runs it on the
 * read model rebuilt from a generated season's events.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';
import { openDataSource, Outbox, systemClock } from '#shared';
import { UnitMonthBulletinDataSource } from '../apps/kpi/src/bulletins/bulletin-data-source.js';
import type { BulletinDocument } from '../apps/kpi/src/bulletins/bulletin-document.js';
import { renderBulletinHtml } from '../apps/kpi/src/bulletins/bulletin-html.js';
import { renderBulletinPdf } from '../apps/kpi/src/bulletins/bulletin-pdf.js';
import { BULLETIN_RULES, buildSnapshot } from '../apps/kpi/src/bulletins/bulletin-snapshot.js';
import { renderBulletinXlsx } from '../apps/kpi/src/bulletins/bulletin-xlsx.js';
import { BulletinsService } from '../apps/kpi/src/bulletins/bulletins.service.js';
import { seasonMonths, syntheticSeason } from '../apps/kpi/src/bulletins/testing/synthetic-season.js';
import { KPI_SCHEMA } from '../apps/kpi/src/kpi-schema.js';
import { dropDatabase, freshDatabase } from '../test/support/infra.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const START_YEAR = 2026;
const MONTH = `${START_YEAR}-11`;
const DAY_MS = 24 * 3600 * 1000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => Math.round(x * 10) / 10;

async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

export type BulletinStage = 'read' | 'snapshot' | 'html' | 'xlsx' | 'pdf' | 'total';
export interface BulletinStageTimes {
  /** Per stage, one entry per measured run (ms). */
  runs: Record<BulletinStage, number[]>;
  medianMs: Record<BulletinStage, number>;
  sizes: { html: number; pdf: number; xlsx: number; snapshotJson: number; pdfPages: number };
}

/**
 * One month's bulletin from the unit_month read model, each stage timed on its own with the code
 * the endpoint runs: one warm-up round, then `runs` rounds.
 */
export async function timeBulletinStages(ds: DataSource, month: string, runs: number, log: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<BulletinStageTimes> {
  const source = new UnitMonthBulletinDataSource(ds);
  const stages: Record<BulletinStage, number[]> = { read: [], snapshot: [], html: [], xlsx: [], pdf: [], total: [] };
  let sizes = { html: 0, pdf: 0, xlsx: 0, snapshotJson: 0, pdfPages: 0 };
  for (let run = 0; run <= runs; run++) {
    const read = await timed(() => source.countsFor([month]));
    const snap = await timed(() => buildSnapshot(month, read.value, new Date(), BULLETIN_RULES));
    const doc: BulletinDocument = { snapshot: snap.value, version: 1, createdBy: 'province:bench', changes: null };
    const html = await timed(() => renderBulletinHtml(doc));
    const xlsx = await timed(() => renderBulletinXlsx(doc));
    const pdf = await timed(() => renderBulletinPdf(doc));
    if (run === 0) {
      sizes = {
        html: Buffer.byteLength(html.value),
        pdf: pdf.value.length,
        xlsx: xlsx.value.length,
        snapshotJson: Buffer.byteLength(JSON.stringify(snap.value)),
        pdfPages: (pdf.value.toString('latin1').match(/\/Type \/Page\b(?!s)/g) ?? []).length,
      };
      continue; // warm-up
    }
    stages.read.push(read.ms);
    stages.snapshot.push(read.ms + snap.ms);
    stages.html.push(html.ms);
    stages.xlsx.push(xlsx.ms);
    stages.pdf.push(pdf.ms);
    stages.total.push(read.ms + snap.ms + html.ms + xlsx.ms + pdf.ms);
    log(`run ${run}: read ${ms(read.ms)} ms, snapshot ${ms(read.ms + snap.ms)} ms, html ${ms(html.ms)} ms, xlsx ${ms(xlsx.ms)} ms, pdf ${ms(pdf.ms)} ms`);
  }
  const medianMs = Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, ms(median(v))])) as Record<BulletinStage, number>;
  return { runs: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, v.map(ms)])) as Record<BulletinStage, number[]>, medianMs, sizes };
}

async function main(): Promise<void> {
  const tag = `heating_bench_bulletin_${process.pid}`;
  const url = await freshDatabase(tag);
  // KPI_SCHEMA has the bulletin and benchmark tables' migrations.
  const ds = await openDataSource({ kind: 'postgres', url, poolSize: 4 }, KPI_SCHEMA);
  try {
    // 1. The season's counters, in unit_month's own form (handling time in milliseconds).
    const rows = syntheticSeason({ startYear: START_YEAR });
    const fill = await timed(async () => {
      for (let i = 0; i < rows.length; i += 500) {
        const chunk = rows.slice(i, i + 500);
        const values: unknown[] = [];
        const tuples = chunk.map((r, j) => {
          const c = r.counts;
          values.push(r.unitType, r.unitId, r.month, c.dispatched, c.onTimeDispatched, c.withFeedback, Math.round(c.feedbackDaysSum * DAY_MS), c.closed, c.rated, c.satisfied, c.basicallySatisfied, c.dissatisfied, c.approvedReconsiderations, c.failedSpotChecks);
          return `(${Array.from({ length: 14 }, (_, k) => `$${j * 14 + k + 1}`).join(', ')})`;
        });
        await ds.query(
          `INSERT INTO unit_month (unit_type, unit_id, month, dispatched, on_time_dispatched, with_feedback, feedback_ms_sum, closed, rated,
             satisfied, basically_satisfied, dissatisfied, approved_reconsiderations, failed_spot_checks) VALUES ${tuples.join(', ')}`,
          values,
        );
      }
    });
    await ds.query('ANALYZE unit_month');
    const complaints = rows.filter((r) => r.unitType === 'company').reduce((a, r) => a + r.counts.dispatched, 0);
    const monthCompanies = rows.filter((r) => r.unitType === 'company' && r.month === MONTH);
    process.stdout.write(`unit_month: ${rows.length} rows, ${complaints} complaints in the season (${monthCompanies.reduce((a, r) => a + r.counts.dispatched, 0)} in ${MONTH}), filled in ${ms(fill.ms)} ms\n`);

    // 2. Each stage separately, median of RUNS after a warm-up.
    const source = new UnitMonthBulletinDataSource(ds);
    const { runs: stages, medianMs, sizes } = await timeBulletinStages(ds, MONTH, RUNS);

    // 3. Publication as the endpoint does it, once per season month (each a version 1).
    const service = new BulletinsService(ds, new Outbox('kpi', systemClock), systemClock, source, BULLETIN_RULES);
    const publish: Array<{ month: string; ms: number; version: number }> = [];
    for (const month of seasonMonths(START_YEAR)) {
      const p = await timed(() => service.publish(month, 'province:bench'));
      publish.push({ month, ms: ms(p.ms), version: p.value.bulletin.version });
      process.stdout.write(`publish ${month}: ${ms(p.ms)} ms (version ${p.value.bulletin.version})\n`);
    }
    const unchanged = await timed(() => service.publish(MONTH, 'province:bench'));

    // 4. A late event: one company's November counters move; version 2 lists the change.
    await ds.query(`UPDATE unit_month SET rated = rated + 1, dissatisfied = dissatisfied + 1 WHERE month = $1 AND unit_id IN ('HC0001', 'AU210100', '210100')`, [MONTH]);
    const v2 = await timed(() => service.publish(MONTH, 'province:bench'));
    process.stdout.write(`unchanged figures: ${ms(unchanged.ms)} ms (created ${unchanged.value.created}); version ${v2.value.bulletin.version} after a late event: ${ms(v2.ms)} ms, ${v2.value.bulletin.changedUnits} units changed\n`);

    const summary = {
      benchmark: 'monthly bulletin (issue 6): one month from the unit_month read model — snapshot, HTML, XLSX, PDF',
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadavgAtEnd: loadavg().map((x) => Math.round(x * 100) / 100) },
      data: {
        season: `${START_YEAR}-${START_YEAR + 1}`,
        month: MONTH,
        unitMonthRows: rows.length,
        seasonComplaints: complaints,
        monthComplaints: monthCompanies.reduce((a, r) => a + r.counts.dispatched, 0),
        companies: new Set(rows.filter((r) => r.unitType === 'company').map((r) => r.unitId)).size,
        authorities: new Set(rows.filter((r) => r.unitType === 'authority').map((r) => r.unitId)).size,
        cities: new Set(rows.filter((r) => r.unitType === 'city').map((r) => r.unitId)).size,
      },
      settings: { runs: RUNS, warmUp: 1 },
      medianMs,
      sizes,
      publish: { perMonth: publish, unchangedMs: ms(unchanged.ms), version2Ms: ms(v2.ms), version2ChangedUnits: v2.value.bulletin.changedUnits },
      runsMs: stages,
    };
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/bulletin.json', `${JSON.stringify(summary, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify({ medianMs: summary.medianMs, sizes }, null, 2)}\n`);
  } finally {
    await ds.destroy();
    await dropDatabase(tag).catch(() => undefined);
  }
}

// Run only as a script (bench/kpi-rebuild.ts imports timeBulletinStages).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
