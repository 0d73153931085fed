import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEmbeddedSuite } from '../../apps/embedded/src/suite.js';
import type { EmbeddedSuite } from '../../apps/embedded/src/suite.js';
import { call } from '../support/http.js';
import { driveThinLoop } from '../support/thin-loop.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const ANY_PORT = { INTAKE_PORT: '0', DISPATCH_PORT: '0', SMS_SURVEY_PORT: '0', KPI_PORT: '0', LOG_LEVEL: 'debug' };
const RESIDENT_PHONE = '13912345678';

describe('embedded suite (PGlite + in-process bus)', () => {
  let suite: EmbeddedSuite;
  let dataDir: string;
  const receiver = new WebhookReceiver();
  const logLines: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'heating-e2e-'));
    suite = await startEmbeddedSuite({
      dataDir,
      env: { ...process.env, ...ANY_PORT },
      logDestination: { write: (line: string) => void logLines.push(line) },
    });
  }, 120_000);

  afterAll(async () => {
    await suite?.close();
    await receiver.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('all four services report ready (database and bus)', async () => {
    for (const url of Object.values(suite.urls)) {
      const r = await call('GET', `${url}/health/ready`);
      expect(r).toEqual({ status: 200, body: { status: 'ok', checks: { database: 'ok', broker: 'ok' } } });
    }
  });

  it('a complaint travels the whole loop: intake → dispatch → signed webhook → feedback → survey SMS → reply → kpi', async () => {
    await driveThinLoop(suite, receiver, RESIDENT_PHONE);
  });

  it('the logs of the whole loop (debug level) never carry the full phone number', async () => {
    const joined = logLines.join('');
    expect(joined).toContain('"service":"intake"'); // request logs were captured …
    expect(joined).toContain('139****5678'); // … including the masked number in the SMS log line
    expect(joined).not.toContain(RESIDENT_PHONE);
  });

  it('every service publishes OpenAPI docs at /docs', async () => {
    for (const url of Object.values(suite.urls)) {
      const r = await call('GET', `${url}/docs/openapi.json`);
      expect(r.status).toBe(200);
      expect(Object.keys(r.body.paths)).toContain('/health/ready');
    }
  });

  it('a request without a token is refused with a Chinese message and code UNAUTHENTICATED', async () => {
    const r = await call('POST', `${suite.urls.intake}/api/v1/complaints`, undefined, {});
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('UNAUTHENTICATED');
    expect(r.body.message).toMatch(/令牌/);
  });

  it('malformed JSON is a 400 MALFORMED_JSON, not a 500', async () => {
    const operator = await suite.tokens.sign({ sub: 'op', role: 'operator' }, 60);
    const r = await call('POST', `${suite.urls.intake}/api/v1/complaints`, operator, '{"callerPhone": ');
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('MALFORMED_JSON');
  });

  it('a poison message on the bus is dead-lettered at its first attempt, with the reason', async () => {
    suite.bus.publishRaw('complaint.received', '{"not":"an envelope"}');
    const province = await suite.tokens.sign({ sub: 'prov', role: 'province' }, 60);
    const deadline = Date.now() + 5_000;
    let letters: any;
    do {
      letters = (await call('GET', `${suite.urls.dispatch}/ops/dead-letters`, province)).body;
      if (letters.count > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    } while (Date.now() < deadline);
    expect(letters.count).toBe(1);
    expect(letters.items[0].reason).toMatch(/envelope field "id"/);
    expect(letters.items[0].attempts).toBe(1);
  });
});
