import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CLOCK, SERVICE_CONFIG } from '#shared';
import type { Clock, ServiceConfig } from '#shared';
import { SurveyLink } from './survey-link.entity.js';

/** 12 random bytes: 96 bits, 16 characters of base64url — unguessable, and short enough for an SMS. */
const TOKEN_BYTES = 12;
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * One-time web rating links `${PUBLIC_BASE_URL}/r/{token}`. The token is random and bound to one
 * survey through the stored SHA-256 of it (the token itself is never stored). A link works while
 * its survey awaits a rating; once the survey is rated (by SMS or web), expired or skipped, every
 * link of it is dead. The reminder carries a fresh link; the invitation's link keeps working.
 */
@Injectable()
export class SurveyLinks {
  private readonly baseUrl?: string;

  constructor(
    @Inject(SERVICE_CONFIG) config: ServiceConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.baseUrl = config.publicBaseUrl;
  }

  get enabled(): boolean {
    return this.baseUrl !== undefined;
  }

  /** What a link looks like with this configuration (for the SMS length check). */
  sampleUrl(): string | undefined {
    return this.baseUrl === undefined ? undefined : `${this.baseUrl}/r/${'x'.repeat(16)}`;
  }

  /** Issues a link for the survey inside the caller's transaction; undefined when PUBLIC_BASE_URL is unset. */
  async issue(em: EntityManager, surveyId: string): Promise<string | undefined> {
    if (this.baseUrl === undefined) return undefined;
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    await em.insert(SurveyLink, { tokenHash: hashToken(token), surveyId, issuedAt: this.clock.now(), usedAt: null });
    return `${this.baseUrl}/r/${token}`;
  }

  /** The link a token names, or null (malformed or unknown token). */
  async find(em: EntityManager, token: string): Promise<SurveyLink | null> {
    if (!TOKEN_PATTERN.test(token)) return null;
    return em.findOneBy(SurveyLink, { tokenHash: hashToken(token) });
  }
}
