import type { TokenService } from '#shared';
import type { TestSuite } from './embedded-suite.js';
import { eventually } from './eventually.js';
import { call } from './http.js';
import { hotlineComplaint, temperatureSlip } from './thin-loop.js';

/*
 * Steps of a case as its users take them, for tests that need a case in a given state:
 * filed → dispatched (routed by the registry) → closed by the company → survey SMS with a link.
 */

let room = 0;

export interface FiledCase {
  caseId: string;
  caseNumber: string;
}

/** An operator files a too-cold complaint for `phone` in `communityName` (a fresh room each time, so never a duplicate). */
export async function fileComplaint(
  suite: TestSuite,
  operator: string,
  phone: string,
  place: { communityName: string; cityCode: string; districtCode: string },
): Promise<FiledCase> {
  const complaint = hotlineComplaint(phone, place.communityName);
  complaint.address = { ...complaint.address, cityCode: place.cityCode, districtCode: place.districtCode, room: `${900 + ++room}` };
  const filed = await call('POST', `${suite.urls.intake}/api/v1/complaints`, operator, complaint);
  if (filed.status !== 201) throw new Error(`filing a complaint → ${filed.status} ${JSON.stringify(filed.body)}`);
  return { caseId: filed.body.caseId, caseNumber: filed.body.caseNumber };
}

/** Waits until dispatch holds the case (routed to a company or queued for manual dispatch); returns its row. */
export async function dispatchedCase(suite: TestSuite, caseId: string): Promise<{ status: string; company_id: string | null }> {
  return eventually(async () => {
    const rows = await suite.db('dispatch').query(`SELECT status, company_id FROM dispatch_case WHERE id = $1`, [caseId]);
    return rows[0];
  }, 60_000, `dispatch to receive case ${caseId}`);
}

/** The company feeds back `fixed` with a temperature slip, which closes the case. */
export async function closeCase(suite: TestSuite, company: string, caseId: string): Promise<void> {
  await dispatchedCase(suite, caseId);
  // sms-survey must know whom to ask before the case closes (else case.closed waits for a redelivery).
  await eventually(async () => ((await suite.db('sms-survey').query(`SELECT 1 FROM case_contact WHERE case_id = $1`, [caseId])).length > 0 ? true : undefined), 60_000, 'sms-survey to learn the contact');
  const r = await call('POST', `${suite.urls.dispatch}/api/v1/cases/${caseId}/feedback`, company, {
    resolution: 'fixed',
    summary: '已入户调整阀门，复测卧室 19.5℃',
    temperatureSlip: temperatureSlip(),
  });
  if (r.status !== 200) throw new Error(`feedback → ${r.status} ${JSON.stringify(r.body)}`);
}

/** The one-time web rating token of the survey SMS sent for the case (read from sms-survey's SMS outbox). */
export async function surveyLinkToken(suite: TestSuite, caseNumber: string): Promise<string> {
  return eventually(async () => {
    const rows = await suite.db('sms-survey').query(`SELECT text FROM sms_message WHERE direction = 'out' AND text LIKE $1 ORDER BY id`, [`%${caseNumber}%`]);
    const match = rows.map((r: { text: string }) => /\/r\/([\w-]+)/.exec(r.text)).find(Boolean);
    return match ? match[1] : undefined;
  }, 60_000, `the survey SMS with a rating link for ${caseNumber}`);
}

/** Tokens of the kinds every test needs. */
export async function signTokens(tokens: TokenService) {
  const hour = 3600;
  return {
    operator: await tokens.sign({ sub: 'op-fuzz', role: 'operator' }, hour),
    province: await tokens.sign({ sub: 'prov-fuzz', role: 'province' }, hour),
    companyHC0001: await tokens.sign({ sub: 'duty-HC0001', role: 'company', unitId: 'HC0001' }, hour),
    cityShenyang: await tokens.sign({ sub: 'au-shenyang', role: 'authority', unitId: 'AU210100', regionCode: '210100' }, hour),
  };
}
