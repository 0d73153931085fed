/** The four services of the suite. Each owns its tables and its queue. */
export const SERVICE_NAMES = ['intake', 'dispatch', 'sms-survey', 'kpi'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
