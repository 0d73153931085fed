import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One reply as a provider delivered it through its callback (docs/sms.md). Unique per provider
 * message, so a redelivery is recognised and handled once.
 *   handled   passed to the survey (outcome: what the survey made of it)
 *   rejected  kept, not applied: not a mainland mobile, or not from +86 (problem says which)
 *   failed    kept, not applied: handling it failed (problem: the error); for follow-up by the operator
 */
@Entity('sms_inbound_receipt')
export class SmsInboundReceipt {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id: string;
  @Column('text') provider: 'aliyun' | 'tencent';
  /** Aliyun: sequence_id; Tencent: blind-index HMAC of the SHA-256 of mobile, time and text (storedReceiptKey). */
  @Column('text', { name: 'receipt_key' }) receiptKey: string;
  /** The 11-digit mobile, sealed (PhoneVault); null when the provider's number is not a mainland mobile. */
  @Column('text', { name: 'phone_enc', nullable: true }) phoneEnc: string | null;
  /** Blind index of the mobile (PhoneVault.hash); null with phoneEnc. */
  @Column('text', { name: 'phone_hash', nullable: true }) phoneHash: string | null;
  /** The reply, at most 500 characters (longer ones are cut: `truncated`, `originalLength`). */
  @Column('text') text: string;
  @Column('boolean') truncated: boolean;
  @Column('int', { name: 'original_length' }) originalLength: number;
  /** When the resident sent it, as the provider says (Aliyun send_time, Tencent time). */
  @Column('text', { name: 'provider_time', nullable: true }) providerTime: string | null;
  /** Aliyun dest_code / Tencent extend: the extension code the reply was sent to. */
  @Column('text', { name: 'dest_code', nullable: true }) destCode: string | null;
  @Column('text', { name: 'sign_name', nullable: true }) signName: string | null;
  @Column('text') status: 'handled' | 'rejected' | 'failed';
  @Column('text', { nullable: true }) outcome: string | null;
  @Column('text', { nullable: true }) problem: string | null;
  @Column('timestamptz', { name: 'received_at' }) receivedAt: Date;
}
