import { describe, expect, it } from '@jest/globals';
import * as surveyTexts from '../../../../apps/sms-survey/src/surveys/survey-texts.js';
import {
  matchSmsTemplate,
  orderedParams,
  outageNoticeSms,
  renderSms,
  SMS_TEMPLATE_KEYS,
  SMS_TEMPLATES,
  templateCodeVariable,
  tencentTemplateBody,
  toOutgoingSms,
} from './sms-templates.js';
import type { SmsContent, SmsTemplateKey } from './sms-templates.js';

const CASE = 'GR-20261129-000123';
const LINK = 'https://gr.example.cn/r/Xq3v9TkP';

/** Every catalogue key with sample parameters and the exact text residents receive today. */
const TODAY: Record<SmsTemplateKey, [Record<string, string>, string]> = {
  verification_code: [{ code: '042917' }, '【供热直通车】您的验证码是 042917，5 分钟内有效。请勿告诉他人；工作人员不会向您索要验证码。'],
  survey_invitation: [{ caseNumber: CASE }, `【供热直通车】您反映的供热问题（工单${CASE}）已办结，请回复数字评价：1满意 2基本满意 3不满意。回TD退订`],
  survey_invitation_link: [
    { caseNumber: CASE, link: LINK },
    `【供热直通车】您反映的供热问题（工单${CASE}）已办结，请回复数字评价：1满意 2基本满意 3不满意，或点 ${LINK} 评价。回TD退订`,
  ],
  survey_resurvey: [{ caseNumber: CASE }, `【供热直通车】您反映的问题（工单${CASE}）已整改，请再次回复数字评价：1满意 2基本满意 3不满意。回TD退订`],
  survey_resurvey_link: [
    { caseNumber: CASE, link: LINK },
    `【供热直通车】您反映的问题（工单${CASE}）已整改，请再次回复数字评价：1满意 2基本满意 3不满意，或点 ${LINK} 评价。回TD退订`,
  ],
  survey_reminder: [{ caseNumber: CASE }, `【供热直通车】提醒：工单${CASE}的评价明天截止，请回复数字：1满意 2基本满意 3不满意。回TD退订`],
  survey_reminder_link: [
    { caseNumber: CASE, link: LINK },
    `【供热直通车】提醒：工单${CASE}的评价明天截止，请回复数字：1满意 2基本满意 3不满意，或点 ${LINK} 评价。回TD退订`,
  ],
  rating_thanks: [{ caseNumber: CASE }, `【供热直通车】感谢您对工单${CASE}的评价。`],
  reply_not_understood: [{}, '【供热直通车】未能识别您的回复，请回复数字：1满意 2基本满意 3不满意。'],
  rating_window_closed: [{ caseNumber: CASE }, `【供热直通车】您好，工单${CASE}的评价期已结束，您的回复已留存，但不再计入评价。感谢您的反馈。`],
  unsubscribed: [{}, '【供热直通车】您已退订，今后不再收到工单评价短信。如需恢复，请回复“订阅”。'],
  resubscribed: [{}, '【供热直通车】您已恢复接收工单评价短信。回TD退订'],
  outage_notice: [
    { caseNumber: CASE, communityName: '金地小区', cause: '换热站循环泵故障', restoreAt: '11/30 18:00' },
    `【供热直通车】您反映的供热问题（工单 ${CASE}）：金地小区所在区域因换热站循环泵故障暂停供热，供热企业正在抢修，预计 11/30 18:00 恢复。恢复后工单将自动办结，无需重复反映。`,
  ],
  outage_notice_no_eta: [
    { caseNumber: CASE, communityName: '金地小区', cause: '一次网管线爆裂' },
    `【供热直通车】您反映的供热问题（工单 ${CASE}）：金地小区所在区域因一次网管线爆裂暂停供热，供热企业正在抢修，恢复时间待定。恢复后工单将自动办结，无需重复反映。`,
  ],
};

describe('every template renders exactly the text residents receive today', () => {
  it.each(SMS_TEMPLATE_KEYS)('%s', (key) => {
    const [params, text] = TODAY[key];
    expect(renderSms(key, params)).toBe(text);
  });

  it('the catalogue has no key without an expected text here (a new template needs its expected text)', () => {
    expect(Object.keys(TODAY).sort()).toEqual([...SMS_TEMPLATE_KEYS].sort());
  });

  it('the outage notice formats the expected restoration in Shanghai time (11/30 18:00) as dispatch does, or says 恢复时间待定', () => {
    const withEta = outageNoticeSms(CASE, '金地小区', '换热站循环泵故障', new Date('2026-11-30T10:00:00Z'));
    expect(withEta).toEqual({ template: 'outage_notice', params: TODAY.outage_notice[0] });
    expect(renderSms(withEta.template, withEta.params)).toBe(TODAY.outage_notice[1]);
    const noEta = outageNoticeSms(CASE, '金地小区', '一次网管线爆裂', null);
    expect(renderSms(noEta.template, noEta.params)).toBe(TODAY.outage_notice_no_eta[1]);
  });

  it('the signature comes from the provider settings: 【辽宁供热】 when that is the registered signature', () => {
    expect(renderSms('rating_thanks', { caseNumber: CASE }, '辽宁供热')).toBe(`【辽宁供热】感谢您对工单${CASE}的评价。`);
  });
});

describe('the texts the services build today are catalogue templates (the plain-text queue path relies on it)', () => {
  const built: Array<[string, string, SmsTemplateKey]> = [
    ['surveyInvitation', surveyTexts.surveyInvitation(CASE), 'survey_invitation'],
    ['surveyInvitation with a link', surveyTexts.surveyInvitation(CASE, LINK), 'survey_invitation_link'],
    ['surveyResurveyInvitation', surveyTexts.surveyResurveyInvitation(CASE), 'survey_resurvey'],
    ['surveyResurveyInvitation with a link', surveyTexts.surveyResurveyInvitation(CASE, LINK), 'survey_resurvey_link'],
    ['surveyReminder', surveyTexts.surveyReminder(CASE), 'survey_reminder'],
    ['surveyReminder with a link', surveyTexts.surveyReminder(CASE, LINK), 'survey_reminder_link'],
    ['thanksForRating', surveyTexts.thanksForRating(CASE), 'rating_thanks'],
    ['replyNotUnderstood', surveyTexts.replyNotUnderstood(), 'reply_not_understood'],
    ['ratingWindowClosed', surveyTexts.ratingWindowClosed(CASE), 'rating_window_closed'],
    ['unsubscribedConfirmation', surveyTexts.unsubscribedConfirmation(), 'unsubscribed'],
    ['resubscribedConfirmation', surveyTexts.resubscribedConfirmation(), 'resubscribed'],
  ];

  it.each(built.map(([name, text, key]) => [name, key, text]))('%s is template %s and renders back to the same text', (_name, key, text) => {
    const content = matchSmsTemplate(text);
    expect(content?.template).toBe(key);
    expect(renderSms(content!.template, content!.params)).toBe(text);
  });

  it('the parameters are recovered from the text: the case number, the link, the outage cause', () => {
    expect(matchSmsTemplate(TODAY.survey_invitation_link[1])).toEqual({ template: 'survey_invitation_link', params: { caseNumber: CASE, link: LINK } });
    expect(matchSmsTemplate(TODAY.outage_notice[1])).toEqual({ template: 'outage_notice', params: TODAY.outage_notice[0] });
  });

  it('a text no template renders is not matched (it could not be sent by a provider)', () => {
    expect(matchSmsTemplate('【供热直通车】明天停水')).toBeNull();
    expect(matchSmsTemplate(`感谢您对工单${CASE}的评价。`)).toBeNull(); // no signature
    expect(matchSmsTemplate(`${TODAY.rating_thanks[1]}！`)).toBeNull();
  });
});

describe('a template needs exactly its parameters, as text', () => {
  it('a missing parameter is refused, naming it', () => {
    expect(() => renderSms('rating_thanks', {})).toThrow(/parameter "caseNumber"/);
  });

  it('an unknown parameter is refused, naming it', () => {
    expect(() => renderSms('reply_not_understood', { caseNumber: CASE })).toThrow(/unknown parameter\(s\) caseNumber/);
  });

  it('a number instead of text is refused', () => {
    expect(() => renderSms('verification_code', { code: 42917 })).toThrow(/must be text/);
  });

  it('an unknown template is refused', () => {
    expect(() => renderSms('happy_new_year' as SmsTemplateKey, {})).toThrow(/unknown SMS template/);
  });
});

describe('what providers are sent', () => {
  it('toOutgoingSms keeps template, parameters and the rendered text together', () => {
    const content: SmsContent = { template: 'verification_code', params: { code: '042917' } };
    expect(toOutgoingSms('13812345678', content)).toEqual({
      phone: '13812345678',
      template: 'verification_code',
      params: { code: '042917' },
      text: TODAY.verification_code[1],
    });
  });

  it('Tencent gets the parameters in the catalogue order and registers {1}, {2}… in their place', () => {
    expect(orderedParams('outage_notice', TODAY.outage_notice[0])).toEqual([CASE, '金地小区', '换热站循环泵故障', '11/30 18:00']);
    expect(tencentTemplateBody('outage_notice')).toBe(
      '您反映的供热问题（工单 {1}）：{2}所在区域因{3}暂停供热，供热企业正在抢修，预计 {4} 恢复。恢复后工单将自动办结，无需重复反映。',
    );
  });

  it('each template has its environment variable for the provider code: SMS_TEMPLATE_<KEY>', () => {
    expect(templateCodeVariable('verification_code')).toBe('SMS_TEMPLATE_VERIFICATION_CODE');
    expect(SMS_TEMPLATE_KEYS.map(templateCodeVariable)).toContain('SMS_TEMPLATE_OUTAGE_NOTICE_NO_ETA');
  });

  it('every placeholder of a body is a declared parameter, and every parameter is used once', () => {
    for (const key of SMS_TEMPLATE_KEYS) {
      const used = [...SMS_TEMPLATES[key].body.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]);
      expect(used.sort()).toEqual([...SMS_TEMPLATES[key].params].sort());
    }
  });
});
