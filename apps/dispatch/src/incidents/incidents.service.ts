import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { AppError, CLOCK, Outbox, outageNoticeSms, PHONE_VAULT, SERVICE_CONFIG, SmsSender } from '#shared';
import type { Category, Clock, PhoneVault, Principal, ServiceConfig } from '#shared';
import { UnitScopes } from '../access/unit-scope.js';
import type { UnitScope } from '../access/unit-scope.js';
import { actorOf, logAction, SYSTEM } from '../cases/case-log.js';
import type { Actor } from '../cases/case-log.js';
import { casePhone } from '../cases/case-phone.js';
import { CompanyCasesService } from '../cases/company-cases.service.js';
import { DispatchCase } from '../cases/dispatch-case.entity.js';
import { districtAuthorityId } from '../registry/district-authority.js';
import { Community, Station } from '../registry/registry.entities.js';
import { toIncidentView } from './incident.dto.js';
import type { ConfirmIncidentDto, IncidentNoteDto, IncidentView, OpenIncidentDto } from './incident.dto.js';
import { INCIDENT_STATUS_LABELS, IncidentCase, IncidentResident, OutageIncident } from './incident.entity.js';
import type { IncidentStatus } from './incident.entity.js';

/** Complaints that point at an outage rather than one flat. */
export const OUTAGE_CATEGORIES: readonly Category[] = ['heating_cut_off', 'too_cold', 'heating_not_started'];

const MAX_RESTORATION_DAYS = 30;

/**
 * 大面积停供: an authority opens an incident for stations or communities; open and new cases there
 * are linked to it and each affected resident gets one SMS instead of a silent queue; restoration
 * closes the linked cases with a feedback. A suspected outage is proposed when N households under
 * one station complain within T minutes.
 */
@Injectable()
export class IncidentsService {
  private readonly logger = new Logger('Incidents');

  constructor(
    private readonly dataSource: DataSource,
    private readonly scopes: UnitScopes,
    private readonly cases: CompanyCasesService,
    private readonly sms: SmsSender,
    private readonly outbox: Outbox,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PHONE_VAULT) private readonly vault: PhoneVault,
  ) {}

  async list(principal: Principal, status?: IncidentStatus): Promise<IncidentView[]> {
    const scope = await this.scopes.of(principal);
    const qb = this.dataSource.getRepository(OutageIncident).createQueryBuilder('i').orderBy('i.created_at', 'DESC').take(200);
    if (status) qb.andWhere('i.status = :status', { status });
    if (scope.kind === 'city') qb.andWhere('i.city_code = :city', { city: scope.cityCode });
    if (scope.kind === 'county') qb.andWhere('i.district_code = :district', { district: scope.districtCode });
    if (scope.kind === 'company') qb.andWhere(':company = ANY(i.company_ids)', { company: scope.companyId });
    return Promise.all((await qb.getMany()).map((i) => this.view(this.dataSource.manager, i)));
  }

  async get(principal: Principal, id: string): Promise<IncidentView> {
    const scope = await this.scopes.of(principal);
    return this.view(this.dataSource.manager, await this.visible(this.dataSource.manager, scope, id));
  }

  /** Opens an incident now: links the open cases of the affected communities and tells their residents. */
  async open(principal: Principal, dto: OpenIncidentDto): Promise<IncidentView> {
    const scope = await this.scopes.of(principal);
    const now = this.clock.now();
    const expected = this.expectedRestoration(dto.expectedRestorationAt, now);
    const view = await this.dataSource.transaction(async (em) => {
      const area = await this.affectedArea(em, scope, dto.stationIds ?? [], dto.communityIds ?? []);
      const incident = em.create(OutageIncident, {
        id: randomUUID(),
        status: 'open',
        authorityId: scope.kind === 'province' ? await districtAuthorityId(em, area.districtCode, area.cityCode) : (scope as { authorityId: string }).authorityId,
        cityCode: area.cityCode,
        districtCode: area.districtCode,
        title: dto.title.trim(),
        cause: dto.cause.trim(),
        stationIds: area.stationIds,
        communityIds: area.communityIds,
        companyIds: area.companyIds,
        expectedRestorationAt: expected,
        proposedReason: null,
        createdAt: now,
        openedAt: now,
        openedBy: actorOf(principal).id,
        restoredAt: null,
        restoredBy: null,
        restorationSummary: null,
        updatedAt: now,
      });
      await em.insert(OutageIncident, incident);
      await this.linkOpenCases(em, incident, actorOf(principal), now);
      return this.announce(em, incident);
    });
    this.sms.kick();
    return view;
  }

  /** The authority confirms a proposed incident: from now on it is handled like one it opened. */
  async confirm(principal: Principal, id: string, dto: ConfirmIncidentDto): Promise<IncidentView> {
    const now = this.clock.now();
    const expected = this.expectedRestoration(dto.expectedRestorationAt, now);
    const view = await this.step(principal, id, ['proposed'], false, async (em, incident, actor) => {
      Object.assign(incident, { status: 'open', cause: dto.cause.trim(), expectedRestorationAt: expected, openedAt: now, openedBy: actor.id, updatedAt: now });
      await em.update(OutageIncident, { id }, { status: 'open', cause: incident.cause, expectedRestorationAt: expected, openedAt: now, openedBy: actor.id, updatedAt: now });
      await this.linkOpenCases(em, incident, actor, now);
    });
    this.sms.kick();
    return view;
  }

  async dismiss(principal: Principal, id: string, dto: IncidentNoteDto): Promise<IncidentView> {
    return this.step(principal, id, ['proposed'], false, async (em, incident, actor) => {
      const now = this.clock.now();
      Object.assign(incident, { status: 'dismissed', restorationSummary: dto.summary.trim(), restoredBy: actor.id, updatedAt: now });
      await em.update(OutageIncident, { id }, { status: 'dismissed', restorationSummary: dto.summary.trim(), restoredBy: actor.id, updatedAt: now });
    });
  }

  /** Heat is back: the incident is restored and every linked case still open is closed with this feedback. */
  async restore(principal: Principal, id: string, dto: IncidentNoteDto): Promise<IncidentView> {
    return this.step(principal, id, ['open'], true, async (em, incident, actor) => {
      const now = this.clock.now();
      const summary = dto.summary.trim();
      Object.assign(incident, { status: 'restored', restoredAt: now, restoredBy: actor.id, restorationSummary: summary, updatedAt: now });
      await em.update(OutageIncident, { id }, { status: 'restored', restoredAt: now, restoredBy: actor.id, restorationSummary: summary, updatedAt: now });
      const linked = await em
        .getRepository(DispatchCase)
        .createQueryBuilder('c')
        .setLock('pessimistic_write')
        .where('c.incident_id = :id', { id })
        .andWhere(`c.status IN ('dispatched', 'signed', 'return_requested')`)
        .getMany();
      for (const c of linked) {
        await this.cases.close(em, c, actor, now, {
          resolution: 'fixed',
          summary: `大面积停供已恢复供热：${summary}`,
          detail: { incidentId: id },
        });
      }
      this.logger.log(`incident ${id} restored; ${linked.length} linked cases closed`);
    });
  }

  /**
   * Called by the dispatcher for every new case, in its transaction: a case in a community under an
   * open incident is linked (and its resident told, once); otherwise enough recent complaints under
   * one station propose an incident to the authority.
   */
  async onCaseRouted(em: EntityManager, c: DispatchCase): Promise<void> {
    if (!c.communityId) return;
    // Every routed case passes here: one statement finds an open incident of its community and,
    // for a heating complaint under a station without an incident yet, counts the recent households
    // under that station (the case itself included).
    const { households, windowMinutes } = this.config.outageSuspect;
    const since = new Date(this.clock.now().getTime() - windowMinutes * 60_000);
    const [found]: Array<{ openId: string | null; id: string | null; name: string; districtCode: string; companyId: string; active: boolean; n: number | null }> = await em.query(
      `SELECT (SELECT i.id FROM outage_incident i WHERE i.status = 'open' AND m.id = ANY(i.community_ids) ORDER BY i.opened_at LIMIT 1) AS "openId",
              s.id, s.name, s.district_code AS "districtCode", s.company_id AS "companyId",
              st.active,
              CASE WHEN $2 AND NOT st.active THEN (
                SELECT count(DISTINCT d.phone_hash)::int FROM dispatch_case d JOIN community dm ON dm.id = d.community_id
                 WHERE dm.station_id = s.id AND d.received_at >= $3 AND d.category = ANY($4)) END AS n
         FROM community m LEFT JOIN station s ON s.id = m.station_id
              LEFT JOIN LATERAL (
                SELECT EXISTS (SELECT 1 FROM outage_incident a WHERE a.status IN ('proposed', 'open') AND s.id = ANY(a.station_ids)) AS active
              ) st ON true
        WHERE m.id = $1`,
      [c.communityId, OUTAGE_CATEGORIES.includes(c.category), since, [...OUTAGE_CATEGORIES]],
    );
    if (!found) return;
    if (found.openId) {
      const incident = await em.findOneByOrFail(OutageIncident, { id: found.openId });
      await this.link(em, incident, c, SYSTEM, this.clock.now());
      return;
    }
    // Below the threshold, or the station already has an incident: nothing to propose.
    if (found.id === null || found.active || found.n === null || found.n < households) return;
    await this.propose(em, c, { id: found.id, name: found.name, districtCode: found.districtCode, companyId: found.companyId }, found.n);
  }

  /** N households under one station within T minutes → a proposed incident (one per station at a time). */
  private async propose(em: EntityManager, c: DispatchCase, station: { id: string; name: string; districtCode: string; companyId: string }, n: number): Promise<void> {
    const { households, windowMinutes } = this.config.outageSuspect;
    // Two cases of one station dispatched at once must not propose two incidents: under the lock,
    // the check sees an incident another transaction proposed and committed meanwhile.
    await em.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`incident|${station.id}`]);
    const [active] = await em.query(`SELECT id FROM outage_incident WHERE status IN ('proposed', 'open') AND $1 = ANY(station_ids) LIMIT 1`, [station.id]);
    if (active) return;
    const communities = await em.findBy(Community, { stationId: station.id });
    const now = this.clock.now();
    const proposed = em.create(OutageIncident, {
      id: randomUUID(),
      status: 'proposed',
      authorityId: c.authorityId,
      cityCode: c.cityCode,
      districtCode: station.districtCode,
      title: `疑似大面积停供：${station.name}`,
      cause: '待核实',
      stationIds: [station.id],
      communityIds: communities.map((m) => m.id),
      companyIds: [station.companyId],
      expectedRestorationAt: null,
      proposedReason: `${windowMinutes} 分钟内有 ${n} 户反映${station.name}所供小区停热或室温不达标（阈值 ${households} 户）`,
      createdAt: now,
      openedAt: null,
      openedBy: null,
      restoredAt: null,
      restoredBy: null,
      restorationSummary: null,
      updatedAt: now,
    });
    await em.insert(OutageIncident, proposed);
    await this.announce(em, proposed);
    this.logger.warn(`suspected outage proposed for station ${station.id} (${n} households in ${windowMinutes} min)`);
  }

  private async linkOpenCases(em: EntityManager, incident: OutageIncident, actor: Actor, now: Date): Promise<void> {
    const open = await em
      .getRepository(DispatchCase)
      .createQueryBuilder('c')
      .setLock('pessimistic_write')
      .where('c.community_id = ANY(:ids)', { ids: incident.communityIds })
      .andWhere(`c.status IN ('dispatched', 'signed', 'return_requested')`)
      .andWhere('c.incident_id IS NULL')
      .getMany();
    for (const c of open) await this.link(em, incident, c, actor, now);
  }

  private async link(em: EntityManager, incident: OutageIncident, c: DispatchCase, actor: Actor, now: Date): Promise<void> {
    await em.update(DispatchCase, { id: c.id }, { incidentId: incident.id, updatedAt: now });
    await em.insert(IncidentCase, { incidentId: incident.id, caseId: c.id, linkedAt: now });
    await logAction(em, c.id, actor, now, 'incident_linked', { detail: { incidentId: incident.id, title: incident.title } });
    // Once per resident and incident: the key is the number's blind index (the case's ciphertext is kept as is).
    const told: unknown[] = await em.query(
      `INSERT INTO incident_resident (incident_id, phone_enc, phone_hash, notified_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING incident_id`,
      [incident.id, c.phoneEnc, c.phoneHash, now],
    );
    if (told.length > 0) {
      await this.sms.queue(em, casePhone(this.vault, c), outageNoticeSms(c.caseNumber, c.communityName, incident.cause, incident.expectedRestorationAt), null);
    }
  }

  private async step(
    principal: Principal,
    id: string,
    allowed: IncidentStatus[],
    companyMayAct: boolean,
    change: (em: EntityManager, incident: OutageIncident, actor: Actor) => Promise<void>,
  ): Promise<IncidentView> {
    const scope = await this.scopes.of(principal);
    if (scope.kind === 'company' && !companyMayAct) {
      throw new AppError('FORBIDDEN', '只有主管单位可以确认或排除停供事件', 403);
    }
    return this.dataSource.transaction(async (em) => {
      const incident = await this.visible(em, scope, id, true);
      if (!allowed.includes(incident.status)) {
        throw new AppError('INCIDENT_STATE_CONFLICT', `停供事件当前状态为“${INCIDENT_STATUS_LABELS[incident.status]}”，不能执行此操作`, 409);
      }
      await change(em, incident, actorOf(principal));
      return this.announce(em, incident);
    });
  }

  private async visible(em: EntityManager, scope: UnitScope, id: string, lock = false): Promise<OutageIncident> {
    const incident = await em.findOne(OutageIncident, { where: { id }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    const sees =
      incident &&
      (scope.kind === 'company' ? incident.companyIds.includes(scope.companyId) : UnitScopes.covers(scope, incident));
    if (!incident || !sees) throw new AppError('INCIDENT_NOT_FOUND', '未找到该停供事件，或不在本单位辖区', 404, 'id');
    return incident;
  }

  /** The named stations and communities, all in the caller's region; every community a station serves is affected. */
  private async affectedArea(em: EntityManager, scope: UnitScope, stationIds: string[], communityIds: string[]) {
    if (stationIds.length === 0 && communityIds.length === 0) {
      throw new AppError('AREA_REQUIRED', '请至少指定一个受影响的换热站（stationIds）或小区（communityIds）', 400, 'stationIds');
    }
    const stations = stationIds.length ? await em.findBy(Station, { id: In(stationIds) }) : [];
    const missingStation = stationIds.find((s) => !stations.some((x) => x.id === s));
    if (missingStation) throw new AppError('UNKNOWN_STATION', `换热站编号（stationIds）${missingStation} 未在登记册中`, 400, 'stationIds');
    const named = communityIds.length ? await em.findBy(Community, { id: In(communityIds) }) : [];
    const missingCommunity = communityIds.find((m) => !named.some((x) => x.id === m));
    if (missingCommunity) throw new AppError('UNKNOWN_COMMUNITY', `小区编号（communityIds）${missingCommunity} 未在登记册中`, 400, 'communityIds');
    const served = stations.length ? await em.findBy(Community, { stationId: In(stations.map((s) => s.id)) }) : [];
    const communities = [...new Map([...served, ...named].map((m) => [m.id, m])).values()];
    const places = [...stations.map((p) => ({ p, field: 'stationIds' })), ...communities.map((p) => ({ p, field: 'communityIds' }))];
    for (const { p, field } of places) {
      if (!UnitScopes.covers(scope, { cityCode: `${p.districtCode.slice(0, 4)}00`, districtCode: p.districtCode })) {
        throw new AppError('OUTSIDE_REGION', `${p.name}（${p.id}）不在本单位辖区内`, 400, field);
      }
    }
    const stationOf = new Set([...stations.map((s) => s.id), ...communities.map((m) => m.stationId)]);
    const first = communities[0] ?? stations[0];
    return {
      stationIds: [...stationOf],
      communityIds: communities.map((m) => m.id),
      companyIds: [...new Set([...stations.map((s) => s.companyId), ...communities.map((m) => m.companyId)])],
      districtCode: first.districtCode,
      cityCode: `${first.districtCode.slice(0, 4)}00`,
    };
  }

  private expectedRestoration(value: string, now: Date): Date {
    const expected = new Date(value);
    if (expected.getTime() <= now.getTime()) {
      throw new AppError('RESTORATION_IN_PAST', '预计恢复时间（expectedRestorationAt）必须晚于当前时间', 400, 'expectedRestorationAt');
    }
    if (expected.getTime() > now.getTime() + MAX_RESTORATION_DAYS * 24 * 3600_000) {
      throw new AppError('RESTORATION_TOO_FAR', `预计恢复时间（expectedRestorationAt）不能超过 ${MAX_RESTORATION_DAYS} 天后`, 400, 'expectedRestorationAt');
    }
    return expected;
  }


  /** The incident as it now stands, for the caller and as `incident.updated` for the other services (kpi's live page). */
  private async announce(em: EntityManager, i: OutageIncident): Promise<IncidentView> {
    const view = await this.view(em, i);
    await this.outbox.add(em, 'incident.updated', {
      incidentId: i.id,
      status: i.status,
      authorityId: i.authorityId,
      cityCode: i.cityCode,
      districtCode: i.districtCode,
      title: i.title,
      cause: i.cause,
      stationIds: i.stationIds,
      communityIds: i.communityIds,
      companyIds: i.companyIds,
      linkedCases: view.linkedCases,
      ...(i.expectedRestorationAt ? { expectedRestorationAt: i.expectedRestorationAt.toISOString() } : {}),
      updatedAt: i.updatedAt.toISOString(),
    });
    return view;
  }

  private async view(em: EntityManager, i: OutageIncident): Promise<IncidentView> {
    const [{ cases, residents }] = await em.query(
      `SELECT (SELECT count(*)::int FROM incident_case WHERE incident_id = $1) AS cases,
              (SELECT count(*)::int FROM incident_resident WHERE incident_id = $1) AS residents`,
      [i.id],
    );
    return toIncidentView(i, { linkedCases: cases, residentsNotified: residents });
  }
}
