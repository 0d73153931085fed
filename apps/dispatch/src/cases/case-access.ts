import { Injectable } from '@nestjs/common';
import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import { AppError } from '#shared';
import type { Principal } from '#shared';
import { UnitScopes } from '../access/unit-scope.js';
import type { UnitScope } from '../access/unit-scope.js';
import { DispatchCase } from './dispatch-case.entity.js';

/**
 * Loads cases only within the caller's scope: a company its own cases, an authority those in its
 * region, the province all. Another unit's case is refused with 403 (case ids are random UUIDs, so
 * the answer reveals nothing a caller could enumerate); an unknown id is 404.
 */
@Injectable()
export class CaseAccess {
  constructor(private readonly scopes: UnitScopes) {}

  scopeOf(principal: Principal): Promise<UnitScope> {
    return this.scopes.of(principal);
  }

  async load(em: EntityManager, principal: Principal, caseId: string, options: { lock?: boolean } = {}): Promise<{ c: DispatchCase; scope: UnitScope }> {
    const scope = await this.scopes.of(principal, em);
    const c = await em.findOne(DispatchCase, { where: { id: caseId }, ...(options.lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!c) throw new AppError('CASE_NOT_FOUND', '未找到该工单，请核对工单编号（caseId）', 404, 'caseId');
    if (!CaseAccess.sees(scope, c)) {
      throw new AppError(
        'CASE_FORBIDDEN',
        scope.kind === 'company' ? '该工单不属于本企业，无权查看或办理' : '该工单不在本单位辖区，无权查看或办理',
        403,
        'caseId',
      );
    }
    return { c, scope };
  }

  static sees(scope: UnitScope, c: DispatchCase): boolean {
    if (scope.kind === 'company') return c.companyId === scope.companyId;
    return UnitScopes.covers(scope, c);
  }

  /** Restricts a query on `dispatch_case` (alias `c`) to the scope. */
  static restrict(qb: SelectQueryBuilder<DispatchCase>, scope: UnitScope): SelectQueryBuilder<DispatchCase> {
    switch (scope.kind) {
      case 'company':
        return qb.andWhere('c.company_id = :companyId', { companyId: scope.companyId });
      case 'city':
        return qb.andWhere('c.city_code = :cityCode', { cityCode: scope.cityCode });
      case 'county':
        return qb.andWhere('c.district_code = :districtCode', { districtCode: scope.districtCode });
      case 'province':
        return qb;
    }
  }
}
