import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { normalizeCommunityName, parseCommunityName } from './community-name.js';

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
    for (const name of ['幸福 小区·三期', 'ＡＢＣ花园', '金地名京三期二区', '枫林苑', '幸福花园小区', '十二号楼', '小区', '中海国际社区', '錦繡花園第三期', '幸福小区03期']) {
      const once = normalizeCommunityName(name);
      expect(normalizeCommunityName(once)).toBe(once);
    }
  });

  it('normalizing twice gives the same as normalizing once, for any mix of name characters, numerals, suffixes and punctuation', () => {
    const pieces = fc.constantFrom(
      '幸', '福', '锦', '绣', '金', '地', '阳', '光', '小区', '花园', '家园', '号院', '苑', '社区', '期', '区', '号', '栋', '座', '第',
      '一', '二', '三', '十', '两', '〇', '0', '1', '3', '１', 'a', 'Ａ', ' ', '·', '、', '－', '(', ')', '園', '區', '錦',
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 12 }), (parts) => {
        const once = normalizeCommunityName(parts.join(''));
        expect(normalizeCommunityName(once)).toBe(once);
      }),
      { numRuns: 2000 },
    );
  });
});

/** Names shaped like the registry's: head, optional suffix, optional phase. */
const registeredLikeName = fc
  .tuple(
    fc.constantFrom('幸福', '锦绣', '金地名京', '阳光一百', '中海国际', '翠湖', '御景雅'),
    fc.constantFrom('', '小区', '花园', '家园', '苑', '嘉园'),
    fc.constantFrom('', '一期', '三期', '十二期', '二区', '三期二区'),
  )
  .map(([head, suffix, phase]) => head + suffix + phase);

describe('formatting never changes the comparable name', () => {
  it('adding spaces, punctuation (·, 、, －, quotes, brackets) and line breaks anywhere never changes it', () => {
    const noise = fc.constantFrom(' ', '　', '·', '、', '－', '-', '“', '”', '(', ')', '（', '）', '\n', '\t', '・', '•', '/');
    fc.assert(
      fc.property(registeredLikeName, fc.array(fc.tuple(fc.nat(), noise), { maxLength: 4 }), (name, inserts) => {
        const chars = [...name];
        for (const [at, mark] of inserts) chars.splice(at % (chars.length + 1), 0, mark);
        expect(normalizeCommunityName(chars.join(''))).toBe(normalizeCommunityName(name));
      }),
      { numRuns: 1000 },
    );
  });

  it('writing digits and letters full-width never changes it', () => {
    const toFullWidth = (s: string) => s.replace(/[0-9a-z]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 0xfee0));
    fc.assert(
      fc.property(registeredLikeName, fc.constantFrom('', '3期', '12号', 'a座', 'b区'), (name, extra) => {
        const half = name + extra;
        expect(normalizeCommunityName(toFullWidth(half))).toBe(normalizeCommunityName(half));
      }),
    );
  });

  it('writing the phase in Chinese numerals or digits never changes it', () => {
    const numerals: Array<[string, string]> = [['一', '1'], ['三', '3'], ['十', '10'], ['十二', '12'], ['二十', '20'], ['二十一', '21']];
    fc.assert(
      fc.property(fc.constantFrom('幸福', '锦绣花园', '金地名京'), fc.constantFrom(...numerals), fc.constantFrom('期', '区', '号', '栋', '座'), (head, [cn, digits], unit) => {
        expect(normalizeCommunityName(`${head}${cn}${unit}`)).toBe(normalizeCommunityName(`${head}${digits}${unit}`));
      }),
    );
  });
});

describe('more real-world spellings meet the registered one', () => {
  it('traditional characters read as simplified: 「錦繡花園」 is 「锦绣花园」, 「幸福三區」 is 「幸福3区」', () => {
    same('錦繡花園', '锦绣花园');
    expect(normalizeCommunityName('幸福三區')).toBe('幸福3区');
    same('陽光國際', '阳光国际');
  });

  it('「第三期」 is 「三期」 is 「3期」, and a leading zero does not count: 「03期」 is 「3期」', () => {
    same('幸福小区第三期', '幸福小区三期');
    same('幸福小区第3期', '幸福3期');
    same('幸福小区03期', '幸福3期');
    expect(normalizeCommunityName('幸福小区10期')).toBe('幸福10期');
  });

  it('a full-width hyphen 「－」 and a full-width digit 「３」 are noise and a digit', () => {
    same('幸福－小区３期', '幸福3期');
  });

  it('a lettered block 「Ａ座」 / 「b区」 is a designation like 「3期」: the suffix before it is dropped', () => {
    expect(normalizeCommunityName('金地花园Ａ座')).toBe('金地a座');
    expect(normalizeCommunityName('金地小区b区')).toBe('金地b区');
  });
});

describe('parseCommunityName takes a name apart into core, suffix and designation', () => {
  it('「幸福 小区·三期」 → core 幸福, suffix 小区, designation 3期', () => {
    expect(parseCommunityName('幸福 小区·三期')).toEqual({ normalized: '幸福3期', core: '幸福', suffix: '小区', designation: '3期' });
  });

  it('stacked suffixes are kept in reading order: 「幸福花园小区」 → suffix 花园小区', () => {
    expect(parseCommunityName('幸福花园小区')).toEqual({ normalized: '幸福', core: '幸福', suffix: '花园小区', designation: '' });
  });

  it('a name with no suffix and no phase is all core: 「幸福嘉园」 (嘉园 is not a listed suffix)', () => {
    expect(parseCommunityName('幸福嘉园')).toEqual({ normalized: '幸福嘉园', core: '幸福嘉园', suffix: '', designation: '' });
  });

  it('normalized is always core + designation', () => {
    fc.assert(
      fc.property(registeredLikeName, (name) => {
        const p = parseCommunityName(name);
        expect(p.normalized).toBe(p.core + p.designation);
      }),
    );
  });
});
