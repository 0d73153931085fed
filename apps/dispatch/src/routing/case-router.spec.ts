import { describe, expect, it } from '@jest/globals';
import { CommunityIndex, routeCase } from './case-router.js';
import type { CommunityCandidate } from './case-router.js';
import { normalizeCommunityName } from './community-name.js';

/*
 * 直达责任主体: a case goes straight to the company serving the community, looked up within the
 * district the resident gave; anything unclear goes to the district authority by hand, and every
 * decision carries its reason (it is shown to the authority and kept with the case).
 */
const HEPING = '210102'; // 沈阳市和平区
const SHENHE = '210103'; // 沈阳市沈河区

function community(id: string, name: string, companyId: string, extra: Partial<CommunityCandidate> = {}): CommunityCandidate {
  return { id, name, normalizedName: normalizeCommunityName(name), aliases: [], districtCode: HEPING, companyId, unclearOwner: false, ...extra };
}

const JINDI = community('CM00001', '金地小区', 'HC0001');
const XINGFU_3 = community('CM00002', '幸福花园三期', 'HC0002', { aliases: ['幸福三区', '老幸福'] });
const SHENHE_JINDI = community('CM00100', '金地小区', 'HC0100', { districtCode: SHENHE });
const REGISTRY = [JINDI, XINGFU_3, SHENHE_JINDI];

describe('a community registered in the district goes straight to its company, with the reason', () => {
  it('「金地小区」 in 和平区 goes to HC0001, the company serving it', () => {
    const decision = routeCase({ communityName: '金地小区', districtCode: HEPING }, REGISTRY);
    expect(decision).toEqual({
      kind: 'company',
      companyId: 'HC0001',
      communityId: 'CM00001',
      reason: '按小区登记的服务范围分转',
      method: 'exact',
      confidence: 1,
      candidates: [{ communityId: 'CM00001', name: '金地小区', companyId: 'HC0001', score: 1, why: '名称与登记名称一致' }],
    });
  });

  it('a variant spelling (「金地 花园」, 「金地」) reaches the same community', () => {
    for (const spelling of ['金地 花园', '金地', '金地小区 ', '金地·小区']) {
      const decision = routeCase({ communityName: spelling, districtCode: HEPING }, REGISTRY);
      expect(decision).toMatchObject({ kind: 'company', companyId: 'HC0001', communityId: 'CM00001' });
    }
  });

  it('「幸福 小区·三期」 reaches the registered 「幸福花园三期」', () => {
    const decision = routeCase({ communityName: '幸福 小区·三期', districtCode: HEPING }, REGISTRY);
    expect(decision).toMatchObject({ kind: 'company', companyId: 'HC0002', communityId: 'CM00002' });
  });

  it('the same name in another district routes to that district\'s own community', () => {
    const decision = routeCase({ communityName: '金地小区', districtCode: SHENHE }, REGISTRY);
    expect(decision).toMatchObject({ kind: 'company', companyId: 'HC0100', communityId: 'CM00100' });
  });
});

describe('a community is only looked up in the district the resident gave', () => {
  it('「幸福花园三期」 reported in 沈河区 (registered only in 和平区) does not match: manual dispatch', () => {
    const decision = routeCase({ communityName: '幸福花园三期', districtCode: SHENHE }, REGISTRY);
    expect(decision.kind).toBe('manual');
  });
});

describe('a registered alias routes like the name', () => {
  it('the alias 「老幸福」 reaches 「幸福花园三期」', () => {
    const decision = routeCase({ communityName: '老幸福', districtCode: HEPING }, REGISTRY);
    expect(decision).toMatchObject({ kind: 'company', companyId: 'HC0002', communityId: 'CM00002' });
  });

  it('an alias is compared normalized too: 「幸福 三区」 and 「幸福3区」 reach the alias 「幸福三区」', () => {
    for (const spelling of ['幸福 三区', '幸福3区']) {
      const decision = routeCase({ communityName: spelling, districtCode: HEPING }, REGISTRY);
      expect(decision).toMatchObject({ kind: 'company', companyId: 'HC0002' });
    }
  });

  it('an alias of a community in another district does not count', () => {
    const decision = routeCase({ communityName: '老幸福', districtCode: SHENHE }, REGISTRY);
    expect(decision.kind).toBe('manual');
  });
});

describe('an unknown community goes to the district authority by hand, the reason naming it', () => {
  it('「不存在家园」 → manual, and the reason quotes the name as the resident wrote it', () => {
    const decision = routeCase({ communityName: '不存在家园', districtCode: HEPING }, REGISTRY);
    expect(decision.kind).toBe('manual');
    expect(decision.reason).toContain('不存在家园');
    expect(decision.reason).toContain('未在该区县登记');
  });

  it('a district with no registered communities → manual', () => {
    const decision = routeCase({ communityName: '金地小区', districtCode: '210104' }, REGISTRY);
    expect(decision).toMatchObject({ kind: 'manual' });
    expect(decision.reason).toContain('金地小区');
  });

  it('a named company does not rescue an unknown community: it still goes by hand', () => {
    const decision = routeCase({ communityName: '不存在家园', districtCode: HEPING, namedCompanyId: 'HC0001' }, REGISTRY);
    expect(decision.kind).toBe('manual');
  });
});

describe('an ambiguous community (two registered matches) goes to the district authority by hand', () => {
  it('「阳光小区」 and 「阳光花园」 (both 「阳光」) served by different companies → manual, saying there are several', () => {
    const registry = [...REGISTRY, community('CM00010', '阳光小区', 'HC0003'), community('CM00011', '阳光花园', 'HC0004')];
    const decision = routeCase({ communityName: '阳光', districtCode: HEPING }, registry);
    expect(decision.kind).toBe('manual');
    expect(decision.reason).toContain('阳光');
    expect(decision.reason).toContain('多个');
  });

  it('a name matching one community and another community\'s alias → manual', () => {
    const registry = [...REGISTRY, community('CM00012', '康乐家园', 'HC0005', { aliases: ['金地'] })];
    const decision = routeCase({ communityName: '金地小区', districtCode: HEPING }, registry);
    expect(decision.kind).toBe('manual');
  });
});

describe('a community with no clear owner (三供一业 hand-over) goes to the district authority by hand', () => {
  it('a match flagged unclearOwner → manual, the reason says 三供一业', () => {
    const registry = [...REGISTRY, community('CM00040', '机车厂宿舍', 'HC0006', { unclearOwner: true })];
    const decision = routeCase({ communityName: '机车厂宿舍', districtCode: HEPING }, registry);
    expect(decision.kind).toBe('manual');
    expect(decision.reason).toContain('三供一业');
    expect(decision.reason).toContain('机车厂宿舍');
  });

  it('naming the registered company does not route an unclear-owner community', () => {
    const registry = [...REGISTRY, community('CM00040', '机车厂宿舍', 'HC0006', { unclearOwner: true })];
    const decision = routeCase({ communityName: '机车厂宿舍', districtCode: HEPING, namedCompanyId: 'HC0006' }, registry);
    expect(decision.kind).toBe('manual');
  });
});

describe('a company named by the resident that does not serve the address is corrected, and the correction recorded', () => {
  it('naming HC0009 for 金地小区 (served by HC0001) → HC0001, correctedNamedCompany HC0009, the reason says so', () => {
    const decision = routeCase({ communityName: '金地小区', districtCode: HEPING, namedCompanyId: 'HC0009' }, REGISTRY);
    expect(decision).toMatchObject({ kind: 'company', companyId: 'HC0001', correctedNamedCompany: 'HC0009' });
    expect(decision.reason).toContain('HC0009');
    expect(decision.reason).toContain('已更正');
  });

  it('naming the right company → that company, no correction recorded', () => {
    const decision = routeCase({ communityName: '金地小区', districtCode: HEPING, namedCompanyId: 'HC0001' }, REGISTRY);
    expect(decision).toMatchObject({ kind: 'company', companyId: 'HC0001', communityId: 'CM00001', reason: '按小区登记的服务范围分转' });
    expect(decision).not.toHaveProperty('correctedNamedCompany');
  });

  it('the company serving the same name in another district is corrected to this district\'s company', () => {
    const decision = routeCase({ communityName: '金地小区', districtCode: HEPING, namedCompanyId: 'HC0100' }, REGISTRY);
    expect(decision).toMatchObject({ kind: 'company', companyId: 'HC0001', correctedNamedCompany: 'HC0100' });
  });
});

describe('routeCase is a thin wrapper over CommunityIndex', () => {
  it('it decides exactly as an index built from the same rows', () => {
    const index = CommunityIndex.build(REGISTRY);
    for (const communityName of ['金地小区', '金地 花园', '老幸福', '幸福3区', '不存在家园', '幸褔花园三期', '金地小去']) {
      for (const districtCode of [HEPING, SHENHE, '210104']) {
        for (const namedCompanyId of [undefined, 'HC0001', 'HC0009']) {
          const input = { communityName, districtCode, ...(namedCompanyId ? { namedCompanyId } : {}) };
          expect(routeCase(input, REGISTRY)).toEqual(index.route(input));
        }
      }
    }
  });

  it('a typo routes through the wrapper too: 「金地小去」 → HC0001, method similar', () => {
    expect(routeCase({ communityName: '金地小去', districtCode: HEPING }, REGISTRY)).toMatchObject({ kind: 'company', companyId: 'HC0001', method: 'similar' });
  });
});
