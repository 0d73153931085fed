import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A phone that replied 退订 / TD / STOP / 取消: no more survey SMS until it replies 订阅 / 恢复. */
@Entity('sms_opt_out')
export class SmsOptOut {
  @PrimaryColumn('text') phone: string;
  @Column('timestamptz', { name: 'opted_out_at' }) optedOutAt: Date;
}
