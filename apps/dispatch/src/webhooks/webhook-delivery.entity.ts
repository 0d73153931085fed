import { Column, Entity, PrimaryColumn } from 'typeorm';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'delivered', 'failed'];

/**
 * One webhook message to one company; its `id` is the Standard Webhooks `webhook-id`. Also has a
 * `seq` column (identity, queue order) used only in SQL: deliveries of a case go out in that order.
 */
@Entity('webhook_delivery')
export class WebhookDelivery {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'company_id' }) companyId: string;
  @Column('uuid', { name: 'case_id' }) caseId: string;
  @Column('text', { name: 'event_type' }) eventType: string;
  /** `{type, timestamp, data}` as sent (signed), except that numbers are sealed in place at rest (payload-phones.ts). */
  @Column('jsonb') payload: Record<string, unknown>;
  @Column('text') status: DeliveryStatus;
  /** Attempts made so far, over all schedules (manual redeliveries included). */
  @Column('int') attempts: number;
  @Column('timestamptz', { name: 'next_attempt_at' }) nextAttemptAt: Date;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'delivered_at', nullable: true }) deliveredAt: Date | null;
  @Column('text', { name: 'last_error', nullable: true }) lastError: string | null;
  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' }) updatedAt: Date;
  /** Reserved by a sender until then (claimed, request in flight). */
  @Column('timestamptz', { name: 'leased_until', nullable: true, default: null }) leasedUntil: Date | null;
  /** `attempts` when the current retry schedule began (0, or the count at the last manual redelivery). */
  @Column('int', { name: 'schedule_start', default: 0 }) scheduleStart: number;
}

/** Every attempt, kept for the company, its authority and the province to see. */
@Entity('webhook_attempt')
export class WebhookAttempt {
  @PrimaryColumn('text', { name: 'delivery_id' }) deliveryId: string;
  @PrimaryColumn('int') attempt: number;
  @Column('timestamptz') at: Date;
  @Column('int', { name: 'status_code', nullable: true }) statusCode: number | null;
  @Column('int', { name: 'duration_ms' }) durationMs: number;
  @Column('text', { nullable: true }) error: string | null;
}
