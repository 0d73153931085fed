import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { areConfusable } from './char-tables.js';
import { explainEdit, nameSimilarity, weightedChars } from './name-similarity.js';

/*
 * Community names are short (two to eight characters once the suffix is off), so the score is
 * an edit distance that knows which slips residents make (homophones from the pinyin keyboard,
 * look-alikes), relative to the name's length; generic suffixes weigh half a character.
 */
const sim = (a: string, b: string) => nameSimilarity(weightedChars(a), weightedChars(b));
const code = (ch: string) => ch.codePointAt(0)!;

describe('one slip costs less when it is a homophone or a look-alike', () => {
  it('one homophone in a two-character name (锦秀 / 锦绣) scores 0.825', () => {
    expect(sim('锦秀', '锦绣')).toBeCloseTo(0.825, 6);
  });

  it('a look-alike (幸褔 / 幸福) scores like a homophone', () => {
    expect(sim('幸褔', '幸福')).toBeCloseTo(0.825, 6);
  });

  it('one unrelated character in a two-character name (幸运 / 幸福) scores 0.5', () => {
    expect(sim('幸运', '幸福')).toBeCloseTo(0.5, 6);
  });

  it('one unrelated character in a four-character name (阳光一品 / 阳光一百) scores 0.75, in a five-character name 0.8', () => {
    expect(sim('阳光一品', '阳光一百')).toBeCloseTo(0.75, 6);
    expect(sim('中海国际村', '中海国际城')).toBeCloseTo(0.8, 6);
  });

  it('two swapped neighbours cost half an edit: 湖东 / 东湖 scores 0.75, 名京金地 / 名金京地 0.875', () => {
    expect(sim('湖东', '东湖')).toBeCloseTo(0.75, 6);
    expect(sim('名京金地', '名金京地')).toBeCloseTo(0.875, 6);
  });

  it('a character left out of a two-character name leaves half of it (春晖 / 晖) : 0.5', () => {
    expect(sim('晖', '春晖')).toBeCloseTo(0.5, 6);
  });

  it('names with nothing in common score 0, identical names 1', () => {
    expect(sim('幸福', '阳光')).toBe(0);
    expect(sim('幸福', '幸福')).toBe(1);
  });
});

describe('generic suffix characters weigh half', () => {
  it('「幸福家园」 (家园 a suffix) against 「幸福嘉园」 (all name): one homophone, at the name character\'s weight', () => {
    const written = weightedChars('幸福', '家园');
    const registered = weightedChars('幸福嘉园');
    expect(written.total).toBe(3);
    expect(nameSimilarity(written, registered)).toBeCloseTo(1 - 0.35 / 4, 6);
  });

  it('a differing suffix costs half of what a differing name character costs', () => {
    const a = nameSimilarity(weightedChars('幸福', '小区'), weightedChars('幸福', '花园'));
    const b = nameSimilarity(weightedChars('幸福小区'), weightedChars('幸福花园'));
    expect(1 - a).toBeCloseTo((1 - b) * (4 / 3) * 0.5, 6);
  });
});

describe('explainEdit tells which slips separate the two spellings', () => {
  it('锦秀 → 锦绣 is one homophone', () => {
    expect(explainEdit(weightedChars('锦秀'), weightedChars('锦绣'))).toEqual({ confusable: 1, substituted: 0, missing: 0, extra: 0, transposed: 0 });
  });

  it('幸X福 → 幸福 is one extra character, 晖 → 春晖 one missing, 福幸 → 幸福 one swap, 幸运 → 幸福 one wrong character', () => {
    expect(explainEdit(weightedChars('幸天福'), weightedChars('幸福'))).toMatchObject({ extra: 1, missing: 0, substituted: 0 });
    expect(explainEdit(weightedChars('晖'), weightedChars('春晖'))).toMatchObject({ missing: 1, extra: 0 });
    expect(explainEdit(weightedChars('福幸'), weightedChars('幸福'))).toMatchObject({ transposed: 1, substituted: 0 });
    expect(explainEdit(weightedChars('幸运'), weightedChars('幸福'))).toMatchObject({ substituted: 1, confusable: 0 });
  });
});

describe('the confusion table is symmetric and never confuses a character with itself', () => {
  it('区/去, 园/圆, 福/褔 and 锦/金 are confusable both ways; 幸/运 and 福/福 are not', () => {
    for (const [a, b] of [['区', '去'], ['园', '圆'], ['福', '褔'], ['锦', '金']]) {
      expect(areConfusable(code(a), code(b))).toBe(true);
      expect(areConfusable(code(b), code(a))).toBe(true);
    }
    expect(areConfusable(code('幸'), code('运'))).toBe(false);
    expect(areConfusable(code('福'), code('福'))).toBe(false);
  });
});

describe('similarity is a well-behaved score', () => {
  const chars = fc.constantFrom(...'幸福锦绣秀金地阳光杨区去园圆小花家嘉运天一二3');
  const name = fc.array(chars, { minLength: 0, maxLength: 8 }).map((xs) => xs.join(''));

  it('it lies in [0, 1], is 1 for a name against itself and is symmetric', () => {
    fc.assert(
      fc.property(name, name, (a, b) => {
        const s = sim(a, b);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(1);
        expect(sim(a, a)).toBe(1);
        expect(s).toBeCloseTo(sim(b, a), 9);
      }),
      { numRuns: 500 },
    );
  });

  it('changing one character of a name never scores higher than leaving it alone', () => {
    fc.assert(
      fc.property(fc.array(chars, { minLength: 1, maxLength: 8 }), fc.nat(), chars, (xs, at, ch) => {
        const a = xs.join('');
        const changed = xs.map((c, i) => (i === at % xs.length ? ch : c)).join('');
        expect(sim(changed, a)).toBeLessThanOrEqual(sim(a, a));
      }),
      { numRuns: 500 },
    );
  });
});
