import { AppError, findLiaoningDivision } from '#shared';
import type { Principal } from '#shared';

/**
 * Whose live picture a viewer sees. The province sees the whole province; an authority whose
 * token carries a city code (GB/T 2260, e.g. 210100) sees that city; one with a county code
 * (e.g. 210102) sees that county's cases (by the address) and the cases dispatched under it; an
 * authority without a region code sees the cases dispatched under it. Companies, operators and
 * residents have no live page.
 */
export type DashboardScope =
  | { kind: 'province' }
  | { kind: 'city'; cityCode: string }
  | { kind: 'county'; cityCode: string; districtCode: string; authorityId: string }
  | { kind: 'authority'; authorityId: string };

/** Where a case, an incident or a warning is: the fields a scope is checked against. */
export interface Place {
  cityCode?: string | null;
  districtCode?: string | null;
  authorityId?: string | null;
}

export function dashboardScopeOf(principal: Principal): DashboardScope {
  if (principal.role === 'province') return { kind: 'province' };
  if (principal.role !== 'authority') {
    throw new AppError('FORBIDDEN', `监测大屏仅供省级和供热主管单位查看，当前角色（${principal.role}）无权查看`, 403);
  }
  if (!principal.unitId) throw new AppError('UNIT_NOT_FOUND', '令牌未注明所属主管单位（unitId），请重新签发令牌', 403);
  const region = principal.regionCode ? findLiaoningDivision(principal.regionCode) : undefined;
  if (region && !region.district) return { kind: 'city', cityCode: region.city.code };
  if (region?.district) return { kind: 'county', cityCode: region.city.code, districtCode: region.district.code, authorityId: principal.unitId };
  return { kind: 'authority', authorityId: principal.unitId };
}

/** One key per distinct picture: viewers with the same key share one snapshot and one stream. */
export function scopeKey(scope: DashboardScope): string {
  switch (scope.kind) {
    case 'province':
      return 'province';
    case 'city':
      return `city:${scope.cityCode}`;
    case 'county':
      return `county:${scope.districtCode}:${scope.authorityId}`;
    case 'authority':
      return `authority:${scope.authorityId}`;
  }
}

export function covers(scope: DashboardScope, place: Place): boolean {
  switch (scope.kind) {
    case 'province':
      return true;
    case 'city':
      return place.cityCode === scope.cityCode;
    case 'county':
      return place.districtCode === scope.districtCode || place.authorityId === scope.authorityId;
    case 'authority':
      return place.authorityId === scope.authorityId;
  }
}

/** 全省 / 沈阳市 / 沈阳市和平区 / 主管单位 AU210102. */
export function scopeLabel(scope: DashboardScope): string {
  switch (scope.kind) {
    case 'province':
      return '辽宁省（全省）';
    case 'city':
      return findLiaoningDivision(scope.cityCode)?.city.name ?? scope.cityCode;
    case 'county': {
      const found = findLiaoningDivision(scope.districtCode);
      return found ? `${found.city.name}${found.district?.name ?? ''}` : scope.districtCode;
    }
    case 'authority':
      return `主管单位 ${scope.authorityId}`;
  }
}
