import { normalizeCommunityName } from '../routing/community-name.js';
import { liaoningDivisions } from '#shared';
import type { CityDivisions, Division } from '#shared';

export const DEMO_COUNTS = { cities: 14, authorities: 97, companies: 647 } as const;

/** Resident population (10,000s, 2020 census, rounded): spreads the 647 companies. */
const CITY_POPULATION: Record<string, number> = {
  '210100': 907, '210200': 745, '210300': 333, '210400': 186, '210500': 133, '210600': 219, '210700': 270,
  '210800': 233, '210900': 165, '211000': 160, '211100': 139, '211200': 239, '211300': 287, '211400': 243,
};

const BRANDS = ['热力', '惠民', '暖通', '新城', '宏达', '安泰', '金源', '恒温', '润泽', '华润', '北方', '东升', '康居', '瑞丰', '盛京', '永安'];
const NAME_HEADS = ['幸福', '阳光', '和平', '金地', '锦绣', '翠湖', '富民', '康乐', '长青', '祥和', '东湖', '南苑', '北陵', '中山', '滨河', '枫林', '御景', '雅居', '春晖', '欣园'];
const NAME_TAILS = ['小区', '花园', '家园', '新村', '雅苑', '公寓', '号院', '嘉园'];
const PHASES = ['', '一期', '二期', '三期'];

export interface DemoAuthority { id: string; name: string; level: 'city' | 'county'; regionCode: string; cityCode: string }
export interface DemoCompany { id: string; name: string; authorityId: string; cityCode: string; districtCode: string }
export interface DemoStation { id: string; name: string; companyId: string; districtCode: string }
export interface DemoCommunity {
  id: string; name: string; normalizedName: string; districtCode: string; stationId: string; companyId: string;
  unclearOwner: boolean; aliases: string[];
}
export interface DemoRegistry {
  authorities: DemoAuthority[];
  companies: DemoCompany[];
  stations: DemoStation[];
  communities: DemoCommunity[];
}

/** Largest-remainder split of `total` by weights, so the parts add up exactly. */
export function apportion(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map(Math.floor);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const missing = total - parts.reduce((a, b) => a + b, 0);
  for (let k = 0; k < missing; k++) parts[order[k][1]]++;
  return parts;
}

/**
 * Liaoning's demo registry, the same on every run: 14 city authorities and 83 county-level ones
 * (97), 647 companies by population, two stations and three communities per company; every 40th
 * community is a 三供一业 hand-over with no clear owner.
 */
export function buildDemoRegistry(): DemoRegistry {
  const cities = liaoningDivisions();
  const authorities: DemoAuthority[] = [];
  const areaAuthority = new Map<string, string>();
  // The city authority supervises its first (central) district directly, and Shenyang's and
  // Dalian's first few; every other county-level division has its own authority: 14 + 83 = 97.
  const directlySupervised = (city: CityDivisions, index: number) =>
    index === 0 || (city.code === '210100' && index <= 2) || (city.code === '210200' && index === 1);
  for (const city of cities) {
    const cityAuthority = `AU${city.code}`;
    authorities.push({ id: cityAuthority, name: `${city.name}供热管理办公室`, level: 'city', regionCode: city.code, cityCode: city.code });
    city.districts.forEach((d, i) => {
      if (directlySupervised(city, i)) {
        areaAuthority.set(d.code, cityAuthority);
      } else {
        const id = `AU${d.code}`;
        authorities.push({ id, name: `${city.name}${d.name}供热管理办公室`, level: 'county', regionCode: d.code, cityCode: city.code });
        areaAuthority.set(d.code, id);
      }
    });
  }

  const perCity = apportion(DEMO_COUNTS.companies, cities.map((c) => CITY_POPULATION[c.code] ?? 100));
  const companies: DemoCompany[] = [];
  const stations: DemoStation[] = [];
  const communities: DemoCommunity[] = [];
  const usedNames = new Set<string>();
  let companyNo = 0;
  let communityNo = 0;
  cities.forEach((city, ci) => {
    for (let k = 0; k < perCity[ci]; k++) {
      const district: Division = city.districts[k % city.districts.length];
      companyNo++;
      const id = `HC${String(companyNo).padStart(4, '0')}`;
      const brand = BRANDS[(companyNo * 7) % BRANDS.length];
      const company: DemoCompany = {
        id,
        name: `${district.name}${brand}供热有限公司${Math.floor(k / city.districts.length) > 0 ? `第${Math.floor(k / city.districts.length) + 1}分公司` : ''}`,
        authorityId: areaAuthority.get(district.code)!,
        cityCode: city.code,
        districtCode: district.code,
      };
      companies.push(company);
      for (let s = 1; s <= 2; s++) {
        stations.push({ id: `${id}-S${s}`, name: `${district.name}${brand}${s}号换热站`, companyId: id, districtCode: district.code });
      }
      for (let m = 0; m < 3; m++) {
        communityNo++;
        let name = '';
        for (let attempt = 0; ; attempt++) {
          const n = communityNo * 3 + attempt * 11;
          name = `${NAME_HEADS[n % NAME_HEADS.length]}${NAME_TAILS[Math.floor(n / NAME_HEADS.length) % NAME_TAILS.length]}${PHASES[Math.floor(n / 160) % PHASES.length]}`;
          if (!usedNames.has(`${district.code}:${normalizeCommunityName(name)}`)) break;
        }
        usedNames.add(`${district.code}:${normalizeCommunityName(name)}`);
        communities.push({
          id: `CM${String(communityNo).padStart(5, '0')}`,
          name,
          normalizedName: normalizeCommunityName(name),
          districtCode: district.code,
          stationId: `${id}-S${(m % 2) + 1}`,
          companyId: id,
          unclearOwner: communityNo % 40 === 0,
          aliases: [],
        });
      }
    }
  });
  return { authorities, companies, stations, communities };
}
