import { SmsMessage, SmsPhonesAtRest1764400000070, SmsTables1764400000050, SmsTemplates1764400000060 } from '#shared';
import type { SchemaDefinition } from '#shared';
import { BadRating, SpotCheck } from './bad-ratings/bad-rating.entity.js';
import { CaseAction, CaseRequest, EvidencePhoto } from './cases/case-records.entity.js';
import { DispatchCase } from './cases/dispatch-case.entity.js';
import { IncidentCase, IncidentResident, OutageIncident } from './incidents/incident.entity.js';
import { DispatchSchema1764400000200 } from './migrations/1764400000200-dispatch-schema.js';
import { CaseWorkflow1764400000210 } from './migrations/1764400000210-case-workflow.js';
import { WebhookHardening1764400000230 } from './migrations/1764400000230-webhook-hardening.js';
import { OutageIncidents1764400000240 } from './migrations/1764400000240-outage-incidents.js';
import { BadRatings1764400000250 } from './migrations/1764400000250-bad-ratings.js';
import { AuditChain1764400000260 } from './migrations/1764400000260-audit-chain.js';
import { PhonesAtRest1764400000270 } from './migrations/1764400000270-phones-at-rest.js';
import { Authority, Community, Company, Station } from './registry/registry.entities.js';
import { WebhookAttempt, WebhookDelivery } from './webhooks/webhook-delivery.entity.js';

/** dispatch's tables and migrations (the service, tools/audit-verify.ts and the tests open the database with it). */
export const DISPATCH_SCHEMA: SchemaDefinition = {
  entities: [
    Authority,
    Company,
    Station,
    Community,
    DispatchCase,
    CaseAction,
    CaseRequest,
    EvidencePhoto,
    OutageIncident,
    IncidentCase,
    IncidentResident,
    BadRating,
    SpotCheck,
    SmsMessage,
    WebhookDelivery,
    WebhookAttempt,
  ],
  migrations: [
    SmsTables1764400000050,
    SmsTemplates1764400000060,
    SmsPhonesAtRest1764400000070,
    DispatchSchema1764400000200,
    CaseWorkflow1764400000210,
    WebhookHardening1764400000230,
    OutageIncidents1764400000240,
    BadRatings1764400000250,
    AuditChain1764400000260,
    PhonesAtRest1764400000270,
  ],
};
