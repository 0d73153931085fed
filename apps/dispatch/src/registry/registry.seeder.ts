import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SERVICE_CONFIG } from '#shared';
import type { ServiceConfig } from '#shared';
import { buildDemoRegistry } from './demo-registry.js';
import { Authority, Community, Company, Station } from './registry.entities.js';

/** Replicas starting together on an empty database take turns (advisory lock): one seeds, the others find it done. */
const SEED_LOCK = 'dispatch|demo-registry-seed';

/** Loads the deterministic Liaoning demo registry into an empty database when configured to. */
@Injectable()
export class RegistrySeeder implements OnModuleInit {
  private readonly logger = new Logger('RegistrySeeder');

  constructor(
    private readonly dataSource: DataSource,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.seedDemoData) return;
    if ((await this.dataSource.getRepository(Company).count()) > 0) return;
    const demo = buildDemoRegistry();
    const seeded = await this.dataSource.transaction(async (em) => {
      await em.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [SEED_LOCK]);
      if ((await em.getRepository(Company).count()) > 0) return false;
      await em.insert(Authority, demo.authorities);
      for (let i = 0; i < demo.companies.length; i += 200) {
        await em.insert(Company, demo.companies.slice(i, i + 200).map((c) => ({ ...c, webhookUrl: null, webhookSecret: null })));
      }
      for (let i = 0; i < demo.stations.length; i += 300) await em.insert(Station, demo.stations.slice(i, i + 300));
      for (let i = 0; i < demo.communities.length; i += 300) await em.insert(Community, demo.communities.slice(i, i + 300));
      return true;
    });
    if (!seeded) return;
    this.logger.log(
      `demo registry loaded: ${demo.authorities.length} authorities, ${demo.companies.length} companies, ${demo.stations.length} stations, ${demo.communities.length} communities`,
    );
  }
}
