import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Every SMS sent or received, as the console gateway shows it and for audit. */
@Entity('sms_message')
export class SmsMessage {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id: string;
  @Column('text') direction: 'out' | 'in';
  @Column('text') phone: string;
  @Column('text') text: string;
  /** Outgoing: pending until the gateway took it (SMS outbox), then sent or failed. */
  @Column('text') status: 'pending' | 'sent' | 'failed' | 'received';
  @Column('int', { default: 0 }) attempts: number;
  @Column('text') provider: string;
  @Column('text', { name: 'provider_message_id', nullable: true }) providerMessageId: string | null;
  @Column('uuid', { name: 'survey_id', nullable: true }) surveyId: string | null;
  @Column('timestamptz') at: Date;
}
