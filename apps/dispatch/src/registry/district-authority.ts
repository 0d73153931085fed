import type { EntityManager } from 'typeorm';
import { Authority } from './registry.entities.js';

/** The authority that supervises a district: its own county authority, else the city's. */
export async function districtAuthorityId(em: EntityManager, districtCode: string, cityCode: string): Promise<string> {
  const county = await em.findOneBy(Authority, { regionCode: districtCode });
  if (county) return county.id;
  const city = await em.findOneBy(Authority, { regionCode: cityCode });
  return city?.id ?? `AU${cityCode}`;
}
