import { describe, expect, it } from '@jest/globals';
import { normalizeCommunityName } from '../routing/community-name.js';
import { apportion, buildDemoRegistry, DEMO_COUNTS } from './demo-registry.js';

/*
 * The demo registry stands in for Liaoning's real one (DOMAIN.md §1: 14 cities, 97 heating
 * authorities, 647 heating companies). Routing and scoring trust its links, so every link must
 * point at something that exists, and it must be the same on every start.
 */
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('apportion splits a total by weights so the parts add up exactly', () => {
  it('647 companies split by the 14 cities\' populations add up to 647', () => {
    const weights = [907, 745, 333, 186, 133, 219, 270, 233, 165, 160, 139, 239, 287, 243];
    const parts = apportion(647, weights);
    expect(parts).toHaveLength(14);
    expect(sum(parts)).toBe(647);
  });

  it('each part is the exact share rounded down or up, never further off', () => {
    const weights = [907, 745, 333, 186, 133];
    const parts = apportion(100, weights);
    parts.forEach((p, i) => {
      const exact = (100 * weights[i]) / sum(weights);
      expect(p === Math.floor(exact) || p === Math.ceil(exact)).toBe(true);
    });
  });

  it('10 split three ways evenly is 4 + 3 + 3: the leftover goes to the earliest on a tie', () => {
    expect(apportion(10, [1, 1, 1])).toEqual([4, 3, 3]);
  });

  it('the largest remainders get the leftovers: 10 by [1, 2, 4] (exact 1.43, 2.86, 5.71) is [1, 3, 6]', () => {
    expect(apportion(10, [1, 2, 4])).toEqual([1, 3, 6]);
  });

  it('on equal remainders the earlier part gets the leftover: 7 by [1, 1, 3] (exact 1.4, 1.4, 4.2) is [2, 1, 4]', () => {
    expect(apportion(7, [1, 1, 3])).toEqual([2, 1, 4]);
  });

  it('a zero weight gets nothing and a zero total gives zeros', () => {
    expect(apportion(7, [0, 1])).toEqual([0, 7]);
    expect(apportion(0, [1, 2])).toEqual([0, 0]);
  });

  it('the parts add up for many totals and weightings', () => {
    for (let total = 0; total <= 60; total += 7) {
      for (const weights of [[1], [1, 1], [3, 7, 11], [5, 5, 5, 5, 5, 5, 5], [0.3, 0.3, 0.4], [1000, 1, 1]]) {
        expect(sum(apportion(total, weights))).toBe(total);
      }
    }
  });

  it('the same inputs always give the same split', () => {
    const weights = [3, 3, 3, 1];
    expect(apportion(11, weights)).toEqual(apportion(11, weights));
  });
});

describe('the demo registry has Liaoning\'s numbers: 97 authorities (14 city-level) and 647 companies', () => {
  const registry = buildDemoRegistry();

  it('97 heating authorities, 14 of them city-level and 83 county-level', () => {
    expect(registry.authorities).toHaveLength(97);
    expect(registry.authorities.filter((a) => a.level === 'city')).toHaveLength(14);
    expect(registry.authorities.filter((a) => a.level === 'county')).toHaveLength(83);
    expect(DEMO_COUNTS).toEqual({ cities: 14, authorities: 97, companies: 647 });
  });

  it('647 heating companies', () => {
    expect(registry.companies).toHaveLength(647);
  });

  it('every city authority has a distinct city, and every county authority sits under one of them', () => {
    const cityCodes = registry.authorities.filter((a) => a.level === 'city').map((a) => a.cityCode);
    expect(new Set(cityCodes).size).toBe(14);
    for (const a of registry.authorities.filter((x) => x.level === 'county')) expect(cityCodes).toContain(a.cityCode);
  });

  it('ids are unique: authorities, companies, stations, communities', () => {
    for (const list of [registry.authorities, registry.companies, registry.stations, registry.communities]) {
      expect(new Set(list.map((x) => x.id)).size).toBe(list.length);
    }
  });
});

describe('every link in the registry points at something that exists', () => {
  const registry = buildDemoRegistry();
  const authorities = new Map(registry.authorities.map((a) => [a.id, a]));
  const companies = new Map(registry.companies.map((c) => [c.id, c]));
  const stations = new Map(registry.stations.map((s) => [s.id, s]));

  it('every company\'s supervising authority exists and is in the company\'s city', () => {
    for (const c of registry.companies) {
      const authority = authorities.get(c.authorityId);
      expect(authority).toBeDefined();
      expect(authority!.cityCode).toBe(c.cityCode);
    }
  });

  it('every station\'s company exists and is in the same district', () => {
    for (const s of registry.stations) {
      expect(companies.get(s.companyId)?.districtCode).toBe(s.districtCode);
    }
  });

  it('every community\'s company and station exist, and the station belongs to that company (community → station → company)', () => {
    for (const cm of registry.communities) {
      const company = companies.get(cm.companyId);
      const station = stations.get(cm.stationId);
      expect(company).toBeDefined();
      expect(station).toBeDefined();
      expect(station!.companyId).toBe(cm.companyId);
      expect(company!.districtCode).toBe(cm.districtCode);
    }
  });

  it('every company serves at least one community', () => {
    const serving = new Set(registry.communities.map((cm) => cm.companyId));
    for (const c of registry.companies) expect(serving.has(c.id)).toBe(true);
  });
});

describe('community names are unambiguous within a district (routing needs exactly one match)', () => {
  const registry = buildDemoRegistry();

  it('no two communities in one district share a normalized name', () => {
    const seen = new Set<string>();
    for (const cm of registry.communities) {
      const key = `${cm.districtCode}:${cm.normalizedName}`;
      expect(seen.has(key)).toBe(false);
      seen.add(key);
    }
  });

  it('each stored normalized name is the normalized form of the community\'s name', () => {
    for (const cm of registry.communities) expect(cm.normalizedName).toBe(normalizeCommunityName(cm.name));
  });

  it('some communities are 三供一业 hand-overs with no clear owner, most are not', () => {
    const unclear = registry.communities.filter((cm) => cm.unclearOwner).length;
    expect(unclear).toBeGreaterThan(0);
    expect(unclear).toBeLessThan(registry.communities.length / 10);
  });
});

describe('all region codes are Liaoning\'s (GB/T 2260 codes starting with 21)', () => {
  const registry = buildDemoRegistry();

  it('authorities, companies, stations and communities all carry 6-digit codes starting with 21', () => {
    const codes = [
      ...registry.authorities.flatMap((a) => [a.regionCode, a.cityCode]),
      ...registry.companies.flatMap((c) => [c.cityCode, c.districtCode]),
      ...registry.stations.map((s) => s.districtCode),
      ...registry.communities.map((cm) => cm.districtCode),
    ];
    for (const code of codes) expect(code).toMatch(/^21\d{4}$/);
  });

  it('a company\'s district lies in its city (same first four digits)', () => {
    for (const c of registry.companies) expect(c.districtCode.slice(0, 4)).toBe(c.cityCode.slice(0, 4));
  });
});

describe('the demo registry is the same on every build', () => {
  it('two builds are deeply equal', () => {
    expect(buildDemoRegistry()).toEqual(buildDemoRegistry());
  });

  it('company HC0001 serves 「金地小区」 in 沈阳市和平区 (210102), as the end-to-end tests assume', () => {
    const registry = buildDemoRegistry();
    const jindi = registry.communities.find((cm) => cm.districtCode === '210102' && cm.name === '金地小区');
    expect(jindi?.companyId).toBe('HC0001');
  });
});
