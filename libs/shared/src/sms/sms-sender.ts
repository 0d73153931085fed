import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { maskPhonesInText, normalizeMainlandMobile } from '../phone/phone.js';
import { PHONE_VAULT } from '../phone/phone-vault.js';
import type { PhoneVault } from '../phone/phone-vault.js';
import { WorkLoop } from '../scheduling/work-loop.js';
import { CLOCK } from '../time/clock.js';
import type { Clock } from '../time/clock.js';
import { SmsMessage } from './sms-message.entity.js';
import { SMS_GATEWAY, SmsSendError } from './sms-gateway.js';
import type { SmsGateway } from './sms-gateway.js';
import { DEFAULT_SMS_SIGN_NAME, isSmsTemplateKey, matchSmsTemplate, toOutgoingSms } from './sms-templates.js';
import type { OutgoingSms, SmsContent } from './sms-templates.js';

/** Attempts of one message before it is given up as failed. */
/** How long a claimed message is reserved for the process sending it. */
const SEND_LEASE_MS = 60_000;

export const SMS_MAX_ATTEMPTS = 5;
/** Waits before the 2nd … 5th attempt when the provider throttled, failed or did not answer. */
export const SMS_RETRY_DELAYS_MS = [10_000, 60_000, 300_000, 1_800_000] as const;

/**
 * SMS outbox: a message is written as `pending` in the transaction that decided to send it, and
 * handed to the gateway after commit, so a rolled-back survey never texts anyone. A provider's
 * refusal fails the message at once with the provider's reason; throttling and outages are retried
 * later (SMS_RETRY_DELAYS_MS), at most SMS_MAX_ATTEMPTS attempts.
 */
@Injectable()
export class SmsSender implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SmsSender');
  private readonly loop = new WorkLoop('SMS sending', () => this.sendPending(), { idleMs: 2_000, maxBackoffMs: 30_000, logger: this.logger });

  constructor(
    private readonly dataSource: DataSource,
    @Inject(SMS_GATEWAY) private readonly gateway: SmsGateway,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PHONE_VAULT) private readonly vault: PhoneVault,
  ) {}

  private get signName(): string {
    return this.gateway.signName || DEFAULT_SMS_SIGN_NAME;
  }

  /**
   * Queues an SMS inside the caller's transaction: a catalogue template with its parameters
   * (`{ template: 'rating_thanks', params: { caseNumber } }`). A plain text is accepted from older
   * callers when it is exactly what a template renders (with the 【供热直通车】 signature);
   * any other text is a bug — providers send registered templates only — and throws.
   * The number is stored sealed with its blind index (PhoneVault); it is opened only to send.
   */
  async queue(em: EntityManager, phone: string, content: SmsContent | string, surveyId: string | null): Promise<void> {
    const message = toOutgoingSms(phone, typeof content === 'string' ? templateOfText(content) : content, this.signName);
    await em.insert(SmsMessage, {
      direction: 'out',
      phoneEnc: this.vault.seal(phone),
      phoneHash: this.vault.hash(normalizeMainlandMobile(phone) ?? phone),
      text: message.text,
      template: message.template,
      templateParams: message.params,
      status: 'pending',
      attempts: 0,
      provider: this.gateway.provider,
      providerMessageId: null,
      surveyId,
      at: this.clock.now(),
      lastError: null,
      nextAttemptAt: null,
    });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  onApplicationShutdown(): void {
    this.loop.stop();
  }

  /** Send soon (an SMS was committed). */
  kick(): void {
    this.loop.kick();
  }

  async sendPending(): Promise<void> {
    const repo = this.dataSource.getRepository(SmsMessage);
    const now = this.clock.now();
    // Claim with a lease (SKIP LOCKED), then send outside the transaction: replicas of a service
    // never send the same message; a process that dies mid-send leaves it to be retried after the lease.
    const pending = await this.dataSource.transaction(async (em) => {
      const rows: Array<{ id: string }> = await em.query(
        `SELECT id FROM sms_message
          WHERE direction = 'out' AND status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= $1)
          ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED`,
        [now],
      );
      if (rows.length === 0) return [];
      const ids = rows.map((r) => r.id);
      await em.query(`UPDATE sms_message SET next_attempt_at = $1 WHERE id = ANY($2)`, [new Date(now.getTime() + SEND_LEASE_MS), ids]);
      return (await em.findBy(SmsMessage, { id: In(ids) })).sort((a, b) => Number(a.id) - Number(b.id));
    });
    for (const msg of pending) {
      let outgoing: OutgoingSms | null;
      try {
        outgoing = this.outgoingOf(msg);
      } catch (error) {
        // The number cannot be opened (its key is not in PHONE_KEYS): retried, in case the keys are fixed.
        await this.recordFailure(msg, error);
        continue;
      }
      if (!outgoing) {
        await repo.update({ id: msg.id }, { status: 'failed', lastError: 'the text matches no SMS template: providers send registered templates only' });
        this.logger.warn(`SMS ${msg.id} failed: its text matches no SMS template`);
        continue;
      }
      try {
        const { providerMessageId } = await this.gateway.send(outgoing);
        await repo.update({ id: msg.id }, { status: 'sent', providerMessageId, attempts: msg.attempts + 1, lastError: null, nextAttemptAt: null });
      } catch (error) {
        await this.recordFailure(msg, error);
      }
    }
  }

  private async recordFailure(msg: SmsMessage, error: unknown): Promise<void> {
    const attempts = msg.attempts + 1;
    const reason = maskPhonesInText(error instanceof Error ? error.message : String(error)).slice(0, 500);
    // A provider's refusal (wrong template, signature, number…) will not change: no retry.
    const retryable = error instanceof SmsSendError ? error.retryable : true;
    const retry = retryable && attempts < SMS_MAX_ATTEMPTS;
    const delayMs = SMS_RETRY_DELAYS_MS[Math.min(attempts, SMS_RETRY_DELAYS_MS.length) - 1];
    this.logger.warn(
      `SMS ${msg.id} (${msg.template ?? 'no template'}) not sent, attempt ${attempts}: ${reason}` +
        (retry ? `; next attempt in ${delayMs / 1000} s` : retryable ? `; given up after ${attempts} attempts` : '; not retried'),
    );
    await this.dataSource.getRepository(SmsMessage).update(
      { id: msg.id },
      {
        attempts,
        status: retry ? 'pending' : 'failed',
        lastError: reason,
        nextAttemptAt: retry ? new Date(this.clock.now().getTime() + delayMs) : null,
      },
    );
  }

  /**
   * What the gateway is handed, the number opened; rows queued before templates existed are
   * matched by their text. Throws when the number cannot be opened.
   */
  private outgoingOf(msg: SmsMessage): OutgoingSms | null {
    if (isSmsTemplateKey(msg.template)) {
      return { phone: this.vault.open(msg.phoneEnc), template: msg.template, params: msg.templateParams ?? {}, text: msg.text };
    }
    const content = matchSmsTemplate(msg.text, this.signName) ?? matchSmsTemplate(msg.text);
    return content ? { ...toOutgoingSms(this.vault.open(msg.phoneEnc), content, this.signName), text: msg.text } : null;
  }
}

/** The template a plain text was rendered from (older callers queue texts); throws for any other text. */
function templateOfText(text: string): SmsContent {
  const content = matchSmsTemplate(text);
  if (!content) {
    throw new Error('SMS text matches no template of SMS_TEMPLATES (libs/shared/src/sms/sms-templates.ts): add the template there, providers send registered templates only');
  }
  return content;
}
