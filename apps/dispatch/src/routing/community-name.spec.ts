import { describe, expect, it } from '@jest/globals';
import { normalizeCommunityName } from './community-name.js';

/*
 * Residents type community names every which way (phone keyboards, hotline operators, old
 * signboards). Routing compares normalized names, so two spellings of one community must meet
 * here, and two different communities must not.
 */
const same = (a: string, b: string) => expect(normalizeCommunityName(a)).toBe(normalizeCommunityName(b));

describe('full-width letters and digits read as half-width, letters in one case', () => {
  it('「ＡＢＣ花园」 and 「abc花园」 are the same community', () => {
    same('ＡＢＣ花园', 'abc花园');
    expect(normalizeCommunityName('ＡＢＣ花园')).toBe('abc');
  });

  it('「阳光１２３」 and 「阳光123」 are the same community', () => {
    same('阳光１２３', '阳光123');
    expect(normalizeCommunityName('阳光１２３')).toBe('阳光123');
  });

  it('「万达ＰＬＡＺＡ」, 「万达Plaza」 and 「万达plaza」 are the same community', () => {
    same('万达ＰＬＡＺＡ', '万达plaza');
    same('万达Plaza', '万达plaza');
  });
});

describe('spaces and punctuation do not count, including · and 、', () => {
  it('a half-width space, a full-width space and no space give the same name', () => {
    same('幸福 小区', '幸福小区');
    same('幸福　小区', '幸福小区');
  });

  it('「金地·名京」, 「金地、名京」, 「金地-名京」 and 「金地（名京）」 are 「金地名京」', () => {
    for (const spelling of ['金地·名京', '金地、名京', '金地-名京', '金地（名京）', '金地(名京)', '“金地名京”']) {
      expect(normalizeCommunityName(spelling)).toBe('金地名京');
    }
  });

  it('a name with a line break or tab from a pasted address is the same name', () => {
    same('幸福\n小区', '幸福小区');
    same('幸福\t小区', '幸福小区');
  });
});

describe('Chinese numerals before 期/区/号/栋/座 read as digits', () => {
  it('三期 and 3期 are the same phase', () => {
    same('幸福三期', '幸福3期');
    expect(normalizeCommunityName('幸福三期')).toBe('幸福3期');
  });

  it('十二号 is 12号, 二十 is 20, 二十一栋 is 21栋, 十栋 is 10栋', () => {
    expect(normalizeCommunityName('十二号')).toBe('12号');
    expect(normalizeCommunityName('二十号')).toBe('20号');
    expect(normalizeCommunityName('二十一栋')).toBe('21栋');
    expect(normalizeCommunityName('十栋')).toBe('10栋');
  });

  it('两期 is 2期 and 二区 is 2区, 十二座 is 12座', () => {
    expect(normalizeCommunityName('两期')).toBe('2期');
    expect(normalizeCommunityName('阳光二区')).toBe('阳光2区');
    expect(normalizeCommunityName('十二座')).toBe('12座');
  });

  it('「金地名京三期二区」 and 「金地名京3期2区」 are the same community section', () => {
    same('金地名京三期二区', '金地名京3期2区');
    expect(normalizeCommunityName('金地名京三期二区')).toBe('金地名京3期2区');
  });

  it('different phases stay different: 三期 is not 二期', () => {
    expect(normalizeCommunityName('幸福三期')).not.toBe(normalizeCommunityName('幸福二期'));
    expect(normalizeCommunityName('幸福小区三期')).not.toBe(normalizeCommunityName('幸福小区'));
  });

  it('a Chinese numeral that is part of the name, not a phase, is kept (「阳光一百」, 「一品国际」)', () => {
    expect(normalizeCommunityName('阳光一百')).toBe('阳光一百');
    expect(normalizeCommunityName('一品国际')).toBe('一品国际');
  });
});

describe('common suffixes (小区, 花园, 家园, 号院, 社区, 新村, 公寓, 苑) are dropped', () => {
  it('「幸福小区」, 「幸福花园」, 「幸福家园」 … all compare as 「幸福」', () => {
    for (const suffix of ['小区', '花园', '家园', '号院', '社区', '新村', '公寓', '园区', '苑']) {
      expect(normalizeCommunityName(`幸福${suffix}`)).toBe('幸福');
    }
  });

  it('stacked suffixes are all dropped: 「幸福花园小区」 is 「幸福」', () => {
    expect(normalizeCommunityName('幸福花园小区')).toBe('幸福');
  });

  it('a suffix word inside the name, not at its end, is kept: 「花园街」, 「苑北里」', () => {
    expect(normalizeCommunityName('花园街')).toBe('花园街');
    expect(normalizeCommunityName('苑北里')).toBe('苑北里');
    expect(normalizeCommunityName('花园街小区')).toBe('花园街');
  });

  it('a name that is only a suffix-like word is not emptied (「小区」, 「花园」, 「苑」 …)', () => {
    for (const word of ['小区', '花园', '家园', '号院', '社区', '新村', '公寓', '苑']) {
      expect(normalizeCommunityName(word)).toBe(word);
    }
  });

  it('at least two characters of the name survive: 「金苑」 stays 「金苑」, 「枫林苑」 becomes 「枫林」', () => {
    expect(normalizeCommunityName('金苑')).toBe('金苑');
    expect(normalizeCommunityName('枫林苑')).toBe('枫林');
  });

  it('a numbered courtyard 「三号院」 keeps its 号院 (dropping it would leave only the number)', () => {
    expect(normalizeCommunityName('三号院')).toBe('3号院');
  });
});

describe('a suffix and a phase compare equal in either order: 「幸福 小区·三期」 is 「幸福3期」', () => {
  it('「幸福 小区·三期」 and 「幸福3期」 are the same community', () => {
    same('幸福 小区·三期', '幸福3期');
    expect(normalizeCommunityName('幸福 小区·三期')).toBe('幸福3期');
  });

  it('phase after the suffix (幸福小区三期) equals phase before it (幸福三期小区)', () => {
    same('幸福小区三期', '幸福三期小区');
    same('幸福家园3期', '幸福3期小区');
  });

  it('the suffix is dropped before a phase and a section together: 「金地花园三期二区」 is 「金地3期2区」', () => {
    expect(normalizeCommunityName('金地花园三期二区')).toBe('金地3期2区');
  });

  it('a name that is only a suffix and a phase keeps the suffix: 「小区三期」 is 「小区3期」', () => {
    expect(normalizeCommunityName('小区三期')).toBe('小区3期');
  });
});

describe('normalizing is stable: a normalized name normalizes to itself', () => {
  it('normalizing twice gives the same as normalizing once', () => {
    for (const name of ['幸福 小区·三期', 'ＡＢＣ花园', '金地名京三期二区', '枫林苑', '幸福花园小区', '十二号楼', '小区', '中海国际社区']) {
      const once = normalizeCommunityName(name);
      expect(normalizeCommunityName(once)).toBe(once);
    }
  });
});
