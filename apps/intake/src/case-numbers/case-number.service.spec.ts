import { describe, expect, it } from '@jest/globals';
import { formatCaseNumber } from './case-number.service.js';

/* A case number is read out on the phone: GR, the Shanghai date, a six-digit serial. */
describe('a case number is GR-<Shanghai date>-<six-digit serial>', () => {
  it('the 123rd case of 2026-11-29 is GR-20261129-000123', () => {
    expect(formatCaseNumber('20261129', 123)).toBe('GR-20261129-000123');
  });

  it('serial 1 is 000001', () => {
    expect(formatCaseNumber('20261201', 1)).toBe('GR-20261201-000001');
  });

  it('the sequence keeps all six digits at 999999', () => {
    expect(formatCaseNumber('20261129', 999999)).toBe('GR-20261129-999999');
  });

  it('numbers of one day sort in the order they were taken', () => {
    const numbers = [1, 9, 10, 99, 100, 1250, 10000].map((n) => formatCaseNumber('20261129', n));
    expect([...numbers].sort()).toEqual(numbers);
  });

  it('the serial wraps after a million, keeping six digits (the date keeps numbers of different days apart)', () => {
    expect(formatCaseNumber('20261129', 1_000_123)).toBe('GR-20261129-000123');
  });
});
