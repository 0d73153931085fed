import { describe, expect, it } from '@jest/globals';
import { CATEGORIES, RATINGS, RESOLUTIONS } from '#shared';
import { CASE_STATUSES, closedText, feedbackText, isAdvance, ratedText, receivedText } from './case-status.js';
import type { CaseStatus } from './case-status.js';

/*
 * What the resident sees of a case. Events from dispatch, the company and the survey may cross
 * on the way (a rating can overtake the close), so the shown status only ever moves forwards.
 * DOMAIN.md §5: a status must never read "fixed" when the case was only closed.
 */
const LIFECYCLE: CaseStatus[] = ['received', 'dispatched', 'feedback', 'closed', 'rated'];

describe('a case never moves backwards', () => {
  it('each step of received → dispatched → feedback → closed → rated is an advance', () => {
    for (let i = 0; i + 1 < LIFECYCLE.length; i++) {
      expect(isAdvance(LIFECYCLE[i], LIFECYCLE[i + 1])).toBe(true);
    }
  });

  it('skipping steps forward is an advance (a rating arriving while the case still shows dispatched)', () => {
    expect(isAdvance('dispatched', 'rated')).toBe(true);
    expect(isAdvance('received', 'closed')).toBe(true);
  });

  it('a late event never moves a case back: closed after rated, dispatched after feedback', () => {
    expect(isAdvance('rated', 'closed')).toBe(false);
    expect(isAdvance('feedback', 'dispatched')).toBe(false);
    expect(isAdvance('closed', 'received')).toBe(false);
  });

  it('for every pair of statuses, at most one direction is an advance', () => {
    for (const a of CASE_STATUSES) {
      for (const b of CASE_STATUSES) {
        expect(isAdvance(a, b) && isAdvance(b, a)).toBe(false);
      }
    }
  });

  it('the same status again (a redelivered event) is not an advance', () => {
    for (const s of CASE_STATUSES) expect(isAdvance(s, s)).toBe(false);
  });

  it('received and answered are both starting points: neither advances over the other', () => {
    expect(isAdvance('received', 'answered')).toBe(false);
    expect(isAdvance('answered', 'received')).toBe(false);
    expect(isAdvance('answered', 'dispatched')).toBe(true);
  });

  it('nothing advances beyond rated', () => {
    for (const s of CASE_STATUSES) expect(isAdvance('rated', s)).toBe(false);
  });
});

describe('a case only closed is never shown as fixed', () => {
  it('closedText for closed_unresolved says 已办结 and 未解决, never 已解决', () => {
    const text = closedText('closed_unresolved');
    expect(text).toContain('已办结');
    expect(text).toContain('未解决');
    expect(text).not.toContain('已解决');
  });

  it('closedText for fixed says 已解决', () => {
    expect(closedText('fixed')).toContain('已解决');
  });

  it('feedback without a fix does not say 已处理 or 已解决', () => {
    const text = feedbackText('closed_unresolved');
    expect(text).not.toContain('已处理');
    expect(text).not.toContain('已解决');
    expect(feedbackText('fixed')).toContain('已处理');
  });

  it('the two outcomes always read differently', () => {
    expect(RESOLUTIONS).toHaveLength(2);
    expect(closedText('fixed')).not.toBe(closedText('closed_unresolved'));
    expect(feedbackText('fixed')).not.toBe(feedbackText('closed_unresolved'));
  });
});

describe('status texts name the resident\'s own category and rating in Chinese', () => {
  it('received text names the category: 室温不达标', () => {
    expect(receivedText('too_cold')).toContain('室温不达标');
  });

  it('every category and rating has its Chinese label in the text (no English codes shown)', () => {
    for (const c of CATEGORIES) expect(receivedText(c)).not.toContain(c);
    for (const r of RATINGS) expect(ratedText(r)).not.toContain(r);
    expect(ratedText('basically_satisfied')).toBe('您的评价：基本满意');
  });
});

describe('a case’s history lists steps of the same instant in lifecycle order', () => {
  it('feedback and closure recorded at the same time read feedback first, whatever order they were stored in', async () => {
    const { toComplaintView } = await import('../complaints/complaint.view.js');
    const at = new Date('2026-11-29T08:00:00Z');
    const complaint = {
      id: 'c1', caseNumber: 'GR-20261129-000001', channel: 'hotline', type: 'complaint', category: 'too_cold', communityName: '金地小区',
      cityCode: '210100', districtCode: '210102', street: '南京南街', building: null, unit: null, room: null, phoneEnc: 'sealed', phoneHash: 'hash',
      contactName: null, description: '冷', status: 'closed', receivedAt: at, updatedAt: at, photoIds: [], repeatCount: 0,
      latitude: null, longitude: null, indoorTemperatureC: 15, daysWithoutHeat: null, namedCompanyId: null, companyId: null, resolution: 'fixed',
      rating: null,
    } as never;
    const entry = (id: string, status: string, ms: number) => ({ id, complaintId: 'c1', status, text: status, at: new Date(at.getTime() + ms) }) as never;
    const view = toComplaintView(complaint, [entry('1', 'received', 0), entry('2', 'dispatched', 1000), entry('3', 'closed', 5000), entry('4', 'feedback', 5000)], '13812345678');
    expect(view.history.map((h) => h.status)).toEqual(['received', 'dispatched', 'feedback', 'closed']);
  });
});
