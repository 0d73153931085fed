import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppError, findLiaoningDivision } from '#shared';
import type { Principal } from '#shared';
import type { UnitType } from '../projection/case-state.js';

/**
 * Whose figures a caller sees. kpi has no registry: an authority's region is what the events
 * say. A company belongs to the authority (and the city) that its case.dispatched events name
 * (kpi_unit_link); an authority whose token carries a city-level region code (GB/T 2260, e.g.
 * 210100) also sees every company and authority the dispatches place in that city, and the city
 * itself. A county-level authority sees itself and the companies dispatched under it.
 */
export type KpiScope =
  | { kind: 'province' }
  | { kind: 'company'; companyId: string }
  | { kind: 'authority'; authorityId: string; cityCode: string | null };

const LINK_COLUMN: Record<UnitType, string> = { company: 'company_id', authority: 'authority_id', city: 'city_code' };

export function scopeOf(principal: Principal): KpiScope {
  if (principal.role === 'province') return { kind: 'province' };
  if (principal.role !== 'company' && principal.role !== 'authority') {
    throw new AppError('FORBIDDEN', `当前角色（${principal.role}）无权查看考核指标`, 403);
  }
  if (!principal.unitId) throw new AppError('UNIT_NOT_FOUND', '令牌未注明所属单位（unitId），请重新签发令牌', 403);
  if (principal.role === 'company') return { kind: 'company', companyId: principal.unitId };
  const region = principal.regionCode ? findLiaoningDivision(principal.regionCode) : undefined;
  const isCity = region !== undefined && region.district === undefined && region.city.code === principal.regionCode;
  return { kind: 'authority', authorityId: principal.unitId, cityCode: isCity ? principal.regionCode! : null };
}

@Injectable()
export class KpiAccess {
  constructor(private readonly dataSource: DataSource) {}

  /** The units of a type the scope covers; null means all of them (province). */
  async visibleUnits(scope: KpiScope, unitType: UnitType): Promise<Set<string> | null> {
    if (scope.kind === 'province') return null;
    if (scope.kind === 'company') return new Set(unitType === 'company' ? [scope.companyId] : []);
    const { authorityId, cityCode } = scope;
    if (unitType === 'city') return new Set(cityCode ? [cityCode] : []);
    if (unitType === 'authority') {
      const rows: Array<{ id: string }> = cityCode
        ? await this.dataSource.query(`SELECT DISTINCT authority_id AS id FROM kpi_unit_link WHERE city_code = $1`, [cityCode])
        : [];
      return new Set([authorityId, ...rows.map((r) => r.id)]);
    }
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `SELECT DISTINCT company_id AS id FROM kpi_unit_link WHERE authority_id = $1 OR city_code = $2`,
      [authorityId, cityCode ?? ''],
    );
    return new Set(rows.map((r) => r.id));
  }

  async canSee(scope: KpiScope, unitType: UnitType, unitId: string): Promise<boolean> {
    const visible = await this.visibleUnits(scope, unitType);
    return visible === null || visible.has(unitId);
  }

  /**
   * A unit kpi has heard of: named by a case.dispatched event (kpi_unit_link). Every unit holding
   * a kpi_case row is in it: a case's company, authority and city are those of its dispatches.
   */
  async exists(unitType: UnitType, unitId: string): Promise<boolean> {
    const rows: Array<{ known: boolean }> = await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM kpi_unit_link WHERE ${LINK_COLUMN[unitType]} = $1) AS known`,
      [unitId],
    );
    return rows[0]?.known === true;
  }
}
