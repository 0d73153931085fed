import type { EventType } from '../contracts/events.js';
import type { ServiceName } from '../contracts/services.js';

/**
 * Who listens to what. Every service declares the whole topology from this table at start-up,
 * so a queue exists (and keeps messages) before anyone publishes to it, whichever service starts first.
 */
export const SUBSCRIPTIONS: Record<ServiceName, readonly EventType[]> = {
  intake: ['case.dispatched', 'case.overdue', 'case.feedback_submitted', 'case.closed', 'survey.rated'],
  dispatch: ['complaint.received', 'survey.rated'],
  'sms-survey': ['complaint.received', 'case.closed', 'survey.requested'],
  kpi: ['complaint.received', 'consultation.answered', 'case.dispatched', 'case.overdue', 'case.feedback_submitted', 'case.closed', 'survey.rated', 'bad_rating.updated', 'incident.updated'],
};

/** The queue a service consumes from. */
export function queueOf(service: ServiceName): string {
  return `heating.${service}`;
}
