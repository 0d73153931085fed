import { SERVICE_NAMES } from '#shared';
import type { ServiceName, TokenService } from '#shared';
import { buildDemoRegistry } from '../../apps/dispatch/src/registry/demo-registry.js';
import { eventually } from './eventually.js';
import { call } from './http.js';
import type { InfraSuite } from './infra.js';
import { temperatureSlip } from './thin-loop.js';
import { WebhookReceiver } from './webhook-receiver.js';

/*
 * Many cases through the whole loop at once, for fault tests: operators file complaints (retrying
 * with the same Idempotency-Key when a request fails, as a careful client does), companies with a
 * webhook endpoint get them and feed back, residents rate by SMS reply, and at the end
 * `reconcile` checks every service's tables against what was done: each accepted complaint reached
 * exactly one company (or the manual queue) once, each feedback made one survey and one survey
 * SMS, each rating is counted once, nothing is left unpublished or dead-lettered.
 */

/** What a flow needs from a running suite (in-process or one process per service). */
export interface FlowTarget {
  url(service: ServiceName): string;
  query<T = any>(service: ServiceName, sql: string, params?: unknown[]): Promise<T[]>;
  tokens: TokenService;
}

export function flowTargetOf(suite: InfraSuite): FlowTarget {
  return { url: (service) => suite.urls[service], query: (service, sql, params) => suite.query(service, sql, params), tokens: suite.tokens };
}

/** A demo-registry community with a clear owner, and its company. */
export interface Place {
  companyId: string;
  authorityId: string;
  communityName: string;
  cityCode: string;
  districtCode: string;
}

/** `count` companies of the demo registry (from `offset`), one community with a clear owner each. */
export function demoPlaces(count: number, offset = 0): Place[] {
  const registry = buildDemoRegistry();
  const places: Place[] = [];
  for (const company of registry.companies.slice(offset)) {
    const community = registry.communities.find((c) => c.companyId === company.id && !c.unclearOwner);
    if (!community) continue;
    // A name used twice in the district would be ambiguous (manual dispatch): skip it.
    if (registry.communities.filter((c) => c.districtCode === community.districtCode && c.name === community.name).length > 1) continue;
    places.push({ companyId: company.id, authorityId: company.authorityId, communityName: community.name, cityCode: company.cityCode, districtCode: community.districtCode });
    if (places.length === count) break;
  }
  return places;
}

/** A community no registry knows: the case waits in the district authority's manual queue. */
const UNKNOWN_COMMUNITY = '不存在的测试小区';

export interface FlowCase {
  caseId: string;
  caseNumber: string;
  phone: string;
  /** The company the registry routes it to; null: manual dispatch. */
  companyId: string | null;
  closed: boolean;
  rating: '1' | '2' | '3' | null;
}

const transient = (status: number) => status >= 500 || status === 429;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends until an answer that is not a transient failure (5xx, 429, connection refused/reset); returns it. */
async function persist(what: string, send: () => Promise<{ status: number; body: any }>, timeoutMs = 90_000): Promise<{ status: number; body: any; tries: number }> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let tries = 1; ; tries++) {
    try {
      const answer = await send();
      if (!transient(answer.status)) return { ...answer, tries };
      last = `${answer.status} ${JSON.stringify(answer.body)}`;
    } catch (error) {
      last = error; // the service is down or restarting
    }
    if (Date.now() > deadline) throw new Error(`${what}: no answer but transient failures for ${timeoutMs} ms; last: ${String(last)}`);
    await sleep(200);
  }
}

/** Runs `work` on every item, `concurrency` at a time. */
export async function inParallel<T>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i], i);
      }
    }),
  );
}

interface Counted {
  case_id: string;
  n: number;
}

export interface ReconcileOptions {
  /**
   * A webhook-id the receiver accepted (answered 2xx) more than once is at-least-once delivery:
   * a process killed after the company answered and before it recorded the answer. Each one is
   * passed here with the times it was accepted; return true to allow it. Default: none allowed.
   * (A request the receiver did not accept and that was retried is never a duplicate.)
   */
  allowRepeatedWebhook?: (webhookId: string, acceptedAt: number[]) => boolean;
  timeoutMs?: number;
}

export interface ReconcileReport {
  cases: number;
  routed: number;
  manual: number;
  closed: number;
  rated: number;
  /** Requests the receivers got for case.dispatched, retries included. */
  webhookRequests: number;
  /** webhook-ids that needed more than one request (earlier ones failed at the receiver's end). */
  retriedWebhooks: number;
  /** webhook-ids the receiver accepted (2xx) more than once (allowed by allowRepeatedWebhook). */
  repeatedWebhooks: Array<{ webhookId: string; arrivals: number }>;
}

export class CaseFlow {
  readonly cases: FlowCase[] = [];
  readonly receivers = new Map<string, WebhookReceiver>();
  private tokens!: { operator: string; province: string; companies: Map<string, string> };
  /** What earlier reconciles allowed (at-least-once windows of earlier faults): later ones allow it too. */
  private readonly allowances: Array<NonNullable<ReconcileOptions['allowRepeatedWebhook']>> = [];
  private phoneSerial = 0;
  private placeSerial = 0;

  /**
   * `phonePrefix`: 3 digits, e.g. '139'; each case gets its own phone number (never a duplicate complaint).
   * `now`: the services' clock, for the times companies write into their feedback (a suite on a manual clock).
   */
  constructor(
    readonly target: FlowTarget,
    readonly places: Place[],
    private readonly phonePrefix = '139',
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Signs tokens; every company gets a receiver and sets it as its webhook endpoint. */
  async init(receiverBehaviour?: (companyId: string) => WebhookReceiver['behaviour']): Promise<this> {
    const companies = new Map<string, string>();
    for (const place of this.places) {
      companies.set(place.companyId, await this.target.tokens.sign({ sub: `duty-${place.companyId}`, role: 'company', unitId: place.companyId }, 3600));
    }
    this.tokens = {
      operator: await this.target.tokens.sign({ sub: 'op-flow', role: 'operator' }, 3600),
      province: await this.target.tokens.sign({ sub: 'prov-flow', role: 'province' }, 3600),
      companies,
    };
    for (const [companyId, token] of companies) {
      const receiver = new WebhookReceiver();
      if (receiverBehaviour) receiver.behaviour = receiverBehaviour(companyId);
      const url = await receiver.start();
      const put = await persist('setting a webhook', () => call('PUT', `${this.target.url('dispatch')}/api/v1/companies/me/webhook`, token, { url }));
      if (put.status !== 200) throw new Error(`PUT webhook for ${companyId} → ${put.status} ${JSON.stringify(put.body)}`);
      receiver.secret = put.body.secret;
      this.receivers.set(companyId, receiver);
    }
    return this;
  }

  async stop(): Promise<void> {
    for (const receiver of this.receivers.values()) await receiver.stop();
  }

  get province(): string {
    return this.tokens.province;
  }

  private nextPhone(): string {
    // 11 digits: prefix (3) + pid-based block (3) + serial (5): distinct across flows of one run.
    return `${this.phonePrefix}${String(process.pid % 1000).padStart(3, '0')}${String(++this.phoneSerial).padStart(5, '0')}`;
  }

  /**
   * Files `count` complaints, `concurrency` at a time; every `manualEvery`-th one names a community
   * no registry knows (manual dispatch). A request that fails transiently (5xx, connection refused
   * while intake restarts) is sent again with the same Idempotency-Key, so it is one case either way.
   */
  async file(count: number, options: { concurrency?: number; manualEvery?: number; place?: Place } = {}): Promise<FlowCase[]> {
    const specs = Array.from({ length: count }, (_, i) => {
      const manual = options.manualEvery !== undefined && options.manualEvery > 0 && (i + 1) % options.manualEvery === 0;
      const place = options.place ?? this.places[this.placeSerial++ % this.places.length];
      return { phone: this.nextPhone(), place, manual };
    });
    const filed: FlowCase[] = new Array(count);
    await inParallel(specs, options.concurrency ?? 8, async ({ phone, place, manual }, i) => {
      const body = {
        callerPhone: phone,
        type: 'complaint',
        category: 'too_cold',
        communityName: manual ? UNKNOWN_COMMUNITY : place.communityName,
        address: { cityCode: place.cityCode, districtCode: place.districtCode, street: '中山路 8 号', building: '1 号楼', unit: '1 单元', room: '101' },
        description: '卧室只有 15 度',
        indoorTemperatureC: 15,
      };
      const answer = await persist(`filing complaint ${i}`, () =>
        call('POST', `${this.target.url('intake')}/api/v1/complaints`, this.tokens.operator, body, { 'Idempotency-Key': `flow-${phone}` }),
      );
      if (answer.status !== 201 && !(answer.status === 200 && answer.body.outcome === 'replayed')) {
        throw new Error(`filing complaint ${i} → ${answer.status} ${JSON.stringify(answer.body)}`);
      }
      filed[i] = { caseId: answer.body.caseId, caseNumber: answer.body.caseNumber, phone, companyId: manual ? null : place.companyId, closed: false, rating: null };
    });
    this.cases.push(...filed);
    return filed;
  }

  /** Waits until dispatch holds every one of `cases`. */
  async awaitDispatched(cases: FlowCase[], timeoutMs = 60_000): Promise<void> {
    const ids = cases.map((c) => c.caseId);
    await eventually(async () => {
      const [{ n }] = await this.target.query('dispatch', `SELECT count(*)::int AS n FROM dispatch_case WHERE id = ANY($1::uuid[])`, [ids]);
      return n === ids.length ? true : undefined;
    }, timeoutMs, `dispatch to hold all ${ids.length} cases`);
  }

  /** How many of `cases` dispatch holds now. */
  async dispatchedCount(cases: FlowCase[] = this.cases): Promise<number> {
    const [{ n }] = await this.target.query('dispatch', `SELECT count(*)::int AS n FROM dispatch_case WHERE id = ANY($1::uuid[])`, [cases.map((c) => c.caseId)]);
    return n;
  }

  /**
   * The company feeds back "fixed" on each routed case (which closes it), once sms-survey knows
   * whom to ask. A retry after a failed request may find the case already closed: that is the
   * first request's effect, not a second feedback.
   */
  async feedBack(cases: FlowCase[], concurrency = 6): Promise<void> {
    const routed = cases.filter((c) => c.companyId !== null && !c.closed);
    await this.awaitDispatched(routed);
    const ids = routed.map((c) => c.caseId);
    await eventually(async () => {
      const [{ n }] = await this.target.query('sms-survey', `SELECT count(*)::int AS n FROM case_contact WHERE case_id = ANY($1::uuid[])`, [ids]);
      return n === ids.length ? true : undefined;
    }, 60_000, 'sms-survey to learn every contact');
    await inParallel(routed, concurrency, async (c) => {
      const token = this.tokens.companies.get(c.companyId!)!;
      let tries = 0;
      const answer = await persist(`feedback on ${c.caseNumber}`, () => {
        tries++;
        return call('POST', `${this.target.url('dispatch')}/api/v1/cases/${c.caseId}/feedback`, token, {
          resolution: 'fixed',
          summary: '已入户调整阀门，复测卧室 19.5℃',
          temperatureSlip: temperatureSlip(19.5, 20, this.now()),
        });
      });
      const repeatOfCommitted = answer.status === 409 && answer.body.code === 'CASE_ALREADY_CLOSED' && tries > 1;
      if (answer.status !== 200 && !repeatOfCommitted) throw new Error(`feedback on ${c.caseNumber} → ${answer.status} ${JSON.stringify(answer.body)}`);
      c.closed = true;
    });
  }

  /** The resident answers each closed case's survey SMS: 1, 2 and 3 in turn (satisfied, basically, dissatisfied). */
  async rate(cases: FlowCase[], concurrency = 6): Promise<void> {
    const closed = cases.filter((c) => c.closed && c.rating === null);
    const ids = closed.map((c) => c.caseId);
    await eventually(async () => {
      const [{ n }] = await this.target.query('sms-survey', `SELECT count(*)::int AS n FROM survey WHERE case_id = ANY($1::uuid[]) AND status = 'awaiting_reply'`, [ids]);
      return n === ids.length ? true : undefined;
    }, 60_000, `a survey awaiting a reply for each of ${ids.length} closed cases`);
    await inParallel(closed, concurrency, async (c, i) => {
      const rating = (['1', '2', '3'] as const)[i % 3];
      let tries = 0;
      const answer = await persist(`reply to ${c.caseNumber}`, () => {
        tries++;
        return call('POST', `${this.target.url('sms-survey')}/api/v1/sms/console/replies`, this.tokens.province, { phone: c.phone, text: rating });
      });
      const ok = answer.body?.outcome === 'rated' || (answer.body?.outcome === 'already_rated' && tries > 1);
      if (answer.status !== 200 || !ok) throw new Error(`reply to ${c.caseNumber} → ${answer.status} ${JSON.stringify(answer.body)}`);
      c.rating = rating;
    });
  }

  /** Requests all receivers got so far. */
  webhookRequestCount(): number {
    return [...this.receivers.values()].reduce((n, r) => n + r.requests.length, 0);
  }

  /** Per case, per webhook-id of its case.dispatched: when each request arrived, and when the receiver accepted one (answered 2xx). */
  webhookArrivals(): Map<string, Map<string, { arrived: number[]; acknowledged: number[] }>> {
    const byCase = new Map<string, Map<string, { arrived: number[]; acknowledged: number[] }>>();
    const entry = (caseId: string, id: string) => {
      const ids = byCase.get(caseId) ?? new Map<string, { arrived: number[]; acknowledged: number[] }>();
      byCase.set(caseId, ids);
      const e = ids.get(id) ?? { arrived: [], acknowledged: [] };
      ids.set(id, e);
      return e;
    };
    for (const receiver of this.receivers.values()) {
      for (const request of receiver.requests) {
        let payload: any;
        try {
          payload = JSON.parse(request.body);
        } catch {
          continue;
        }
        if (payload.type === 'case.dispatched') entry(payload.data.caseId, request.id).arrived.push(request.at);
      }
      for (const accepted of receiver.received) {
        if (accepted.payload.type === 'case.dispatched') entry(accepted.payload.data.caseId, accepted.id).acknowledged.push(accepted.at);
      }
    }
    return byCase;
  }

  /**
   * Waits until every service has caught up with everything done so far, then checks the
   * reconciliation. Missing effects are waited for (up to timeoutMs); an excess (a second case,
   * survey, count…) fails at once. Covers all cases this flow ever filed.
   */
  async reconcile(options: ReconcileOptions = {}): Promise<ReconcileReport> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    if (options.allowRepeatedWebhook) this.allowances.push(options.allowRepeatedWebhook);
    const deadline = Date.now() + timeoutMs;
    let missing: string[] = [];
    for (;;) {
      const found = await this.check().catch((error: Error) => {
        if (error instanceof ExcessError) throw error;
        return { missing: [`query failed: ${error.message}`] }; // a service or the database is still coming back
      });
      if (!('missing' in found)) {
        // Converged. Anything still in flight would show up as an excess on a second look.
        await sleep(500);
        const again = await this.check();
        if ('missing' in again) throw new Error(`reconciliation went back after converging: ${again.missing.join('; ')}`);
        if (process.env.FLOW_REPORT) process.stderr.write(`[reconcile] ${JSON.stringify(again)}\n`);
        return again;
      }
      missing = found.missing;
      if (Date.now() > deadline) throw new Error(`reconciliation did not converge within ${timeoutMs} ms; still missing:\n- ${missing.slice(0, 20).join('\n- ')}`);
      await sleep(250);
    }
  }

  private async check(): Promise<ReconcileReport | { missing: string[] }> {
    const q = this.target.query.bind(this.target);
    const missing: string[] = [];
    const excess: string[] = [];
    const all = this.cases;
    const ids = all.map((c) => c.caseId);
    const routed = all.filter((c) => c.companyId !== null);
    const closed = all.filter((c) => c.closed);
    const rated = all.filter((c) => c.rating !== null);
    const perCase = (rows: Counted[]) => new Map(rows.map((r) => [r.case_id, r.n]));
    /** Expects exactly `expected(c)` per case: fewer is missing (may still come), more is an excess. */
    const exactly = (what: string, counts: Map<string, number>, cases: FlowCase[], expected: (c: FlowCase) => number) => {
      for (const c of cases) {
        const n = counts.get(c.caseId) ?? 0;
        const want = expected(c);
        if (n > want) excess.push(`${what}: ${n} for case ${c.caseNumber}, expected ${want}`);
        else if (n < want) missing.push(`${what}: ${n} for case ${c.caseNumber}, expected ${want}`);
      }
    };

    // intake: one complaint per accepted case, nothing else; its event published once.
    const [{ n: complaints }] = await q('intake', `SELECT count(*)::int AS n FROM complaint`);
    if (complaints > all.length) excess.push(`intake holds ${complaints} complaints, ${all.length} were accepted`);
    else if (complaints < all.length) missing.push(`intake holds ${complaints} complaints, ${all.length} were accepted (lost?)`);
    exactly('complaint.received in intake outbox', perCase(await q('intake', `SELECT payload->>'caseId' AS case_id, count(*)::int AS n FROM outbox_message WHERE event_type = 'complaint.received' GROUP BY 1`)), all, () => 1);

    // dispatch: each case once, with the company the registry names (or in the manual queue); case.dispatched once per routed case.
    const dispatchRows: Array<{ id: string; status: string; company_id: string | null }> = await q('dispatch', `SELECT id, status, company_id FROM dispatch_case`);
    if (dispatchRows.length > all.length) excess.push(`dispatch holds ${dispatchRows.length} cases, ${all.length} were accepted`);
    const byId = new Map(dispatchRows.map((r) => [r.id, r]));
    for (const c of all) {
      const row = byId.get(c.caseId);
      if (!row) missing.push(`case ${c.caseNumber} not in dispatch`);
      else if (c.companyId === null && (row.status !== 'awaiting_manual_dispatch' || row.company_id !== null)) excess.push(`case ${c.caseNumber} should wait for manual dispatch: ${row.status} ${row.company_id}`);
      else if (c.companyId !== null && row.company_id !== c.companyId) excess.push(`case ${c.caseNumber} went to ${row.company_id}, the registry names ${c.companyId}`);
    }
    exactly('case.dispatched in dispatch outbox', perCase(await q('dispatch', `SELECT payload->>'caseId' AS case_id, count(*)::int AS n FROM outbox_message WHERE event_type = 'case.dispatched' GROUP BY 1`)), all, (c) => (c.companyId ? 1 : 0));
    exactly('case.closed in dispatch outbox', perCase(await q('dispatch', `SELECT payload->>'caseId' AS case_id, count(*)::int AS n FROM outbox_message WHERE event_type = 'case.closed' GROUP BY 1`)), all, (c) => (c.closed ? 1 : 0));

    // webhooks: one case.dispatched delivery per routed case, delivered; at the receiver one webhook-id per case.
    exactly('case.dispatched webhook deliveries', perCase(await q('dispatch', `SELECT case_id::text AS case_id, count(*)::int AS n FROM webhook_delivery WHERE event_type = 'case.dispatched' GROUP BY 1`)), all, (c) => (c.companyId ? 1 : 0));
    const undelivered: Array<{ n: number }> = await q('dispatch', `SELECT count(*)::int AS n FROM webhook_delivery WHERE status <> 'delivered' AND case_id = ANY($1::uuid[])`, [ids]);
    if (undelivered[0].n > 0) missing.push(`${undelivered[0].n} webhook deliveries not delivered yet`);
    for (const [companyId, receiver] of this.receivers) {
      if (receiver.rejected.length > 0) excess.push(`company ${companyId} got ${receiver.rejected.length} webhooks whose signature did not verify: ${receiver.rejected[0]}`);
    }
    const arrivals = this.webhookArrivals();
    const repeated: ReconcileReport['repeatedWebhooks'] = [];
    let webhookRequests = 0;
    let retriedWebhooks = 0;
    for (const c of all) {
      const got = arrivals.get(c.caseId) ?? new Map<string, { arrived: number[]; acknowledged: number[] }>();
      if (c.companyId === null) {
        if (got.size > 0) excess.push(`case ${c.caseNumber} waits for manual dispatch but a company got a webhook`);
        continue;
      }
      if (got.size > 1) excess.push(`case ${c.caseNumber}: ${got.size} different webhook-ids for case.dispatched (two deliveries of one case)`);
      if (got.size === 0) missing.push(`case ${c.caseNumber}: no webhook yet`);
      for (const [webhookId, { arrived, acknowledged }] of got) {
        webhookRequests += arrived.length;
        // Requests the receiver did not accept (it failed, hung, or the sender gave up) are retried: that is the point.
        if (arrived.length > acknowledged.length) retriedWebhooks++;
        if (acknowledged.length === 0) missing.push(`case ${c.caseNumber}: webhook ${webhookId} not accepted by the receiver yet`);
        if (acknowledged.length > 1) {
          if (this.allowances.some((allow) => allow(webhookId, acknowledged))) {
            repeated.push({ webhookId, arrivals: acknowledged.length });
          } else excess.push(`case ${c.caseNumber}: webhook ${webhookId} accepted by the receiver ${acknowledged.length} times`);
        }
      }
    }

    // intake follows the case: one history line per event, status moved forward only.
    const history = await q('intake', `SELECT complaint_id::text AS case_id, status, count(*)::int AS n FROM complaint_status_entry GROUP BY 1, 2`);
    const historyOf = (status: string) => perCase(history.filter((h: any) => h.status === status));
    exactly('intake history "dispatched"', historyOf('dispatched'), all, (c) => (c.companyId ? 1 : 0));
    exactly('intake history "closed"', historyOf('closed'), all, (c) => (c.closed ? 1 : 0));
    exactly('intake history "rated"', historyOf('rated'), all, (c) => (c.rating ? 1 : 0));

    // sms-survey: one contact per case, one survey and one survey SMS per closed case.
    exactly('sms-survey contacts', perCase(await q('sms-survey', `SELECT case_id::text AS case_id, count(*)::int AS n FROM case_contact GROUP BY 1`)), all, () => 1);
    exactly('surveys', perCase(await q('sms-survey', `SELECT case_id::text AS case_id, count(*)::int AS n FROM survey GROUP BY 1`)), all, (c) => (c.closed ? 1 : 0));
    exactly(
      'survey invitation SMS',
      perCase(await q('sms-survey', `SELECT s.case_id::text AS case_id, count(*)::int AS n FROM sms_message m JOIN survey s ON s.id = m.survey_id WHERE m.direction = 'out' AND m.template LIKE 'survey_invitation%' GROUP BY 1`)),
      all,
      (c) => (c.closed ? 1 : 0),
    );
    exactly('rated surveys', perCase(await q('sms-survey', `SELECT case_id::text AS case_id, count(*)::int AS n FROM survey WHERE status = 'rated' GROUP BY 1`)), all, (c) => (c.rating ? 1 : 0));
    exactly('survey.rated in sms-survey outbox', perCase(await q('sms-survey', `SELECT payload->>'caseId' AS case_id, count(*)::int AS n FROM outbox_message WHERE event_type = 'survey.rated' GROUP BY 1`)), all, (c) => (c.rating ? 1 : 0));
    exactly('bad ratings in dispatch', perCase(await q('dispatch', `SELECT case_id::text AS case_id, count(*)::int AS n FROM bad_rating GROUP BY 1`)), all, (c) => (c.rating === '3' ? 1 : 0));

    // kpi: every event stored once; the company counters add up to exactly what happened.
    const kpiEvents = await q('kpi', `SELECT payload->>'caseId' AS case_id, type, count(*)::int AS n FROM kpi_event GROUP BY 1, 2`);
    const kpiOf = (type: string) => perCase(kpiEvents.filter((e: any) => e.type === type));
    exactly('kpi complaint.received', kpiOf('complaint.received'), all, () => 1);
    exactly('kpi case.dispatched', kpiOf('case.dispatched'), all, (c) => (c.companyId ? 1 : 0));
    exactly('kpi case.closed', kpiOf('case.closed'), all, (c) => (c.closed ? 1 : 0));
    exactly('kpi survey.rated', kpiOf('survey.rated'), all, (c) => (c.rating ? 1 : 0));
    const [sums] = await q(
      'kpi',
      `SELECT coalesce(sum(dispatched), 0)::int AS dispatched, coalesce(sum(closed), 0)::int AS closed, coalesce(sum(rated), 0)::int AS rated,
              coalesce(sum(satisfied), 0)::int AS satisfied, coalesce(sum(basically_satisfied), 0)::int AS basically,
              coalesce(sum(dissatisfied), 0)::int AS dissatisfied
         FROM unit_month WHERE unit_type = 'company'`,
    );
    const expected = {
      dispatched: routed.length,
      closed: closed.length,
      rated: rated.length,
      satisfied: rated.filter((c) => c.rating === '1').length,
      basically: rated.filter((c) => c.rating === '2').length,
      dissatisfied: rated.filter((c) => c.rating === '3').length,
    };
    for (const [key, want] of Object.entries(expected)) {
      const n = sums[key] as number;
      if (n > want) excess.push(`kpi counts ${n} ${key} for the companies, expected ${want}`);
      else if (n < want) missing.push(`kpi counts ${n} ${key} for the companies, expected ${want}`);
    }

    // Nothing left behind: every outbox published, nothing parked.
    for (const service of SERVICE_NAMES) {
      const [{ n }] = await q(service, `SELECT count(*)::int AS n FROM outbox_message WHERE published_at IS NULL`);
      if (n > 0) missing.push(`${service}: ${n} outbox rows not yet published`);
      const letters = await call('GET', `${this.target.url(service)}/ops/dead-letters?limit=5`, this.tokens.province);
      if (letters.status !== 200) missing.push(`${service}: /ops/dead-letters answered ${letters.status}`);
      else if (letters.body.count > 0) {
        excess.push(`${service}: ${letters.body.count} dead-lettered: ${letters.body.items.map((l: any) => `${l.type}: ${l.reason}`).join('; ')}`);
      }
    }

    if (excess.length > 0) throw new ExcessError(excess);
    if (missing.length > 0) return { missing };
    return {
      cases: all.length,
      routed: routed.length,
      manual: all.length - routed.length,
      closed: closed.length,
      rated: rated.length,
      webhookRequests,
      retriedWebhooks,
      repeatedWebhooks: repeated,
    };
  }
}

/** Something happened more often than it may: a loss can still be made good, a duplicate cannot. */
export class ExcessError extends Error {
  constructor(readonly problems: string[]) {
    super(`reconciliation found effects beyond what was done:\n- ${problems.slice(0, 30).join('\n- ')}`);
    this.name = 'ExcessError';
  }
}
