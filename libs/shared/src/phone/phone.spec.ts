import { describe, expect, it } from '@jest/globals';
import { maskPhone, maskPhonesInText, normalizeMainlandMobile } from './phone.js';

describe('normalizeMainlandMobile accepts the ways residents write a mainland mobile and returns 11 digits', () => {
  it.each([
    ['13812341234', '13812341234'],
    ['138 1234 1234', '13812341234'],
    ['138-1234-1234', '13812341234'],
    [' 138 1234-1234 ', '13812341234'],
    ['+8613812341234', '13812341234'],
    ['+86 138 1234 1234', '13812341234'],
    ['+86-138-1234-1234', '13812341234'],
    ['008613812341234', '13812341234'],
    ['0086 138 1234 1234', '13812341234'],
    ['8613812341234', '13812341234'],
    ['19912345678', '19912345678'],
  ])('%j → %s', (input, expected) => {
    expect(normalizeMainlandMobile(input)).toBe(expected);
  });
});

describe('normalizeMainlandMobile rejects what is not a mainland mobile', () => {
  it.each([
    ['a Shenyang landline with area code', '024-23456789'],
    ['a landline without area code', '23456789'],
    ['a 12-digit number starting 1', '138123412345'],
    ['a 10-digit number', '1381234123'],
    ['an 11-digit number starting 12', '12812341234'],
    ['an 11-digit number starting 11', '11812341234'],
    ['an 11-digit number starting 10', '10812341234'],
    ['letters inside', '138abcd1234'],
    ['an empty string', ''],
    ['a +86 prefix on a landline', '+862423456789'],
    ['a +1 prefix', '+113812341234'],
    ['a full-width digit number', '１３８１２３４１２３４'],
  ])('%s (%j) → null', (_label, input) => {
    expect(normalizeMainlandMobile(input)).toBeNull();
  });
});

describe('maskPhone keeps the first 3 and last 4 digits of an 11-digit number', () => {
  it('13812341234 → 138****1234', () => {
    expect(maskPhone('13812341234')).toBe('138****1234');
  });
  it('19987654321 → 199****4321', () => {
    expect(maskPhone('19987654321')).toBe('199****4321');
  });
  it.each([['1381234'], ['+8613812341234'], ['138 1234 1234'], ['']])(
    'anything that is not 11 digits (%j) is masked whole',
    (input) => {
      expect(maskPhone(input)).toBe('***');
    },
  );
});

describe('maskPhonesInText masks every mainland mobile inside free text', () => {
  it('a number inside a Chinese sentence is masked', () => {
    expect(maskPhonesInText('居民电话13812341234，请尽快联系')).toBe('居民电话138****1234，请尽快联系');
  });
  it('several numbers in one line are all masked', () => {
    expect(maskPhonesInText('from 13812341234 to 15900001111')).toBe('from 138****1234 to 159****1111');
  });
  it('a number at the very start and end of the text is masked', () => {
    expect(maskPhonesInText('13812341234')).toBe('138****1234');
    expect(maskPhonesInText('tel:18600001234')).toBe('tel:186****1234');
  });
  it('a number with a +86, 86 or 0086 prefix is masked', () => {
    for (const text of ['call +8613812341234 now', 'call 8613812341234 now', 'call 008613812341234 now']) {
      const masked = maskPhonesInText(text);
      expect(masked).not.toContain('13812341234');
      expect(masked).toContain('138****1234');
    }
  });
  it('a number in a URL query string is masked', () => {
    expect(maskPhonesInText('/cases?phone=13812341234&page=1')).toBe('/cases?phone=138****1234&page=1');
  });
  it('a number inside JSON is masked', () => {
    expect(maskPhonesInText('{"phone":"13812341234"}')).toBe('{"phone":"138****1234"}');
  });
});

describe('maskPhonesInText leaves digit runs that are not a mobile alone', () => {
  it('an 18-digit resident ID number is not touched', () => {
    expect(maskPhonesInText('身份证 210102199003151234')).toBe('身份证 210102199003151234');
    expect(maskPhonesInText('id 138123199003151234')).toBe('id 138123199003151234');
  });
  it('a case number GR-20261129-000123 is not touched', () => {
    expect(maskPhonesInText('工单 GR-20261129-000123 已办结')).toBe('工单 GR-20261129-000123 已办结');
  });
  it('a 12-digit run that starts like a mobile is not touched', () => {
    expect(maskPhonesInText('no 138123412345')).toBe('no 138123412345');
  });
  it('an 11-digit run starting 12 is not touched', () => {
    expect(maskPhonesInText('no 12812341234')).toBe('no 12812341234');
  });
  it('a landline is not touched', () => {
    expect(maskPhonesInText('热线 024-12345678')).toBe('热线 024-12345678');
  });
  it('a 13-digit epoch-milliseconds timestamp is not touched', () => {
    expect(maskPhonesInText('at 1764374400000 ms')).toBe('at 1764374400000 ms');
  });
});
