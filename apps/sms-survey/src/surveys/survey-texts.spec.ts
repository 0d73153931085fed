import { describe, expect, it } from '@jest/globals';
import { invitationForRound, smsSegments, surveyInvitation, surveyReminder, surveyResurveyInvitation } from './survey-texts.js';

const CASE = 'GR-20261129-000123';
/** The longest base URL that keeps the invitation at two segments (docs/surveys.md). */
const LONGEST_BASE = 'https://gr.lnzwfw.example.gov.cn/survey'; // 39 characters
const link = (base: string) => `${base}/r/${'A'.repeat(16)}`;

describe('survey SMS stay short', () => {
  it('an SMS of up to 70 Chinese characters is one segment; longer ones are split into 67-character segments', () => {
    expect(smsSegments('字'.repeat(70))).toBe(1);
    expect(smsSegments('字'.repeat(71))).toBe(2);
    expect(smsSegments('字'.repeat(134))).toBe(2);
    expect(smsSegments('字'.repeat(135))).toBe(3);
    expect(smsSegments('😊'.repeat(70))).toBe(1);
  });

  it('the invitation without a link is one SMS segment', () => {
    expect(smsSegments(surveyInvitation(CASE))).toBe(1);
  });

  it(`the invitation with a link under a base URL of up to ${LONGEST_BASE.length} characters is two segments, no more`, () => {
    expect(LONGEST_BASE).toHaveLength(39);
    expect(smsSegments(surveyInvitation(CASE, link(LONGEST_BASE)))).toBe(2);
    expect(smsSegments(surveyInvitation(CASE, link(`${LONGEST_BASE}x`)))).toBe(3);
  });

  it('the reminder with a link is two segments at most', () => {
    expect(smsSegments(surveyReminder(CASE, link(LONGEST_BASE)))).toBeLessThanOrEqual(2);
  });

  it('the fresh survey after a rectification is as short as the invitation: one segment without a link, two with one', () => {
    expect(smsSegments(surveyResurveyInvitation(CASE))).toBe(1);
    expect(smsSegments(surveyResurveyInvitation(CASE, link(LONGEST_BASE)))).toBe(2);
    expect(Array.from(surveyResurveyInvitation(CASE, link(LONGEST_BASE))).length).toBe(Array.from(surveyInvitation(CASE, link(LONGEST_BASE))).length);
  });

  it('round 1 is asked with the invitation (已办结), later rounds with the fresh-survey text (已整改，请再次…)', () => {
    expect(invitationForRound(1, CASE)).toBe(surveyInvitation(CASE));
    const again = invitationForRound(2, CASE, link('https://gr.example.cn'));
    expect(again).toBe(surveyResurveyInvitation(CASE, link('https://gr.example.cn')));
    expect(again).toContain(`工单${CASE}）已整改，请再次回复数字评价：1满意 2基本满意 3不满意`);
    expect(again).toContain(` ${link('https://gr.example.cn')} `);
    expect(again).toContain('回TD退订');
    expect(invitationForRound(3, CASE)).toBe(surveyResurveyInvitation(CASE));
  });

  it('the invitation names the case, the three answers, the link (space-delimited for phones to detect it) and 退订', () => {
    const text = surveyInvitation(CASE, link('https://gr.example.cn'));
    expect(text).toContain(`工单${CASE}`);
    expect(text).toContain('1满意 2基本满意 3不满意');
    expect(text).toContain(` ${link('https://gr.example.cn')} `);
    expect(text).toContain('回TD退订');
  });
});
