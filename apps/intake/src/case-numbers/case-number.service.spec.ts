import { describe, expect, it } from '@jest/globals';
import { formatCaseNumber } from './case-number.service.js';

/* A case number is read out on the phone: GR, the Shanghai date, a six-digit sequence of the day. */
describe('a case number is GR-<Shanghai date>-<sequence of the day, six digits>', () => {
  it('the 123rd case of 2026-11-29 is GR-20261129-000123', () => {
    expect(formatCaseNumber('20261129', 123)).toBe('GR-20261129-000123');
  });

  it('the first case of the day is 000001', () => {
    expect(formatCaseNumber('20261201', 1)).toBe('GR-20261201-000001');
  });

  it('the sequence keeps all six digits at 999999', () => {
    expect(formatCaseNumber('20261129', 999999)).toBe('GR-20261129-999999');
  });

  it('numbers of one day sort in the order they were taken', () => {
    const numbers = [1, 9, 10, 99, 100, 1250, 10000].map((n) => formatCaseNumber('20261129', n));
    expect([...numbers].sort()).toEqual(numbers);
  });
});
