import { Column, Entity, PrimaryColumn } from 'typeorm';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One webhook message to one company; its `id` is the Standard Webhooks `webhook-id`. */
@Entity('webhook_delivery')
export class WebhookDelivery {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'company_id' }) companyId: string;
  @Column('uuid', { name: 'case_id' }) caseId: string;
  @Column('text', { name: 'event_type' }) eventType: string;
  @Column('jsonb') payload: Record<string, unknown>;
  @Column('text') status: DeliveryStatus;
  @Column('int') attempts: number;
  @Column('timestamptz', { name: 'next_attempt_at' }) nextAttemptAt: Date;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'delivered_at', nullable: true }) deliveredAt: Date | null;
  @Column('text', { name: 'last_error', nullable: true }) lastError: string | null;
}

/** Every attempt, kept for the company and the platform to see. */
@Entity('webhook_attempt')
export class WebhookAttempt {
  @PrimaryColumn('text', { name: 'delivery_id' }) deliveryId: string;
  @PrimaryColumn('int') attempt: number;
  @Column('timestamptz') at: Date;
  @Column('int', { name: 'status_code', nullable: true }) statusCode: number | null;
  @Column('int', { name: 'duration_ms' }) durationMs: number;
  @Column('text', { nullable: true }) error: string | null;
}
