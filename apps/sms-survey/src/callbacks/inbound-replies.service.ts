import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CLOCK, isDatabaseUnavailable, maskPhonesInText, PHONE_VAULT, SmsSender } from '#shared';
import type { Clock, PhoneVault } from '#shared';
import { SurveysService } from '../surveys/surveys.service.js';
import { storedReceiptKey } from './provider-formats.js';
import type { CallbackProvider, InboundReply } from './provider-formats.js';

/** How one reply of a callback ended. */
export type ReceiptResult = 'handled' | 'duplicate' | 'rejected' | 'failed';

/** The database cannot take the replies now: the provider is answered 503 and delivers again. */
export class InboundUnavailable extends Error {}

/** PostgreSQL errors worth the provider's redelivery: serialization, deadlock, lock and statement timeouts. */
const TRANSIENT_SQLSTATES = new Set(['40001', '40P01', '55P03', '57014']);

function isTransient(error: unknown): boolean {
  const e = error as { code?: unknown; driverError?: { code?: unknown } };
  const code = e?.code ?? e?.driverError?.code;
  return isDatabaseUnavailable(error) || (typeof code === 'string' && TRANSIENT_SQLSTATES.has(code));
}

const INSERT = `INSERT INTO sms_inbound_receipt
  (provider, receipt_key, phone_enc, phone_hash, text, truncated, original_length, provider_time, dest_code, sign_name, status, problem, received_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
  ON CONFLICT (provider, receipt_key) DO NOTHING RETURNING id`;

/**
 * Records replies from provider callbacks and hands each to the survey exactly once: the receipt
 * (unique per provider message) is written in the same transaction as the survey's handling, so a
 * crash in between loses nothing (the provider delivers again) and a redelivery changes nothing.
 */
@Injectable()
export class InboundRepliesService {
  private readonly logger = new Logger('SmsCallbacks');

  constructor(
    private readonly dataSource: DataSource,
    private readonly surveys: SurveysService,
    private readonly sms: SmsSender,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PHONE_VAULT) private readonly vault: PhoneVault,
  ) {}

  /** Records every reply; throws InboundUnavailable when one could not be stored (the provider must retry). */
  async receive(provider: CallbackProvider, replies: InboundReply[]): Promise<Record<ReceiptResult, number>> {
    const counts: Record<ReceiptResult, number> = { handled: 0, duplicate: 0, rejected: 0, failed: 0 };
    try {
      for (const reply of replies) counts[await this.receiveOne(provider, reply)]++;
    } finally {
      // Answers to the replies (thanks, asked again) were committed with them.
      if (counts.handled > 0) this.sms.kick();
    }
    return counts;
  }

  private async receiveOne(provider: CallbackProvider, reply: InboundReply): Promise<ReceiptResult> {
    try {
      return await this.dataSource.transaction(async (em) => {
        const inserted = rowsOf(await em.query(INSERT, this.values(provider, reply, reply.problem ? 'rejected' : 'handled', reply.problem)));
        if (inserted.length === 0) return 'duplicate';
        if (reply.problem || !reply.phone) return 'rejected';
        const outcome = await this.surveys.onReply(reply.phone, reply.text, em);
        await em.query('UPDATE sms_inbound_receipt SET outcome = $2 WHERE id = $1', [inserted[0].id, outcome]);
        return 'handled';
      });
    } catch (error) {
      if (isTransient(error)) throw new InboundUnavailable(`the ${provider} reply could not be stored: ${(error as Error).message}`);
      return this.keepFailed(provider, reply, error);
    }
  }

  /**
   * Handling broke on this reply (not the database): it is kept as `failed` for the operator rather
   * than redelivered forever, and the provider gets its success answer.
   */
  private async keepFailed(provider: CallbackProvider, reply: InboundReply, error: unknown): Promise<ReceiptResult> {
    const reason = maskPhonesInText(error instanceof Error ? error.message : String(error)).slice(0, 500);
    this.logger.error(`${provider} reply ${this.storedKey(provider, reply).slice(0, 16)} kept as failed, not applied: ${reason}`);
    try {
      const inserted = rowsOf(await this.dataSource.query(INSERT, this.values(provider, reply, 'failed', reason)));
      return inserted.length === 0 ? 'duplicate' : 'failed';
    } catch (second) {
      throw new InboundUnavailable(`the ${provider} reply could not be stored: ${(second as Error).message}`);
    }
  }

  private storedKey(provider: CallbackProvider, r: InboundReply): string {
    return storedReceiptKey(this.vault, provider, r.receiptKey);
  }

  /** The receipt's row; the sender's number (already normalised) sealed, with its blind index. */
  private values(provider: CallbackProvider, r: InboundReply, status: string, problem: string | null): unknown[] {
    const phone = r.phone === null ? null : this.vault.protect(r.phone);
    return [provider, this.storedKey(provider, r), phone?.enc ?? null, phone?.hash ?? null, r.text, r.truncated, r.originalLength, r.providerTime, r.destCode, r.signName, status, problem, this.clock.now()];
  }
}

/** INSERT … RETURNING through TypeORM's query(): the rows (some drivers wrap them as [rows, count]). */
function rowsOf(result: unknown): Array<{ id: string }> {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as Array<{ id: string }>;
  return Array.isArray(result) ? (result as Array<{ id: string }>) : [];
}
