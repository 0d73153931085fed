import type { EntityManager } from 'typeorm';

/**
 * The authority that supervises a district: its own county authority, else the city's (else the
 * city authority's conventional id). `authorityOf` answers the authority whose region is a code.
 */
export function pickDistrictAuthority(authorityOf: (regionCode: string) => string | undefined, districtCode: string, cityCode: string): string {
  return authorityOf(districtCode) ?? authorityOf(cityCode) ?? `AU${cityCode}`;
}

/** `pickDistrictAuthority` read from the registry tables. */
export async function districtAuthorityId(em: EntityManager, districtCode: string, cityCode: string): Promise<string> {
  const rows: Array<{ id: string; region_code: string }> = await em.query(`SELECT id, region_code FROM authority WHERE region_code = ANY($1::text[])`, [
    [districtCode, cityCode],
  ]);
  return pickDistrictAuthority((code) => rows.find((r) => r.region_code === code)?.id, districtCode, cityCode);
}
