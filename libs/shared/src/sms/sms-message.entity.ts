import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Every SMS sent or received, as the console gateway shows it and for audit. */
@Entity('sms_message')
export class SmsMessage {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id: string;
  @Column('text') direction: 'out' | 'in';
  /** The number, sealed (PhoneVault): opened only to hand the message to the gateway. */
  @Column('text', { name: 'phone_enc' }) phoneEnc: string;
  /** Blind index of the normalised number (PhoneVault.hash), for equality look-ups. */
  @Column('text', { name: 'phone_hash' }) phoneHash: string;
  /** The whole text as the resident receives (or sent) it. */
  @Column('text') text: string;
  /** Outgoing: pending until the gateway took it (SMS outbox), then sent or failed. */
  @Column('text') status: 'pending' | 'sent' | 'failed' | 'received';
  @Column('int', { default: 0 }) attempts: number;
  @Column('text') provider: string;
  @Column('text', { name: 'provider_message_id', nullable: true }) providerMessageId: string | null;
  @Column('uuid', { name: 'survey_id', nullable: true }) surveyId: string | null;
  @Column('timestamptz') at: Date;
  /** Outgoing: the catalogue template (SMS_TEMPLATES) and its parameters, as the provider is sent them. */
  @Column('text', { nullable: true }) template: string | null;
  @Column('jsonb', { name: 'template_params', nullable: true }) templateParams: Record<string, string> | null;
  /** Outgoing: why the last attempt failed (the provider's code and message, no phone numbers). */
  @Column('text', { name: 'last_error', nullable: true }) lastError: string | null;
  /** Outgoing: a retry waits until then (throttling, provider or network trouble). */
  @Column('timestamptz', { name: 'next_attempt_at', nullable: true }) nextAttemptAt: Date | null;
}
