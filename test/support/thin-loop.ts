import { expect } from '@jest/globals';
import { shanghaiMonth } from '#shared';
import type { ServiceName, TokenService } from '#shared';
import { eventually } from './eventually.js';
import { call } from './http.js';
import type { WebhookReceiver } from './webhook-receiver.js';

export interface SuiteHandle {
  urls: Record<ServiceName, string>;
  tokens: TokenService;
}

/** A community of the demo registry served by company HC0001 (和平区, 沈阳市). */
export const HC0001_COMMUNITY = { communityName: '金地小区', cityCode: '210100', districtCode: '210102' };

export function hotlineComplaint(phone: string, communityName = HC0001_COMMUNITY.communityName) {
  return {
    callerPhone: phone,
    type: 'complaint',
    category: 'too_cold',
    communityName,
    address: { cityCode: HC0001_COMMUNITY.cityCode, districtCode: HC0001_COMMUNITY.districtCode, street: '南京南街 12 号', building: '3 号楼', unit: '2 单元', room: '501' },
    description: '卧室只有 15 度',
    indoorTemperatureC: 15,
  };
}

/** A temperature slip as a company files it with its feedback on a too-cold complaint. */
export function temperatureSlip(bedroomC = 19.5, livingRoomC = 20, measuredAt = new Date()) {
  return {
    readings: [
      { room: '主卧', roomType: 'bedroom', temperatureC: bedroomC },
      { room: '客厅', roomType: 'living_room', temperatureC: livingRoomC },
    ],
    measuredAt: measuredAt.toISOString(),
    measuringPoint: '房间中央，距地面 1.2 米，门窗关闭 30 分钟以上',
    instrument: '数字温度计 TES-1310',
    measurer: '张师傅',
    residentAcknowledged: true,
  };
}

/**
 * The whole loop, as its users do it: operator files → company gets a signed webhook → company
 * feeds back → resident gets a survey SMS and replies "1" → kpi counts it in the company's month.
 */
export async function driveThinLoop(suite: SuiteHandle, receiver: WebhookReceiver, phone: string): Promise<void> {
  const operator = await suite.tokens.sign({ sub: 'op-7', role: 'operator' }, 600);
  const company = await suite.tokens.sign({ sub: 'duty-HC0001', role: 'company', unitId: 'HC0001' }, 600);
  const province = await suite.tokens.sign({ sub: 'prov', role: 'province' }, 600);

  const hook = await call('PUT', `${suite.urls.dispatch}/api/v1/companies/me/webhook`, company, { url: await receiver.start() });
  expect(hook.status).toBe(200);
  receiver.secret = hook.body.secret;

  const filed = await call('POST', `${suite.urls.intake}/api/v1/complaints`, operator, hotlineComplaint(phone));
  expect(filed.status).toBe(201);
  expect(filed.body.phone).toBe(`${phone.slice(0, 3)}****${phone.slice(7)}`);
  const { caseId, caseNumber } = filed.body;

  const webhook = await eventually(async () => receiver.received.find((w) => w.payload.data.caseId === caseId), 15_000, 'signed webhook');
  expect(webhook.payload.type).toBe('case.dispatched');
  expect(webhook.payload.data.caseNumber).toBe(caseNumber);
  expect(webhook.payload.data.phone).toBe(phone); // the handling company needs the full number
  expect(receiver.rejected).toEqual([]);

  const feedback = await call('POST', `${suite.urls.dispatch}/api/v1/cases/${caseId}/feedback`, company, {
    resolution: 'fixed',
    summary: '已入户调整阀门，复测卧室 19.5℃',
    temperatureSlip: temperatureSlip(),
  });
  expect(feedback.status).toBe(200);
  expect(feedback.body.status).toBe('closed');

  const invitation = await eventually(async () => {
    const sms = await call('GET', `${suite.urls['sms-survey']}/api/v1/sms/messages`, province);
    return sms.body.find((m: any) => m.direction === 'out' && m.text.includes(caseNumber) && m.status === 'sent');
  }, 15_000, 'survey SMS');
  expect(invitation.text).toContain('1满意 2基本满意 3不满意');
  expect(invitation.phone).not.toContain(phone.slice(3, 7));

  const reply = await call('POST', `${suite.urls['sms-survey']}/api/v1/sms/console/replies`, province, { phone, text: '1' });
  expect(reply.body).toEqual({ outcome: 'rated' });

  const month = shanghaiMonth(new Date());
  const kpi = await eventually(async () => {
    const r = await call('GET', `${suite.urls.kpi}/api/v1/indicators/company/HC0001?month=${month}`, province);
    return r.body.counts?.rated === 1 ? r.body : undefined;
  }, 15_000, 'kpi to count the rating');
  expect(kpi.counts).toMatchObject({ dispatched: 1, withFeedback: 1, closed: 1, rated: 1, satisfied: 1, dissatisfied: 0 });
  expect(kpi.indicators.satisfactionRate.value).toBe(100);
  expect(kpi.indicators.completionRate.value).toBe(100);

  const status = await eventually(async () => {
    const r = await call('GET', `${suite.urls.intake}/api/v1/complaints/${caseNumber}`, operator);
    return r.body.status === 'rated' ? r.body : undefined;
  }, 15_000, 'intake to show the rating');
  expect(status.history.map((h: any) => h.status)).toEqual(['received', 'dispatched', 'feedback', 'closed', 'rated']);
  expect(status.history.find((h: any) => h.status === 'closed').text).toBe('已办结（问题已解决）');
}
