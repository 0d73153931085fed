import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { Community } from '../registry/registry.entities.js';
import { CommunityIndex } from './community-index.js';

/** How long an index may serve before it is rebuilt (registry changes made by another replica show up within this). */
export const INDEX_MAX_AGE_MS = 60_000;

/**
 * The in-memory routing index over the whole registry (all districts: the router checks whether a
 * name belongs to another district). Built on first use, rebuilt after a registry import in this
 * process (`invalidate`) and at most a minute after a change made elsewhere.
 */
@Injectable()
export class CommunityIndexHolder {
  private index?: CommunityIndex;
  private builtAt = 0;

  constructor(private readonly dataSource: DataSource) {}

  /** The current index; `em` when called inside a transaction (embedded mode has one connection). */
  async current(em: EntityManager = this.dataSource.manager): Promise<CommunityIndex> {
    const now = Date.now();
    if (!this.index || now - this.builtAt > INDEX_MAX_AGE_MS) {
      this.index = CommunityIndex.build(await em.find(Community));
      this.builtAt = now;
    }
    return this.index;
  }

  /** The registry changed: the next routing decision uses a fresh index. */
  invalidate(): void {
    this.index = undefined;
  }
}
