import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { pickDistrictAuthority } from '../registry/district-authority.js';
import { Community } from '../registry/registry.entities.js';
import { CommunityIndex } from './community-index.js';

/** How long a snapshot may serve before it is rebuilt (registry changes made by another replica show up within this). */
export const INDEX_MAX_AGE_MS = 60_000;

/** What routing a new case needs from the registry, held in memory. */
export interface RegistrySnapshot {
  index: CommunityIndex;
  /** The authority a company answers to; undefined for a company not in the snapshot. */
  companyAuthority(companyId: string): string | undefined;
  /** The authority that supervises a district (county, else city). */
  districtAuthority(districtCode: string, cityCode: string): string;
  /** The station (换热站) serving a community; undefined for a community not in the snapshot. */
  stationOf(communityId: string): { id: string; name: string } | undefined;
}

/**
 * The in-memory routing index over the whole registry (all districts: the router checks whether a
 * name belongs to another district), with the companies' and regions' authorities and the
 * communities' stations. Built on first
 * use, rebuilt after a registry import in this process (`invalidate`) and at most a minute after a
 * change made elsewhere.
 */
@Injectable()
export class CommunityIndexHolder {
  private snapshotValue?: RegistrySnapshot;
  private builtAt = 0;

  constructor(private readonly dataSource: DataSource) {}

  /** The current index; `em` when called inside a transaction (embedded mode has one connection). */
  async current(em: EntityManager = this.dataSource.manager): Promise<CommunityIndex> {
    return (await this.snapshot(em)).index;
  }

  async snapshot(em: EntityManager = this.dataSource.manager): Promise<RegistrySnapshot> {
    const now = Date.now();
    if (!this.snapshotValue || now - this.builtAt > INDEX_MAX_AGE_MS) {
      const communities = await em.find(Community);
      const companies: Array<{ id: string; authority_id: string }> = await em.query(`SELECT id, authority_id FROM company`);
      const authorities: Array<{ id: string; region_code: string }> = await em.query(`SELECT id, region_code FROM authority`);
      const stations: Array<{ id: string; name: string }> = await em.query(`SELECT id, name FROM station`);
      const companyAuthority = new Map(companies.map((c) => [c.id, c.authority_id]));
      const byRegion = new Map(authorities.map((a) => [a.region_code, a.id]));
      const stationById = new Map(stations.map((st) => [st.id, st]));
      const stationOfCommunity = new Map(communities.map((m) => [m.id, stationById.get(m.stationId)]));
      this.snapshotValue = {
        index: CommunityIndex.build(communities),
        companyAuthority: (id) => companyAuthority.get(id),
        districtAuthority: (district, city) => pickDistrictAuthority((code) => byRegion.get(code), district, city),
        stationOf: (communityId) => stationOfCommunity.get(communityId),
      };
      this.builtAt = now;
    }
    return this.snapshotValue;
  }

  /** The registry changed: the next routing decision uses a fresh snapshot. */
  invalidate(): void {
    this.snapshotValue = undefined;
  }
}
