import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CommunityIndex } from './community-index.js';
import { normalizeCommunityName } from './community-name.js';
import type { CommunityRow, RoutingDecision } from './routing-types.js';
import { MAX_CANDIDATES, ROUTING_CONFIDENCE_THRESHOLD, ROUTING_MARGIN } from './tuning.js';

/*
 * Routing on real input: residents and hotline operators misspell community names. A case goes to
 * a company automatically only when one registered community of the district is clearly meant;
 * otherwise the district authority dispatches it by hand, with the ranked candidates and the
 * reason. A wrong company costs a round trip (退回) and days; a manual dispatch costs minutes.
 */
const HEPING = '210102'; // 沈阳市和平区
const SHENHE = '210103'; // 沈阳市沈河区
const DALIAN_ZHONGSHAN = '210202'; // 大连市中山区

function row(id: string, name: string, companyId: string, extra: Partial<CommunityRow> = {}): CommunityRow {
  return { id, name, normalizedName: normalizeCommunityName(name), aliases: [], districtCode: HEPING, companyId, unclearOwner: false, ...extra };
}

const ROWS: CommunityRow[] = [
  row('CM01', '金地小区', 'HC01'),
  row('CM02', '幸福小区', 'HC02'),
  row('CM03', '幸福家园二期', 'HC03'),
  row('CM04', '锦绣花园', 'HC04'),
  row('CM05', '阳光一百', 'HC05'),
  row('CM06', '中山公寓三期', 'HC06'),
  row('CM07', '和平花园一期', 'HC07'),
  row('CM08', '和平花园二期', 'HC08'),
  row('CM09', '幸福嘉园', 'HC09'),
  row('CM10', '机车厂宿舍', 'HC10', { unclearOwner: true }),
  row('CM11', '金地名京', 'HC11', { aliases: ['名京'] }),
  row('CM12', '东湖小区', 'HC12'),
  row('CM13', '春晖公寓二期', 'HC13'),
  row('CM14', '枫林苑', 'HC14'),
  row('CM100', '春晖小区', 'HC100', { districtCode: SHENHE }),
  row('CM101', '锦绣花园', 'HC101', { districtCode: SHENHE }),
  row('CM200', '滨河小区', 'HC200', { districtCode: DALIAN_ZHONGSHAN }),
];
const index = CommunityIndex.build(ROWS);
const route = (communityName: string, namedCompanyId?: string, districtCode = HEPING) =>
  index.route({ communityName, districtCode, ...(namedCompanyId ? { namedCompanyId } : {}) });

function expectCompany(d: RoutingDecision, communityId: string): Extract<RoutingDecision, { kind: 'company' }> {
  expect(d).toMatchObject({ kind: 'company', communityId });
  return d as Extract<RoutingDecision, { kind: 'company' }>;
}

describe('exact and alias matches route with confidence 1', () => {
  it('「金地小区」 → HC01, method exact, confidence 1, the community as the only candidate', () => {
    expect(route('金地小区')).toEqual({
      kind: 'company',
      companyId: 'HC01',
      communityId: 'CM01',
      reason: '按小区登记的服务范围分转',
      method: 'exact',
      confidence: 1,
      candidates: [{ communityId: 'CM01', name: '金地小区', companyId: 'HC01', score: 1, why: '名称与登记名称一致' }],
    });
  });

  it('spellings that normalize alike are exact: 「錦繡花園」 (traditional), 「锦绣 花园」, 「锦绣小区」', () => {
    for (const spelling of ['錦繡花園', '锦绣 花园', '锦绣小区', '“锦绣”花园']) {
      expect(route(spelling)).toMatchObject({ kind: 'company', communityId: 'CM04', method: 'exact', confidence: 1 });
    }
  });

  it('「幸福小区 第二期」 is the registered 「幸福家园二期」 exactly (第, numeral, suffix before the phase)', () => {
    expect(route('幸福小区 第二期')).toMatchObject({ kind: 'company', communityId: 'CM03', method: 'exact' });
  });

  it('the registered alias 「名京」 routes to 「金地名京」 with method alias, and the reason names the community', () => {
    const d = expectCompany(route('名京'), 'CM11');
    expect(d).toMatchObject({ method: 'alias', confidence: 1, companyId: 'HC11' });
    expect(d.reason).toContain('金地名京');
    expect(d.candidates[0].why).toContain('别名');
  });
});

describe('a typical typo still routes when one community is clearly meant', () => {
  it('a look-alike: 「幸褔小区」 → 「幸福小区」, method similar, confidence between the threshold and 1', () => {
    const d = expectCompany(route('幸褔小区'), 'CM02');
    expect(d.method).toBe('similar');
    expect(d.confidence).toBeGreaterThanOrEqual(ROUTING_CONFIDENCE_THRESHOLD);
    expect(d.confidence).toBeLessThan(1);
    expect(d.reason).toContain('相近');
    expect(d.reason).toContain('幸福小区');
  });

  it('a mistyped suffix: 「幸福小去」 → 「幸福小区」, the why says 小去 was read as 小区', () => {
    const d = expectCompany(route('幸福小去'), 'CM02');
    expect(d.candidates[0].why).toContain('“小去”按“小区”理解');
  });

  it('a homophone in a two-character name: 「锦秀花园」 → 「锦绣花园」 (0.825), the why says 同音或形近字', () => {
    const d = expectCompany(route('锦秀花园'), 'CM04');
    expect(d.confidence).toBeCloseTo(0.825, 3);
    expect(d.candidates[0].why).toContain('同音或形近字 1 处');
  });

  it('a homophone in a four-character name: 「金地名景」 → 「金地名京」, well ahead of 「金地小区」', () => {
    const d = expectCompany(route('金地名景'), 'CM11');
    expect(d.candidates[1]?.communityId).toBe('CM01');
    expect(d.confidence - d.candidates[1].score).toBeGreaterThanOrEqual(ROUTING_MARGIN);
  });

  it('a homophone in an ending that is part of the name: 「幸福嘉苑」 → 「幸福嘉园」 (嘉园 is not a generic suffix), not 「幸福小区」', () => {
    expectCompany(route('幸福嘉苑'), 'CM09');
  });

  it('a typo of an alias routes through the alias: 「名景」 → 「金地名京」, the why names the alias', () => {
    const d = expectCompany(route('名景'), 'CM11');
    expect(d.candidates[0].why).toContain('登记别名“名京”');
  });

  it('a missing phase when the district registers only one phase of that name: 「中山公寓」 → 「中山公寓三期」', () => {
    const d = expectCompany(route('中山公寓'), 'CM06');
    expect(d.method).toBe('similar');
    expect(d.candidates[0].why).toContain('未写期/区');
  });
});

describe('a slip that could as well be another community goes to the authority by hand, with candidates', () => {
  it('one unrelated character in a two-character name: 「幸运小区」 is not 「幸福小区」 (0.5), manual, 「幸福小区」 among the candidates', () => {
    const d = route('幸运小区');
    expect(d.kind).toBe('manual');
    expect(d.reason).toContain('未在该区县登记');
    expect(d.reason).toContain('最接近');
    expect(d.candidates.map((c) => c.communityId)).toContain('CM02');
  });

  it('one unrelated character in a four-character name: 「阳光一品」 is not 「阳光一百」 (0.75)', () => {
    const d = route('阳光一品');
    expect(d.kind).toBe('manual');
    expect(d.candidates[0]).toMatchObject({ communityId: 'CM05', score: 0.75 });
  });

  it('swapped characters in a two-character name: 「湖东小区」 may be another estate than 「东湖小区」', () => {
    expect(route('湖东小区').kind).toBe('manual');
  });

  it('a missing phase when two phases are registered: 「和平花园」 → manual, both phases as candidates, the reason says several are close', () => {
    const d = route('和平花园');
    expect(d.kind).toBe('manual');
    expect(d.reason).toContain('多个登记小区相近');
    expect(d.candidates.slice(0, 2).map((c) => c.communityId).sort()).toEqual(['CM07', 'CM08']);
    expect(d.confidence).toBeCloseTo(0.88, 3);
  });

  it('「幸福佳园」 reads as 「幸福家园」 (= 「幸福小区」) or as 「幸福嘉园」: both are candidates, manual', () => {
    const d = route('幸福佳园');
    expect(d.kind).toBe('manual');
    expect(d.candidates.slice(0, 2).map((c) => c.communityId).sort()).toEqual(['CM02', 'CM09']);
  });

  it('the wrong phase: 「中山公寓一期」 is not 「中山公寓三期」', () => {
    const d = route('中山公寓一期');
    expect(d.kind).toBe('manual');
    expect(d.candidates[0].why).toContain('期/区不符');
  });

  it('a phase the registry does not have: 「锦绣花园二期」 is not simply 「锦绣花园」', () => {
    expect(route('锦绣花园二期').kind).toBe('manual');
  });

  it('a name with nothing registered like it: manual with no candidates, the reason quoting the name', () => {
    const d = route('万科城');
    expect(d).toMatchObject({ kind: 'manual', method: 'manual', confidence: 0, candidates: [] });
    expect(d.reason).toBe('小区“万科城”未在该区县登记，转区县主管单位人工分转');
  });

  it('an empty or punctuation-only name → manual, saying no usable name was given', () => {
    for (const name of ['', '  ', '——', '（）']) expect(route(name).reason).toContain('未填写可识别的小区名称');
  });
});

describe('matching never leaves the district the resident gave', () => {
  it('a typo of a community registered only in another city → manual', () => {
    expect(route('滨河小去').kind).toBe('manual');
  });

  it('every routed company serves a community of the given district, whatever the name', () => {
    const heping = new Set(ROWS.filter((r) => r.districtCode === HEPING).map((r) => r.companyId));
    const chars = fc.constantFrom(...'幸福褔锦绣秀金地名京景阳光一百中山公寓和平花园嘉佳机车厂宿舍东湖春晖小区去期二三滨河枫林苑');
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 8 }), (xs) => {
        const d = route(xs.join(''));
        if (d.kind === 'company') expect(heping.has(d.companyId)).toBe(true);
        for (const c of d.candidates) expect(heping.has(c.companyId)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('an unknown district → manual, the reason saying nothing is registered there', () => {
    const d = route('金地小区', undefined, '210104');
    expect(d.kind).toBe('manual');
    expect(d.reason).toContain('该区县没有登记的小区');
  });
});

describe('a name registered exactly in another district of the city is not matched loosely here', () => {
  it('「春晖小区」 given for 和平区 (registered in 沈河区; 和平区 has only 「春晖公寓二期」) → manual, the reason names 沈河区\'s code', () => {
    const d = route('春晖小区');
    expect(d.kind).toBe('manual');
    expect(d.reason).toContain('可能区县填写有误');
    expect(d.reason).toContain(SHENHE);
    expect(d.candidates[0].communityId).toBe('CM13');
  });

  it('without the registration in 沈河区, the same input is a missing phase and routes', () => {
    const local = CommunityIndex.build(ROWS.filter((r) => r.id !== 'CM100'));
    expect(local.route({ communityName: '春晖小区', districtCode: HEPING })).toMatchObject({ kind: 'company', communityId: 'CM13' });
  });

  it('an exact match in the given district wins over the same name elsewhere: 「锦绣花园」 → 和平区\'s own', () => {
    expect(route('锦绣花园')).toMatchObject({ kind: 'company', companyId: 'HC04' });
    expect(route('锦绣花园', undefined, SHENHE)).toMatchObject({ kind: 'company', companyId: 'HC101' });
  });
});

describe('a company named by the resident is checked, never trusted on its own', () => {
  it('naming HC09 for 「锦秀花园」 (similar to 「锦绣花园」, served by HC04) → HC04, correctedNamedCompany HC09, the reason says 已更正', () => {
    const d = expectCompany(route('锦秀花园', 'HC09'), 'CM04');
    expect(d).toMatchObject({ companyId: 'HC04', correctedNamedCompany: 'HC09' });
    expect(d.reason).toContain('HC09');
    expect(d.reason).toContain('已更正');
  });

  it('naming the right company for a similar match → no correction, the reason says they agree', () => {
    const d = expectCompany(route('锦秀花园', 'HC04'), 'CM04');
    expect(d).not.toHaveProperty('correctedNamedCompany');
    expect(d.reason).toContain('与诉求人指认的企业一致');
  });

  it('an unknown name with a named company that serves one community here → manual, that community first among the candidates, the reason explaining', () => {
    const d = route('不存在家园', 'HC01');
    expect(d.kind).toBe('manual');
    expect(d.candidates[0]).toMatchObject({ communityId: 'CM01', companyId: 'HC01', score: 0 });
    expect(d.candidates[0].why).toContain('诉求人指认的企业 HC01 服务该小区');
    expect(d.reason).toContain('未据此自动分转');
  });

  it('an ambiguous name with a named company: its community comes first, the other close one follows', () => {
    const d = route('和平花园', 'HC08');
    expect(d.kind).toBe('manual');
    expect(d.candidates.map((c) => c.communityId).slice(0, 2)).toEqual(['CM08', 'CM07']);
  });

  it('a named company with no community in the district → manual, the reason says so', () => {
    const d = route('不存在家园', 'HC100');
    expect(d.kind).toBe('manual');
    expect(d.reason).toContain('HC100 在该区县没有登记服务的小区');
  });
});

describe('a community with no clear owner (三供一业) goes by hand, with that community as the top candidate', () => {
  it('「机车厂宿舍」 → manual, 三供一业 in the reason, CM10 first with score 1', () => {
    const d = route('机车厂宿舍');
    expect(d.kind).toBe('manual');
    expect(d.reason).toContain('三供一业');
    expect(d.candidates[0]).toMatchObject({ communityId: 'CM10', score: 1 });
    expect(d.confidence).toBe(1);
  });

  it('a typo of it (「机车厂宿社」) is also manual, naming the registered community', () => {
    const d = route('机车厂宿社');
    expect(d.kind).toBe('manual');
    expect(d.reason).toContain('三供一业');
    expect(d.reason).toContain('机车厂宿舍');
    expect(d.candidates[0].communityId).toBe('CM10');
  });

  it('naming its registered company does not route it either', () => {
    const d = route('机车厂宿舍', 'HC10');
    expect(d.kind).toBe('manual');
    expect(d.candidates[0].communityId).toBe('CM10');
  });
});

describe('every decision records why, in a uniform shape', () => {
  const names = fc.constantFrom(
    '金地小区', '幸褔小区', '幸福小去', '锦秀花园', '中山公寓', '和平花园', '幸运小区', '阳光一品', '机车厂宿舍', '名京', '万科城', '春晖小区', '',
  );
  const named = fc.constantFrom(undefined, 'HC01', 'HC04', 'HC08', 'HC100');

  it('method, confidence in [0, 1], at most five candidates best first, each with id, name, company, score and a Chinese why', () => {
    fc.assert(
      fc.property(names, named, (name, company) => {
        const d = route(name, company);
        expect(d.reason).toMatch(/[\u4e00-\u9fff]/u);
        expect(d.confidence).toBeGreaterThanOrEqual(0);
        expect(d.confidence).toBeLessThanOrEqual(1);
        expect(d.candidates.length).toBeLessThanOrEqual(MAX_CANDIDATES);
        for (const c of d.candidates) {
          expect(Object.keys(c).sort()).toEqual(['communityId', 'companyId', 'name', 'score', 'why']);
          expect(c.why).toMatch(/[\u4e00-\u9fff]/u);
          expect(c.score).toBeGreaterThanOrEqual(0);
          expect(c.score).toBeLessThanOrEqual(1);
        }
        if (d.kind === 'company') {
          expect(['exact', 'alias', 'similar']).toContain(d.method);
          expect(d.candidates[0]).toMatchObject({ communityId: d.communityId, companyId: d.companyId, score: d.confidence });
        } else {
          expect(d.method).toBe('manual');
        }
      }),
    );
  });

  it('without a named company, manual candidates are in descending score', () => {
    for (const name of ['和平花园', '幸运小区', '阳光一品', '春晖小区']) {
      const scores = route(name).candidates.map((c) => c.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    }
  });
});

describe('formatting never changes a decision', () => {
  it('adding spaces, punctuation or full-width forms to any registered name routes it the same way', () => {
    const registered = ROWS.filter((r) => r.districtCode === HEPING).map((r) => r.name!);
    const noise = fc.constantFrom(' ', '　', '·', '、', '－', '-', '(', ')', '“', '”', '\n');
    fc.assert(
      fc.property(fc.constantFrom(...registered), fc.array(fc.tuple(fc.nat(), noise), { maxLength: 3 }), (name, inserts) => {
        const chars = [...name];
        for (const [at, mark] of inserts) chars.splice(at % (chars.length + 1), 0, mark);
        const a = route(name);
        const b = route(chars.join(''));
        expect(b.kind).toBe(a.kind);
        expect(b.method).toBe(a.method);
        if (a.kind === 'company' && b.kind === 'company') expect(b.communityId).toBe(a.communityId);
      }),
      { numRuns: 300 },
    );
  });

  it('the same typo spelled with extra punctuation scores the same', () => {
    expect(route('锦 秀·花园').confidence).toBe(route('锦秀花园').confidence);
  });
});

describe('the index is built once from registry rows and answers without the database', () => {
  it('size and districtCount describe what was indexed', () => {
    expect(index.size).toBe(ROWS.length);
    expect(index.districtCount).toBe(3);
  });

  it('the registered name is re-normalized: a row whose stored normalizedName is stale still matches by name and by the stored form', () => {
    const stale = CommunityIndex.build([row('CM50', '錦繡花園', 'HC50', { normalizedName: '錦繡' })]);
    expect(stale.route({ communityName: '锦绣花园', districtCode: HEPING })).toMatchObject({ kind: 'company', communityId: 'CM50' });
    expect(stale.route({ communityName: '錦繡', districtCode: HEPING })).toMatchObject({ kind: 'company', communityId: 'CM50' });
  });

  it('rows without a name fall back to normalizedName (as older callers pass them)', () => {
    const bare = CommunityIndex.build([{ id: 'CM60', normalizedName: '金地', aliases: [], districtCode: HEPING, companyId: 'HC60', unclearOwner: false }]);
    expect(bare.route({ communityName: '金地小区', districtCode: HEPING })).toMatchObject({ kind: 'company', communityId: 'CM60' });
  });

  it('two builds from the same rows decide identically', () => {
    const again = CommunityIndex.build(ROWS);
    for (const name of ['金地小区', '幸褔小区', '和平花园', '万科城', '春晖小区']) expect(again.route({ communityName: name, districtCode: HEPING })).toEqual(route(name));
  });

  it('rank lists the district\'s closest communities for a name (exact = 1) without deciding', () => {
    const ranked = index.rank({ communityName: '和平花园', districtCode: HEPING });
    expect(ranked.slice(0, 2).map((c) => c.communityId).sort()).toEqual(['CM07', 'CM08']);
    expect(index.rank({ communityName: '金地小区', districtCode: HEPING }, 1)).toEqual([expect.objectContaining({ communityId: 'CM01', score: 1 })]);
    expect(index.rank({ communityName: '金地小区', districtCode: '219999' })).toEqual([]);
  });
});
