import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { AppError } from '#shared';
import type { Principal } from '#shared';
import { Authority } from '../registry/registry.entities.js';

/**
 * What a caller may see and act on in dispatch:
 * - province: everything;
 * - a city authority: its whole city (`cityCode`), including the districts it supervises directly
 *   and those with their own county authority;
 * - a county authority: its own district or county (`districtCode`);
 * - a company: its own cases (`companyId`).
 */
export type UnitScope =
  | { kind: 'province' }
  | { kind: 'city'; authorityId: string; cityCode: string }
  | { kind: 'county'; authorityId: string; cityCode: string; districtCode: string }
  | { kind: 'company'; companyId: string };

@Injectable()
export class UnitScopes {
  private readonly authorities = new Map<string, Authority>();

  constructor(private readonly dataSource: DataSource) {}

  /**
   * The caller's scope, from the registry (not from claims in the token beyond its unit). Inside a
   * transaction pass its EntityManager: embedded mode has a single database connection.
   */
  async of(principal: Principal, em?: EntityManager): Promise<UnitScope> {
    switch (principal.role) {
      case 'province':
        return { kind: 'province' };
      case 'company':
        if (!principal.unitId) throw noUnit();
        return { kind: 'company', companyId: principal.unitId };
      case 'authority': {
        const authority = await this.authority(principal.unitId, em ?? this.dataSource.manager);
        return authority.level === 'city'
          ? { kind: 'city', authorityId: authority.id, cityCode: authority.regionCode }
          : { kind: 'county', authorityId: authority.id, cityCode: authority.cityCode, districtCode: authority.regionCode };
      }
      default:
        throw new AppError('FORBIDDEN', `当前角色（${principal.role}）无权访问分转数据`, 403);
    }
  }

  /** Whether a place (city + district) lies in an authority's (or the province's) region. */
  static covers(scope: UnitScope, place: { cityCode: string; districtCode: string }): boolean {
    switch (scope.kind) {
      case 'province':
        return true;
      case 'city':
        return place.cityCode === scope.cityCode;
      case 'county':
        return place.districtCode === scope.districtCode;
      case 'company':
        return false;
    }
  }

  private async authority(unitId: string | undefined, em: EntityManager): Promise<Authority> {
    if (!unitId) throw noUnit();
    const cached = this.authorities.get(unitId);
    if (cached) return cached;
    const found = await em.findOneBy(Authority, { id: unitId });
    if (!found) throw new AppError('UNIT_NOT_FOUND', `令牌所属主管单位 ${unitId} 未在登记册中，请联系省平台`, 403);
    this.authorities.set(unitId, found);
    return found;
  }
}

function noUnit(): AppError {
  return new AppError('UNIT_NOT_FOUND', '令牌未注明所属单位（unitId），请重新签发令牌', 403);
}
