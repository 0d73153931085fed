/*
 * Live monitoring (issue 7): can detection keep up with 1,000 events/s, and does the live page stay
 * responsive while 100 events/s stream in?
 *
 *   1. detection: a generated stream of a busy day's events (complaints, dispatches with their
 *      station, closures, overdue cases, ratings; 14 cities, ~100 districts, 12,000 communities,
 *      4,000 stations, 647 companies; fixed seed; ~1 event per second of its own clock, i.e. ~27,000
 *      complaints a day, with a burst of 8 households in one community every 20,000 events) goes through what kpi does with each event after
 *      storing it: the live board (LiveBoard.ingest) and the early-warning rules
 *      (WarningDetector.observe), with the clock moving with the events. BENCH_RUNS (3) runs of
 *      DETECTION_EVENTS (300,000) events, median reported; plus the time to build the province's
 *      and one city's picture from the resulting board (what each push costs);
 *   2. the live page: kpi on its own (PGlite, in-process bus, system clock), the page open in
 *      Chromium (playwright-core, /usr/bin/chromium) as the province, events published on the bus at
 *      PAGE_RATE (100) per second for PAGE_SECONDS (30) s. Measured in the page: every render's
 *      duration, long tasks (PerformanceObserver 'longtask', > 50 ms on the main thread), the
 *      largest gap between animation frames, snapshots received, and when each case number first
 *      appeared in the newest-complaints list (a MutationObserver) against when it was published.
 *      kpi stores the events in PostgreSQL (PG_URL; PAGE_DB=pglite for the embedded database).
 *      A screenshot is saved to docs/img/dashboard.png.
 *
 * Build and run: `npm run bench:dashboard`. Output: a summary on stdout and bench/results/dashboard.json.
 * Needs nothing but Chromium at /usr/bin/chromium (no PostgreSQL, no RabbitMQ).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { EVENT_CONTRACTS, InProcessBus, liaoningDivisions, loadServiceConfig, startService, systemClock, TokenService } from '#shared';
import type { EventEnvelope, EventType } from '#shared';
import type { DashboardScope } from '../apps/kpi/src/dashboard/dashboard-scope.js';
import { buildDashboardBody } from '../apps/kpi/src/dashboard/dashboard-snapshot.js';
import { LiveBoard } from '../apps/kpi/src/dashboard/live-board.js';
import { KPI_DOCS, KpiModule } from '../apps/kpi/src/kpi.module.js';
import { readKpiSettings } from '../apps/kpi/src/kpi-settings.js';
import { WarningDetector } from '../apps/kpi/src/warnings/warning-detector.js';
import { launchChromium } from '../test/browser/support/chromium.js';
import { dropDatabase, freshDatabase } from '../test/support/infra.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const DETECTION_EVENTS = Number(process.env.DETECTION_EVENTS ?? 300_000);
const PAGE_RATE = Number(process.env.PAGE_RATE ?? 100);
const PAGE_SECONDS = Number(process.env.PAGE_SECONDS ?? 30);
/** kpi's database for the page run: postgres (PG_URL, as in production) or pglite (embedded). */
const PAGE_DB = process.env.PAGE_DB === 'pglite' ? 'pglite' : 'postgres';
/** Events per second of the generated day (its clock): ~86,000 events a day, several times a cold week's busiest day. */
const SIMULATED_PER_SECOND = 1;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const r1 = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);

/** A small seeded generator (mulberry32): the same stream every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CATEGORIES = ['too_cold', 'too_cold', 'too_cold', 'too_cold', 'heating_cut_off', 'heating_not_started', 'pipe_leak', 'repair_delayed', 'charges', 'staff_conduct', 'other'];
const TEXTS = [
  '卧室只有15度，暖气不热，老人孩子冻感冒了',
  '家里暖气片不热，室温不达标，测温只有16度',
  '楼上管道漏水，暖气跑水，楼下被淹',
  '小区停热两天了，物业和热力公司都没人管',
  '暖气时热时不热，换热站一直说在修',
  '地暖不热，阀门打开也没用，要求退费',
  '收费不合理，没供热也收热费',
  '维修人员态度差，约好上门没来',
];

interface Place {
  cityCode: string;
  districtCode: string;
  community: string;
  station: string;
  company: string;
  authority: string;
}

/** Liaoning's divisions with 12,000 communities, 4,000 stations (3 communities each) and 647 companies. */
function places(): Place[] {
  const out: Place[] = [];
  const districts = liaoningDivisions().flatMap((c) => c.districts.map((d) => ({ city: c.code, district: d.code })));
  for (let i = 0; i < 12_000; i++) {
    const d = districts[i % districts.length];
    const station = Math.floor(i / 3);
    const company = station % 647;
    out.push({ cityCode: d.city, districtCode: d.district, community: `第${i}小区`, station: `ST${String(station).padStart(4, '0')}`, company: `HC${String(company + 1).padStart(4, '0')}`, authority: `AU${d.district}` });
  }
  return out;
}

function envelope(type: EventType, at: number, payload: Record<string, unknown>): EventEnvelope {
  return { id: randomUUID(), type, version: EVENT_CONTRACTS[type].version, occurredAt: new Date(at).toISOString(), producer: 'dispatch', payload };
}

/** Follow-up events by time (a binary min-heap). */
class TimeHeap {
  private readonly items: Array<{ at: number; env: EventEnvelope }> = [];
  get size(): number {
    return this.items.length;
  }
  peek(): { at: number; env: EventEnvelope } {
    return this.items[0];
  }
  push(item: { at: number; env: EventEnvelope }): void {
    const a = this.items;
    a.push(item);
    for (let i = a.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (a[parent].at <= a[i].at) break;
      [a[parent], a[i]] = [a[i], a[parent]];
      i = parent;
    }
  }
  pop(): { at: number; env: EventEnvelope } {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l].at < a[m].at) m = l;
        if (r < a.length && a[r].at < a[m].at) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

/**
 * A stream of events: each new complaint is followed, a little later, by its dispatch (with its
 * station), and some by an overdue notice, or a closure and a rating. Communities are chosen with a
 * skew (a few busy ones); every `surgeEvery` events a burst of 8 households hits one community.
 */
function* eventStream(seed: number, start: number, perSecond: number, count: number, surgeEvery = 20_000, followUpScale = 1): Generator<{ at: number; env: EventEnvelope; caseNumber?: string }> {
  const rand = rng(seed);
  const all = places();
  const pending = new TimeHeap();
  let t = start;
  let produced = 0;
  let n = 0;
  const step = 1000 / perSecond;
  const complaint = (at: number, p: Place, room: string): { at: number; env: EventEnvelope; caseNumber: string } => {
    const caseId = randomUUID();
    const caseNumber = `GR-B${String(++n).padStart(8, '0')}`;
    const env = envelope('complaint.received', at, {
      caseId,
      caseNumber,
      channel: 'hotline',
      type: 'complaint',
      category: CATEGORIES[Math.floor(rand() * CATEGORIES.length)],
      communityName: p.community,
      address: { cityCode: p.cityCode, districtCode: p.districtCode, street: '某路 1 号', building: String(1 + Math.floor(rand() * 20)), unit: String(1 + Math.floor(rand() * 4)), room },
      description: TEXTS[Math.floor(rand() * TEXTS.length)],
      phone: '13900000000',
      receivedAt: new Date(at).toISOString(),
    });
    const dispatchedAt = at + followUpScale * (30_000 + rand() * 300_000);
    const base = { caseId, caseNumber, companyId: p.company, authorityId: p.authority };
    const iso = (x: number) => new Date(x).toISOString();
    pending.push({
      at: dispatchedAt,
      env: envelope('case.dispatched', dispatchedAt, {
        ...base,
        cityCode: p.cityCode,
        method: 'auto',
        reason: '按换热站分转',
        receivedAt: iso(at),
        dispatchedAt: iso(dispatchedAt),
        dueAt: iso(dispatchedAt + 3 * 86_400_000),
        districtCode: p.districtCode,
        stationId: p.station,
        stationName: `${p.station}换热站`,
      }),
    });
    const u = rand();
    if (u < 0.1) {
      const overdueAt = dispatchedAt + followUpScale * 60_000 * (1 + rand() * 30);
      pending.push({ at: overdueAt, env: envelope('case.overdue', overdueAt, { ...base, dueAt: iso(overdueAt), overdueAt: iso(overdueAt) }) });
    } else if (u < 0.6) {
      const closedAt = dispatchedAt + followUpScale * 60_000 * (1 + rand() * 30);
      pending.push({ at: closedAt, env: envelope('case.closed', closedAt, { ...base, resolution: 'fixed', closedAt: iso(closedAt) }) });
      const ratedAt = closedAt + followUpScale * 60_000;
      pending.push({ at: ratedAt, env: envelope('survey.rated', ratedAt, { surveyId: randomUUID(), ...base, rating: rand() < 0.9 ? 'satisfied' : 'dissatisfied', via: 'sms', ratedAt: iso(ratedAt) }) });
    }
    return { at, env, caseNumber };
  };
  while (produced < count) {
    if (pending.size > 0 && pending.peek().at <= t) {
      yield pending.pop();
      produced++;
      continue;
    }
    t += step;
    if (surgeEvery > 0 && produced > 0 && produced % surgeEvery < 8) {
      const p = all[(Math.floor(produced / surgeEvery) * 7919) % all.length];
      yield complaint(t, p, `surge-${Math.floor(produced / surgeEvery)}-${produced % surgeEvery}`);
      produced++;
      continue;
    }
    yield complaint(t, all[Math.floor(Math.pow(rand(), 1.5) * all.length)], String(Math.floor(rand() * 10_000)));
    produced++;
  }
}

/** 1. Detection: the live board and the rules over a generated stream, the clock moving with the events. */
function detectionRun(seed: number): { events: number; ms: number; perSecond: number; warnings: Record<string, number>; cases: number; openCases: number; todayCases: number; provinceMs: number; cityMs: number } {
  const thresholds = readKpiSettings({}, 'production').dashboard.warnings;
  const start = Date.parse('2026-12-10T00:00:00+08:00');
  // Generated first: the timing covers the board and the rules, not the generator.
  const stream = [...eventStream(seed, start, SIMULATED_PER_SECOND, DETECTION_EVENTS)];
  const board = new LiveBoard();
  const detector = new WarningDetector(thresholds, () => board.firstEventAt);
  const warnings: Record<string, number> = {};
  const t0 = performance.now();
  for (const { at, env } of stream) {
    const result = board.ingest(env);
    for (const signal of result.signals) {
      const c = detector.observe(signal, at);
      if (c) warnings[`${c.rule}:${c.subjectType}`] = (warnings[`${c.rule}:${c.subjectType}`] ?? 0) + 1;
    }
  }
  const ms = performance.now() - t0;
  const now = stream[stream.length - 1].at;
  const build = (scope: DashboardScope, key: string) =>
    median(
      Array.from({ length: 6 }, () => {
        const b0 = performance.now();
        buildDashboardBody(board, scope, key, now, null);
        return performance.now() - b0;
      }).slice(1),
    );
  const provinceMs = build({ kind: 'province' }, 'province');
  const cityMs = build({ kind: 'city', cityCode: '210100' }, 'city:210100');
  const today = board.byDay.get(new Date(now + 8 * 3600_000).toISOString().slice(0, 10))?.size ?? 0;
  return { events: stream.length, ms, perSecond: Math.round(stream.length / (ms / 1000)), warnings, cases: board.cases.size, openCases: board.open.size, todayCases: today, provinceMs, cityMs };
}

interface PageStats {
  renders: number;
  received: number;
  ignored: number;
  renderMs: number[];
  longTasks: number[];
  maxFrameGapMs: number;
}

/** 2. The live page in Chromium while events stream in on the bus. */
async function pageRun(): Promise<Record<string, unknown>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-dashboard-'));
  const authSecret = randomBytes(32).toString('base64url');
  const dbName = `heating_bench_dashboard_${process.pid}`;
  const env =
    PAGE_DB === 'postgres'
      ? { HEATING_MODE: 'production', KPI_DATABASE_URL: await freshDatabase(dbName), AMQP_URL: 'amqp://unused.invalid', AUTH_SECRET: authSecret }
      : { HEATING_MODE: 'embedded', DATA_DIR: dataDir };
  const config = loadServiceConfig('kpi', { ...process.env, ...env, KPI_PORT: '0', LOG_LEVEL: 'error' }, 'embedded');
  const bus = new InProcessBus();
  const runtime = { config, clock: systemClock, broker: { kind: 'in-process' as const, bus }, authSecret };
  const app = await startService(KpiModule.register(runtime), runtime, KPI_DOCS);
  const url = `http://${config.host}:${(app.getHttpServer().address() as AddressInfo).port}`;
  const token = await new TokenService(authSecret).sign({ sub: 'bench', role: 'province' }, 3600);
  const browser = await launchChromium({ width: 1600, height: 1000 });
  try {
    const page = await browser.context.newPage();
    await page.addInitScript(`
      window.__bench = { longTasks: [], maxFrameGapMs: 0, seen: {} };
      // When each case number first appeared on the page (the newest complaints list).
      new MutationObserver(() => {
        const now = Date.now();
        for (const row of document.querySelectorAll('.recent-row')) {
          const cn = row.getAttribute('data-case-number');
          if (!(cn in window.__bench.seen)) window.__bench.seen[cn] = now;
        }
      }).observe(document, { childList: true, subtree: true });
      new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__bench.longTasks.push(e.duration); }).observe({ type: 'longtask', buffered: true });
      let last = performance.now();
      const frame = (t) => { window.__bench.maxFrameGapMs = Math.max(window.__bench.maxFrameGapMs, t - last); last = t; requestAnimationFrame(frame); };
      requestAnimationFrame(frame);
    `);
    await page.goto(`${url}/dashboard#token=${token}`);
    await page.waitForSelector('#status[data-state="live"]', { timeout: 30_000 });
    await page.waitForFunction('Number(document.body.getAttribute("data-version")) > 0');
    await page.evaluate('window.__bench.longTasks = []; window.__bench.maxFrameGapMs = 0; window.__dashboard.renderMs.length = 0');
    const before: { renders: number; received: number } = await page.evaluate('({ renders: window.__dashboard.renders, received: window.__dashboard.received })');

    const total = PAGE_RATE * PAGE_SECONDS;
    // Follow-ups 20 times sooner than in the detection stream (dispatch 1.5–16.5 s after the complaint), so a
    // short run carries the whole mix: complaints, dispatches, closures, ratings, overdue notices.
    const stream = eventStream(7, Date.now(), PAGE_RATE, total, 1500, 0.05);
    const sentAt = new Map<string, number>();
    const t0 = Date.now();
    let published = 0;
    for (const item of stream) {
      // Pace: publish event k at t0 + k / rate, with its own timestamps moved to now.
      const due = t0 + (published * 1000) / PAGE_RATE;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      bus.publish(retime(item.env));
      if (item.caseNumber) sentAt.set(item.caseNumber, Date.now());
      published++;
    }
    const publishSeconds = (Date.now() - t0) / 1000;
    const duringPublish: { received: number } = await page.evaluate('({ received: window.__dashboard.received })');
    const ds = app.get(DataSource);
    let stored = 0;
    for (let i = 0; i < 600; i++) {
      stored = (await ds.query(`SELECT count(*)::int AS n FROM kpi_event`))[0].n;
      if (stored >= published) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const drainedSeconds = (Date.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 1500));
    const stats: PageStats = await page.evaluate(
      '({ renders: window.__dashboard.renders, received: window.__dashboard.received, ignored: window.__dashboard.ignored, renderMs: window.__dashboard.renderMs, longTasks: window.__bench.longTasks, maxFrameGapMs: window.__bench.maxFrameGapMs })',
    );
    mkdirSync('docs/img', { recursive: true });
    await page.screenshot({ path: 'docs/img/dashboard.png', fullPage: true });
    const warnings = (await ds.query(`SELECT rule, subject_type, count(*)::int AS n FROM dashboard_warning GROUP BY 1, 2 ORDER BY 1, 2`)) as Array<{ rule: string; subject_type: string; n: number }>;
    const seen: Record<string, number> = await page.evaluate('window.__bench.seen');
    // Publish → on screen, for every complaint that was among the newest shown by some picture.
    const latencies = Object.entries(seen)
      .filter(([cn]) => sentAt.has(cn))
      .map(([cn, at]) => at - sentAt.get(cn)!);
    return {
      database: PAGE_DB === 'postgres' ? 'PostgreSQL (PG_URL), in-process bus' : 'PGlite (embedded), in-process bus',
      rate: PAGE_RATE,
      seconds: PAGE_SECONDS,
      published,
      publishSeconds: r1(publishSeconds),
      stored,
      allStoredAfterSeconds: r1(drainedSeconds),
      snapshotsReceived: stats.received - before.received,
      snapshotsPerSecondWhilePublishing: r1((duringPublish.received - before.received) / publishSeconds),
      renders: stats.renders - before.renders,
      duplicatesIgnored: stats.ignored,
      renderMs: { p50: r1(pct(stats.renderMs, 50)), p95: r1(pct(stats.renderMs, 95)), max: r1(Math.max(...stats.renderMs)) },
      longTasks: { count: stats.longTasks.length, totalMs: r1(stats.longTasks.reduce((a, b) => a + b, 0)), maxMs: r1(stats.longTasks.length ? Math.max(...stats.longTasks) : 0) },
      maxFrameGapMs: r1(stats.maxFrameGapMs),
      complaintsPublished: sentAt.size,
      publishToScreenMs: { samples: latencies.length, p50: r1(pct(latencies, 50)), p95: r1(pct(latencies, 95)), max: r1(latencies.length ? Math.max(...latencies) : null) },
      warnings: Object.fromEntries(warnings.map((w) => [`${w.rule}:${w.subject_type}`, w.n])),
    };
  } finally {
    await browser.close();
    await app.close();
    bus.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (PAGE_DB === 'postgres') await dropDatabase(dbName);
  }
}

/** The generated event with its times moved so that it happened now (the page shows today). */
function retime(env: EventEnvelope): EventEnvelope {
  const shift = Date.now() - Date.parse(env.occurredAt);
  const move = (v: unknown) => (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v) ? new Date(Date.parse(v) + shift).toISOString() : v);
  const payload = Object.fromEntries(Object.entries(env.payload as Record<string, unknown>).map(([k, v]) => [k, move(v)]));
  return { ...env, occurredAt: new Date(Date.parse(env.occurredAt) + shift).toISOString(), payload };
}

async function main(): Promise<void> {
  console.log(`detection: ${RUNS} runs of ${DETECTION_EVENTS} events`);
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const r = detectionRun(11 + i);
    console.log(`  run ${i + 1}: ${r.events} events in ${r1(r.ms)} ms = ${r.perSecond} events/s; warnings ${JSON.stringify(r.warnings)}; picture: province ${r1(r.provinceMs)} ms, city ${r1(r.cityMs)} ms`);
    runs.push(r);
  }
  console.log(`page: ${PAGE_RATE} events/s for ${PAGE_SECONDS} s`);
  const page = await pageRun();
  console.log(JSON.stringify(page, null, 2));
  const result = {
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadavg: loadavg().map((x) => Math.round(x * 100) / 100) },
    detection: {
      events: DETECTION_EVENTS,
      runs: runs.map((r) => ({ ms: r1(r.ms), perSecond: r.perSecond, cases: r.cases, openCases: r.openCases, todayCases: r.todayCases, warnings: r.warnings, provinceMs: r1(r.provinceMs), cityMs: r1(r.cityMs) })),
      medianPerSecond: median(runs.map((r) => r.perSecond)),
      medianProvincePictureMs: r1(median(runs.map((r) => r.provinceMs))),
      medianCityPictureMs: r1(median(runs.map((r) => r.cityMs))),
    },
    page,
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/dashboard.json', `${JSON.stringify(result, null, 2)}\n`);
  console.log(`median detection: ${result.detection.medianPerSecond} events/s; written bench/results/dashboard.json and docs/img/dashboard.png`);
}

await main();
