/** Sends one SMS. Implementations: the console/outbox gateway (embedded), provider adapters (production). */
export interface SmsGateway {
  readonly provider: string;
  send(phone: string, text: string): Promise<{ providerMessageId: string }>;
}
export const SMS_GATEWAY = Symbol('SMS_GATEWAY');
