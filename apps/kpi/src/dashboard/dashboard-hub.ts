import { Inject, Injectable, Logger } from '@nestjs/common';
import type { BeforeApplicationShutdown, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CLOCK, shanghaiMonth } from '#shared';
import type { Clock, EventEnvelope } from '#shared';
import type { CommittedEventListener } from '../events/kpi-events.consumer.js';
import { computeIndicators } from '../indicators/indicator-formulas.js';
import { DASHBOARD_SETTINGS } from '../kpi-settings.js';
import type { DashboardSettings } from '../kpi-settings.js';
import { DAY_MS } from '../projection/case-state.js';
import { WarningDetector } from '../warnings/warning-detector.js';
import type { WarningCandidate } from '../warnings/warning-signals.js';
import { WarningsService } from '../warnings/warnings.service.js';
import { scopeKey, scopeLabel } from './dashboard-scope.js';
import type { DashboardScope } from './dashboard-scope.js';
import { buildDashboardBody } from './dashboard-snapshot.js';
import type { DashboardBody, MonthToDate } from './dashboard-snapshot.js';
import { LiveBoard, shanghaiDay } from './live-board.js';
import { StreamClient } from './stream-client.js';
import type { StreamMessage } from './stream-client.js';

/** A stream message's body: the picture, its version and when it was made. */
export type DashboardSnapshot = DashboardBody & { epoch: string; version: number; generatedAt: string };

interface ScopeState {
  key: string;
  scope: DashboardScope;
  clients: Set<StreamClient>;
  /** The board revision and day the picture was built at. */
  revision: number;
  day: string;
  monthToDate: MonthToDate | null;
  monthToDateAt: number;
  bodyJson: string;
  snapshot?: DashboardSnapshot;
  message?: StreamMessage;
  lastUsedAt: number;
}

const WARM_UP_PAGE = 5_000;
/** The sync re-reads this far back: a transaction of another replica may commit events stamped a little earlier. */
const SYNC_OVERLAP_MS = 60_000;
const MONTH_TO_DATE_REFRESH_MS = 5_000;
const HEARTBEAT_MS = 15_000;
const PRUNE_MS = 60_000;
/** A scope nobody watched for this long is dropped (its picture is rebuilt when someone comes back). */
const IDLE_SCOPE_MS = 60_000;

const SUMS = ['dispatched', 'on_time_dispatched', 'with_feedback', 'feedback_ms_sum', 'closed', 'rated', 'satisfied', 'basically_satisfied', 'dissatisfied', 'approved_reconsiderations', 'failed_spot_checks'];

/**
 * The live monitoring hub: keeps the live board (from the events kpi consumes, and at start-up
 * from those it stored), runs the early-warning rules on each event, and serves every scope's
 * picture to its open streams — at most once per push interval (a dirty check, not one message
 * per event), each with a version so a reconnecting page gets the latest picture once.
 */
@Injectable()
export class DashboardHub implements CommittedEventListener, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('DashboardHub');
  readonly board = new LiveBoard();
  readonly detector: WarningDetector;
  /** Identifies this process's versions: a page that reconnects to another process (or after a restart) takes its picture whole. */
  readonly epoch = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  private seq = 0;
  private ready = false;
  private readonly scopes = new Map<string, ScopeState>();
  private readonly timers: NodeJS.Timeout[] = [];
  private pushing = false;
  private syncing = false;
  private lastSyncAt = 0;
  private raising: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dataSource: DataSource,
    private readonly warnings: WarningsService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(DASHBOARD_SETTINGS) private readonly settings: DashboardSettings,
  ) {
    this.detector = new WarningDetector(settings.warnings, () => this.board.firstEventAt);
    warnings.onChange((w) => {
      this.board.upsertWarning(w);
      this.detector.remember(w, Date.parse(w.raisedAt));
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.warmUp();
    const every = (ms: number, fn: () => unknown) => {
      const t = setInterval(() => void fn(), ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.settings.pushIntervalMs, () => this.push());
    every(HEARTBEAT_MS, () => this.forEachClient((c) => c.heartbeat()));
    every(PRUNE_MS, () => this.board.prune(this.clock.now().getTime() - this.settings.horizonDays * DAY_MS));
    if (this.settings.syncIntervalMs > 0) every(this.settings.syncIntervalMs, () => this.sync());
  }

  /** Open streams would hold the HTTP server's close forever: they end first (the pages reconnect elsewhere). */
  beforeApplicationShutdown(): void {
    for (const t of this.timers) clearInterval(t);
    this.closeStreams();
  }

  onApplicationShutdown(): void {
    this.closeStreams();
  }

  /** Ends every open stream; the pages reconnect with a new ticket and the version they hold. */
  closeStreams(): void {
    this.forEachClient((c) => c.end());
  }

  /** An event kpi stored (its transaction committed): onto the board, through the rules. */
  onCommitted(env: EventEnvelope): void {
    try {
      this.take(env);
    } catch (error) {
      // The page must never cost kpi an event: the event is stored, the board catches up at the next start.
      this.logger.error({ err: error, type: env.type }, 'live board could not take an event');
    }
  }

  /** Whether the board has read what kpi had stored when it started. */
  get isReady(): boolean {
    return this.ready;
  }

  /** Warnings being written; tests and shutdown wait for them. */
  async settled(): Promise<void> {
    await this.raising;
  }

  private take(env: EventEnvelope): void {
    const result = this.board.ingest(env);
    if (result.signals.length === 0) return;
    const now = this.clock.now().getTime();
    for (const signal of result.signals) {
      const candidate = this.detector.observe(signal, now, this.ready);
      if (candidate) this.raise(candidate);
    }
  }

  /** Warnings are stored one after the other, off the consumer's path. */
  private raise(candidate: WarningCandidate): void {
    this.raising = this.raising
      .then(() => this.warnings.raise(candidate))
      .catch((error: unknown) => {
        this.detector.forget(candidate, candidate.raisedAt);
        this.logger.error({ err: error, rule: candidate.rule, subject: candidate.subjectId }, 'could not store a warning');
      });
  }

  /** Reads the events of the horizon that kpi stored, and the warnings raised in it; the rules learn, nothing is raised. */
  private async warmUp(): Promise<void> {
    const started = this.clock.now();
    const since = new Date(started.getTime() - this.settings.horizonDays * DAY_MS);
    let after: { at: Date; id: string } | undefined;
    let events = 0;
    for (;;) {
      const rows: Array<{ message_id: string; type: string; version: number; occurred_at: Date | string; payload: Record<string, unknown> }> = await this.dataSource.query(
        `SELECT message_id, type, version, occurred_at, payload FROM kpi_event
          WHERE occurred_at >= $1 ${after ? 'AND (occurred_at, message_id) > ($2, $3::uuid)' : ''}
          ORDER BY occurred_at, message_id LIMIT ${WARM_UP_PAGE}`,
        after ? [since, after.at, after.id] : [since],
      );
      for (const r of rows) this.take(envelopeOf(r));
      events += rows.length;
      if (rows.length < WARM_UP_PAGE) break;
      const last = rows[rows.length - 1];
      after = { at: new Date(last.occurred_at), id: last.message_id };
    }
    for (const w of await this.warnings.changedSince(since)) {
      this.board.upsertWarning(w);
      this.detector.remember(w, Date.parse(w.raisedAt));
    }
    this.lastSyncAt = started.getTime();
    this.ready = true;
    this.logger.log(`live board ready: ${events} events of the last ${this.settings.horizonDays} days, ${this.board.cases.size} cases, ${this.board.warnings.size} warnings`);
  }

  /** Another replica's events and warnings (replicas share the queue: each consumes only part of the events). */
  async sync(): Promise<void> {
    if (this.syncing || !this.ready) return;
    this.syncing = true;
    try {
      const started = this.clock.now().getTime();
      const from = new Date(this.lastSyncAt - SYNC_OVERLAP_MS);
      const ids: Array<{ message_id: string }> = await this.dataSource.query(`SELECT message_id FROM kpi_event WHERE received_at >= $1`, [from]);
      const missing = ids.map((r) => r.message_id).filter((id) => !this.board.has(id));
      for (let i = 0; i < missing.length; i += WARM_UP_PAGE) {
        const rows = await this.dataSource.query(
          `SELECT message_id, type, version, occurred_at, payload FROM kpi_event WHERE message_id = ANY($1::uuid[]) ORDER BY occurred_at, message_id`,
          [missing.slice(i, i + WARM_UP_PAGE)],
        );
        for (const r of rows) this.take(envelopeOf(r));
      }
      for (const w of await this.warnings.changedSince(from)) {
        this.board.upsertWarning(w);
        this.detector.remember(w, Date.parse(w.raisedAt));
      }
      this.lastSyncAt = started;
    } catch (error) {
      this.logger.warn({ err: error }, 'live board sync failed; retrying at the next interval');
    } finally {
      this.syncing = false;
    }
  }

  /** Opens a stream for a scope. `lastEventId`: the version a reconnecting page already holds. */
  async subscribe(scope: DashboardScope, client: StreamClient, lastEventId: string | undefined): Promise<void> {
    const state = this.stateOf(scope);
    state.clients.add(client);
    await this.refresh(state, this.clock.now().getTime());
    if (client.isClosed) {
      state.clients.delete(client);
      return;
    }
    if (lastEventId && state.message && lastEventId === state.message.id) client.alreadyHas(state.message.seq);
    client.offer(state.message);
  }

  unsubscribe(scope: DashboardScope, client: StreamClient): void {
    this.scopes.get(scopeKey(scope))?.clients.delete(client);
  }

  /** The scope's current picture (GET /api/v1/dashboard/snapshot). */
  async snapshot(scope: DashboardScope): Promise<DashboardSnapshot> {
    const state = this.stateOf(scope);
    await this.refresh(state, this.clock.now().getTime());
    return state.snapshot!;
  }

  /** One push round now (tests; the timer calls it every push interval). */
  async push(): Promise<void> {
    if (this.pushing) return;
    this.pushing = true;
    try {
      const now = this.clock.now().getTime();
      for (const state of [...this.scopes.values()]) {
        for (const c of state.clients) if (c.isClosed) state.clients.delete(c);
        if (state.clients.size === 0) {
          if (now - state.lastUsedAt > IDLE_SCOPE_MS) this.scopes.delete(state.key);
          continue;
        }
        state.lastUsedAt = now;
        await this.refresh(state, now);
        for (const c of state.clients) c.offer(state.message);
      }
    } catch (error) {
      this.logger.error({ err: error }, 'dashboard push failed');
    } finally {
      this.pushing = false;
    }
  }

  get streams(): number {
    let n = 0;
    for (const s of this.scopes.values()) n += s.clients.size;
    return n;
  }

  private stateOf(scope: DashboardScope): ScopeState {
    const key = scopeKey(scope);
    let state = this.scopes.get(key);
    if (!state) {
      state = { key, scope, clients: new Set(), revision: -1, day: '', monthToDate: null, monthToDateAt: 0, bodyJson: '', lastUsedAt: this.clock.now().getTime() };
      this.scopes.set(key, state);
    }
    return state;
  }

  /** Rebuilds the scope's picture if the board moved (or the day turned, or the month-to-date figures are due). */
  private async refresh(state: ScopeState, now: number): Promise<void> {
    let figuresMoved = false;
    if (now - state.monthToDateAt >= MONTH_TO_DATE_REFRESH_MS) {
      const figures = await this.monthToDate(state.scope, now);
      figuresMoved = JSON.stringify(figures) !== JSON.stringify(state.monthToDate);
      state.monthToDate = figures;
      state.monthToDateAt = now;
    }
    const day = shanghaiDay(now);
    if (state.message && !figuresMoved && state.revision === this.board.revision && state.day === day) return;
    const body = buildDashboardBody(this.board, state.scope, state.key, now, state.monthToDate);
    state.revision = this.board.revision;
    state.day = day;
    const json = JSON.stringify(body);
    if (state.message && json === state.bodyJson) return;
    state.bodyJson = json;
    const seq = ++this.seq;
    state.snapshot = { epoch: this.epoch, version: seq, generatedAt: new Date(now).toISOString(), ...body };
    const id = `${this.epoch}-${seq}`;
    state.message = { id, seq, text: `id: ${id}\nevent: snapshot\ndata: ${JSON.stringify(state.snapshot)}\n\n` };
  }

  /** The scope's unit this month so far, from the indicators' read model (unit_month). */
  private async monthToDate(scope: DashboardScope, now: number): Promise<MonthToDate> {
    const month = shanghaiMonth(new Date(now));
    const where =
      scope.kind === 'province'
        ? { sql: `unit_type = 'city'`, params: [] as string[] }
        : scope.kind === 'city'
          ? { sql: `unit_type = 'city' AND unit_id = $2`, params: [scope.cityCode] }
          : { sql: `unit_type = 'authority' AND unit_id = $2`, params: [scope.authorityId] };
    const [row]: Array<Record<string, string | number | null>> = await this.dataSource.query(
      `SELECT ${SUMS.map((c) => `COALESCE(SUM(${c}), 0)::float8 AS ${c}`).join(', ')} FROM unit_month WHERE month = $1 AND ${where.sql}`,
      [month, ...where.params],
    );
    const v = (c: string) => Number(row?.[c] ?? 0);
    const indicators = computeIndicators({
      dispatched: v('dispatched'),
      onTimeDispatched: v('on_time_dispatched'),
      withFeedback: v('with_feedback'),
      feedbackDaysSum: v('feedback_ms_sum') / DAY_MS,
      closed: v('closed'),
      rated: v('rated'),
      satisfied: v('satisfied'),
      basicallySatisfied: v('basically_satisfied'),
      dissatisfied: v('dissatisfied'),
      approvedReconsiderations: v('approved_reconsiderations'),
      failedSpotChecks: v('failed_spot_checks'),
    });
    return {
      month,
      unit: scope.kind === 'county' || scope.kind === 'authority' ? `主管单位 ${scope.authorityId}` : scopeLabel(scope),
      dispatched: v('dispatched'),
      indicators: {
        feedbackRate: indicators.feedbackRate.value,
        handlingDays: indicators.handlingDays.value,
        onTimeDispatchRate: indicators.onTimeDispatchRate.value,
        completionRate: indicators.completionRate.value,
        satisfactionRate: indicators.satisfactionRate.value,
      },
    };
  }

  private forEachClient(fn: (c: StreamClient) => void): void {
    for (const s of this.scopes.values()) for (const c of s.clients) fn(c);
  }
}

function envelopeOf(r: { message_id: string; type: string; version: number; occurred_at: Date | string; payload: Record<string, unknown> }): EventEnvelope {
  return { id: r.message_id, type: r.type, version: Number(r.version), occurredAt: new Date(r.occurred_at).toISOString(), producer: 'kpi', payload: r.payload };
}
