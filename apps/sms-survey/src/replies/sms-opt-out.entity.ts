import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A phone that replied 退订 / TD / STOP / 取消: no more survey SMS until it replies 订阅 / 恢复. Keyed by its blind index. */
@Entity('sms_opt_out')
export class SmsOptOut {
  /** Blind index of the normalised number (PhoneVault.hash). */
  @PrimaryColumn('text', { name: 'phone_hash' }) phoneHash: string;
  /** The number, sealed (PhoneVault). */
  @Column('text', { name: 'phone_enc' }) phoneEnc: string;
  @Column('timestamptz', { name: 'opted_out_at' }) optedOutAt: Date;
}
