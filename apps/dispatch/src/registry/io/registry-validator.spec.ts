import { describe, expect, it } from '@jest/globals';
import type { UnitScope } from '../../access/unit-scope.js';
import { normalizeCommunityName } from '../../routing/community-name.js';
import { headerText, KINDS } from './columns.js';
import type { RegistryKind } from './columns.js';
import { toCells } from './registry-files.js';
import { snapshotNeeds, validateImport } from './registry-validator.js';
import type { CommunityRecord, CompanyRecord, RegistrySnapshot, StationRecord } from './registry-validator.js';
import type { BoundSheet } from './sheet-table.js';

const PROVINCE: UnitScope = { kind: 'province' };
const SHENYANG: UnitScope = { kind: 'city', authorityId: 'AU210100', cityCode: '210100' };
const TIEXI: UnitScope = { kind: 'county', authorityId: 'AU210106', cityCode: '210100', districtCode: '210106' };

const community = (id: string, name: string, districtCode: string, stationId: string, companyId: string, aliases: string[] = []): CommunityRecord => ({
  id,
  name,
  normalizedName: normalizeCommunityName(name),
  districtCode,
  stationId,
  companyId,
  unclearOwner: false,
  aliases,
});

/** 沈阳 和平区 210102 (city authority), 铁西区 210106 (own county authority); 大连 中山区 210202. */
function snapshot(): RegistrySnapshot {
  const companies: CompanyRecord[] = [
    { id: 'HC0001', name: '和平热力', authorityId: 'AU210100', cityCode: '210100', districtCode: '210102' },
    { id: 'HC0002', name: '铁西惠民', authorityId: 'AU210106', cityCode: '210100', districtCode: '210106' },
    { id: 'HC0003', name: '和平暖通', authorityId: 'AU210100', cityCode: '210100', districtCode: '210102' },
    { id: 'HC0100', name: '中山热力', authorityId: 'AU210200', cityCode: '210200', districtCode: '210202' },
  ];
  const stations: StationRecord[] = [
    { id: 'HC0001-S1', name: '和平1号站', companyId: 'HC0001', districtCode: '210102' },
    { id: 'HC0002-S1', name: '铁西1号站', companyId: 'HC0002', districtCode: '210106' },
    { id: 'HC0003-S1', name: '和平3号站', companyId: 'HC0003', districtCode: '210102' },
    { id: 'HC0100-S1', name: '中山1号站', companyId: 'HC0100', districtCode: '210202' },
  ];
  const communities: CommunityRecord[] = [
    community('CM00001', '金地小区', '210102', 'HC0001-S1', 'HC0001'),
    community('CM00002', '幸福里', '210106', 'HC0002-S1', 'HC0002', ['幸福里北区']),
    community('CM00003', '滨河花园', '210202', 'HC0100-S1', 'HC0100'),
    community('CM00004', '阳光家园', '210102', 'HC0001-S1', 'HC0001'),
  ];
  return {
    authorities: new Map(
      [
        { id: 'AU210100', name: '沈阳市供热管理办公室', level: 'city' as const, regionCode: '210100', cityCode: '210100' },
        { id: 'AU210106', name: '沈阳市铁西区供热管理办公室', level: 'county' as const, regionCode: '210106', cityCode: '210100' },
        { id: 'AU210200', name: '大连市供热管理办公室', level: 'city' as const, regionCode: '210200', cityCode: '210200' },
      ].map((a) => [a.id, a]),
    ),
    companies: new Map(companies.map((c) => [c.id, c])),
    stations: new Map(stations.map((s) => [s.id, s])),
    communities: new Map(communities.map((m) => [m.id, m])),
  };
}

/** A bound sheet as read from a file with the exported header; data rows start at row 2. */
function sheet(kind: RegistryKind, rows: string[][], name?: string): BoundSheet {
  const columns = KINDS[kind].columns;
  return {
    kind,
    ...(name ? { sheet: name } : {}),
    headers: Object.fromEntries(columns.map((c) => [c.key, headerText(c)])),
    rows: rows.map((cells, i) => ({ row: i + 2, values: Object.fromEntries(columns.map((c, j) => [c.key, cells[j] ?? ''])) })),
  };
}

const cells = {
  company: (c: Partial<CompanyRecord> & { id: string }) =>
    toCells('companies', { name: '新企业', authorityId: 'AU210100', cityCode: '210100', districtCode: '210102', ...c }),
  station: (s: Partial<StationRecord> & { id: string }) => toCells('stations', { name: '新站', companyId: 'HC0001', districtCode: '210102', ...s }),
  community: (m: Partial<CommunityRecord> & { id: string; name: string }) =>
    toCells('communities', {
      normalizedName: '',
      districtCode: '210102',
      stationId: 'HC0001-S1',
      companyId: 'HC0001',
      unclearOwner: false,
      aliases: [],
      ...m,
    }),
};

const exported = (snap: RegistrySnapshot, kind: RegistryKind) => {
  const records = { companies: snap.companies, stations: snap.stations, communities: snap.communities }[kind];
  return [...records.values()].map((r) => toCells(kind, r as never));
};

const messages = (sheets: BoundSheet[], scope: UnitScope = PROVINCE, snap = snapshot()) =>
  validateImport(sheets, snap, scope).errors.map((e) => `${e.row}|${e.column}|${e.message}`);

describe('a file exported from the registry re-imports unchanged', () => {
  it.each(['companies', 'stations', 'communities'] as RegistryKind[])('%s: every row unchanged, nothing to write, no errors', (kind) => {
    const snap = snapshot();
    const { errors, plan } = validateImport([sheet(kind, exported(snap, kind))], snap, PROVINCE);
    expect(errors).toEqual([]);
    expect(plan[kind]).toEqual({ rows: snap[kind].size, create: [], update: [], unchanged: snap[kind].size });
  });
});

describe('upsert by id: created, updated, unchanged', () => {
  it('a new id is created, a changed row updated, an equal row unchanged; normalized_name is recomputed', () => {
    const snap = snapshot();
    const { errors, plan } = validateImport(
      [
        sheet('communities', [
          cells.community({ id: 'CM09999', name: '新建 小区·三期', aliases: ['新建3期东'] }),
          cells.community({ id: 'CM00004', name: '阳光家园', unclearOwner: true }),
          exported(snap, 'communities')[0],
        ]),
      ],
      snap,
      PROVINCE,
    );
    expect(errors).toEqual([]);
    expect(plan.communities.create).toEqual([community('CM09999', '新建 小区·三期', '210102', 'HC0001-S1', 'HC0001', ['新建3期东'])]);
    expect(plan.communities.create[0].normalizedName).toBe('新建3期');
    expect(plan.communities.update.map((m) => [m.id, m.unclearOwner])).toEqual([['CM00004', true]]);
    expect(plan.communities.unchanged).toBe(1);
  });
  it('a company’s city code is taken from its district code', () => {
    const { plan } = validateImport([sheet('companies', [cells.company({ id: 'HC0900', districtCode: '210106', authorityId: 'AU210106' })])], snapshot(), PROVINCE);
    expect(plan.companies.create[0]).toMatchObject({ cityCode: '210100', districtCode: '210106' });
  });
  it('full-width digits and letters in ids and codes are read as ASCII; cells are trimmed', () => {
    const { errors, plan } = validateImport(
      [sheet('stations', [['ＨＣ0001-Ｓ9', ' 新站 ', 'HC0001', '２１０１０２']])],
      snapshot(),
      PROVINCE,
    );
    expect(errors).toEqual([]);
    expect(plan.stations.create[0]).toEqual({ id: 'HC0001-S9', name: '新站', companyId: 'HC0001', districtCode: '210102' });
  });
});

describe('every bad row is reported with its row, column header and value', () => {
  it('two bad rows give two errors, in sheet order', () => {
    const errors = validateImport(
      [
        sheet('communities', [
          cells.community({ id: 'CM09001', name: '好小区' }),
          cells.community({ id: 'CM09002', name: '坏区县', districtCode: '999999' }),
          cells.community({ id: 'CM09003', name: '坏站', stationId: 'HC9999-S1' }),
        ]),
      ],
      snapshot(),
      PROVINCE,
    ).errors;
    expect(errors).toEqual([
      { row: 3, column: '区县代码（districtCode）', value: '999999', message: '999999 不是辽宁省的区县代码（GB/T 2260），请核对，例如 210102（沈阳市和平区）' },
      {
        row: 4,
        column: '换热站编号（stationId）',
        value: 'HC9999-S1',
        message: '换热站 HC9999-S1 不存在：登记册和本文件中都没有这个编号（编号形如 HC0001-S1）',
      },
    ]);
  });
  it('the sheet name is part of each error for workbooks', () => {
    const [error] = validateImport([sheet('stations', [cells.station({ id: 'X', name: '' })], '换热站')], snapshot(), PROVINCE).errors;
    expect(error.sheet).toBe('换热站');
  });
  it('empty required cells are each reported', () => {
    expect(messages([sheet('stations', [['', '', '', '']])])).toEqual([
      '2|换热站编号（id）|编号不能为空；新增时请自拟一个未用过的编号（2–32 位字母、数字、- 或 _）',
      '2|换热站名称（name）|换热站名称不能为空',
      '2|供热企业编号（companyId）|供热企业编号不能为空，例如 HC0001',
      '2|区县代码（districtCode）|区县代码不能为空，请填写 6 位 GB/T 2260 区县代码，例如 210102（沈阳市和平区）',
    ]);
  });
  it('an id with spaces or symbols is refused', () => {
    expect(messages([sheet('stations', [cells.station({ id: 'S 1/2' })])])).toEqual([
      '2|换热站编号（id）|编号只能由字母、数字、- 和 _ 组成，2–32 位，以字母或数字开头',
    ]);
  });
});

describe('district codes are real Liaoning county-level GB/T 2260 codes', () => {
  it.each([
    ['21010', '区县代码应为 6 位数字（GB/T 2260），例如 210102（沈阳市和平区）'],
    ['110101', '110101 不是辽宁省的区县代码（GB/T 2260），请核对，例如 210102（沈阳市和平区）'],
    ['210100', '210100 是地市（沈阳市）代码，请填写区县代码，例如 210102（和平区）'],
  ])('%s → %s', (code, message) => {
    expect(messages([sheet('stations', [cells.station({ id: 'HC0001-S9', districtCode: code })])])).toEqual([`2|区县代码（districtCode）|${message}`]);
  });
});

describe('an authority imports only inside its region', () => {
  it('a city authority cannot create rows in another city', () => {
    expect(messages([sheet('stations', [cells.station({ id: 'HC0100-S9', companyId: 'HC0100', districtCode: '210202' })])], SHENYANG)).toEqual([
      '2|区县代码（districtCode）|区县 大连市中山区（210202） 不在本单位辖区（沈阳市）内，无权导入',
    ]);
  });
  it('a county authority cannot import rows of another district of its city', () => {
    expect(messages([sheet('communities', [cells.community({ id: 'CM09001', name: '新小区' })])], TIEXI)).toEqual([
      '2|区县代码（districtCode）|区县 沈阳市和平区（210102） 不在本单位辖区（沈阳市铁西区）内，无权导入',
    ]);
  });
  it('an id registered elsewhere cannot be taken over by moving it into the region', () => {
    expect(messages([sheet('communities', [cells.community({ id: 'CM00003', name: '滨河花园' })])], SHENYANG)).toEqual([
      '2|小区编号（id）|编号 CM00003 已登记在 大连市中山区（210202），不在本单位辖区（沈阳市）内，无权修改',
    ]);
  });
  it('the province may import anywhere', () => {
    expect(messages([sheet('stations', [cells.station({ id: 'HC0100-S9', companyId: 'HC0100', districtCode: '210202' })])], PROVINCE)).toEqual([]);
  });
});

describe('references must exist, in the registry or in the same file', () => {
  it('a company’s authority must exist and its region must contain the company’s district', () => {
    expect(
      messages([
        sheet('companies', [
          cells.company({ id: 'HC0901', authorityId: 'AU999999' }),
          cells.company({ id: 'HC0902', authorityId: 'AU210106', districtCode: '210102' }),
          cells.company({ id: 'HC0903', authorityId: 'AU210100', districtCode: '210106' }),
        ]),
      ]),
    ).toEqual([
      '2|主管单位编号（authorityId）|主管单位 AU999999 不存在（主管单位编号形如 AU210100，由省平台登记）',
      '3|主管单位编号（authorityId）|主管单位 AU210106（沈阳市铁西区供热管理办公室）的辖区不包括 沈阳市和平区（210102）',
    ]);
  });
  it('a community’s company must be the operator of its station', () => {
    expect(messages([sheet('communities', [cells.community({ id: 'CM09001', name: '新小区', companyId: 'HC0003' })])])).toEqual([
      '2|供热企业编号（companyId）|换热站 HC0001-S1 由企业 HC0001 运营，与本行的供热企业编号 HC0003 不一致；小区的供热企业必须是其换热站的运营企业',
    ]);
  });
  it('a company, station and community all new in one workbook reference each other', () => {
    const { errors, plan } = validateImport(
      [
        sheet('companies', [cells.company({ id: 'HC0900' })], '供热企业'),
        sheet('stations', [cells.station({ id: 'HC0900-S1', companyId: 'HC0900' })], '换热站'),
        sheet('communities', [cells.community({ id: 'CM09001', name: '新小区', stationId: 'HC0900-S1', companyId: 'HC0900' })], '小区'),
      ],
      snapshot(),
      SHENYANG,
    );
    expect(errors).toEqual([]);
    expect([plan.companies.create.length, plan.stations.create.length, plan.communities.create.length]).toEqual([1, 1, 1]);
  });
  it('a reference to a row of the same file that has errors says to fix that row', () => {
    expect(
      messages([
        sheet('stations', [cells.station({ id: 'HC0001-S9', districtCode: 'x' })], '换热站'),
        sheet('communities', [cells.community({ id: 'CM09001', name: '新小区', stationId: 'HC0001-S9' })], '小区'),
      ]),
    ).toEqual([
      '2|区县代码（districtCode）|区县代码应为 6 位数字（GB/T 2260），例如 210102（沈阳市和平区）',
      '2|换热站编号（stationId）|换热站 HC0001-S9 在本文件中那一行有错误，请先修正该行',
    ]);
  });
  it('a station may not change company while communities on it still name the old company', () => {
    expect(messages([sheet('stations', [cells.station({ id: 'HC0001-S1', name: '和平1号站', companyId: 'HC0003' })])])).toEqual([
      '2|供热企业编号（companyId）|换热站改由企业 HC0003 运营，但小区 CM00001、CM00004 仍登记为由其他企业经本站供热；请用含“换热站”和“小区”两个工作表的工作簿（POST /api/v1/registry/import）同时修改这些小区的供热企业编号',
    ]);
  });
  it('… and may, when the same workbook moves those communities to the new company', () => {
    const snap = snapshot();
    const moved = [...snap.communities.values()].filter((m) => m.stationId === 'HC0001-S1').map((m) => cells.community({ ...m, companyId: 'HC0003' }));
    const { errors, plan } = validateImport(
      [
        sheet('stations', [cells.station({ id: 'HC0001-S1', name: '和平1号站', companyId: 'HC0003' })], '换热站'),
        sheet('communities', moved, '小区'),
      ],
      snap,
      PROVINCE,
    );
    expect(errors).toEqual([]);
    expect(plan.stations.update).toHaveLength(1);
    expect(plan.communities.update.map((m) => m.companyId)).toEqual(['HC0003', 'HC0003']);
  });
});

describe('one row per id in a file', () => {
  it('a repeated id is reported on the repeat, naming the first row', () => {
    expect(
      messages([
        sheet('communities', [cells.community({ id: 'CM09001', name: '甲小区' }), cells.community({ id: 'CM09001', name: '乙小区' })]),
      ]),
    ).toEqual(['3|小区编号（id）|编号 CM09001 在第 2 行已出现；同一文件中每个编号只能出现一次']);
  });
});

describe('names and aliases', () => {
  it('names longer than the limit are refused with the count', () => {
    expect(messages([sheet('communities', [cells.community({ id: 'CM09001', name: '长'.repeat(61) })])])).toEqual([
      '2|小区名称（name）|小区名称最多 60 个字，现有 61 个字',
    ]);
  });
  it('a name Excel would run as a formula is refused', () => {
    expect(messages([sheet('stations', [cells.station({ id: 'HC0001-S9', name: '=1+1' })])])).toEqual([
      '2|换热站名称（name）|换热站名称不能以 = + - @ 开头（Excel 会把它当作公式）',
    ]);
  });
  it('a name of punctuation only cannot be routed', () => {
    expect(messages([sheet('communities', [cells.community({ id: 'CM09001', name: '·—·' })])])).toEqual([
      '2|小区名称（name）|小区名称只有标点或空格，无法用于分转，请填写实际名称',
    ]);
  });
  it('aliases are split on ；, ; and |, trimmed, empty parts dropped', () => {
    const { plan } = validateImport(
      [sheet('communities', [[...cells.community({ id: 'CM09001', name: '新小区' }).slice(0, 6), ' 东区 ；西区;南区| 北区 ;；']])],
      snapshot(),
      PROVINCE,
    );
    expect(plan.communities.create[0].aliases).toEqual(['东区', '西区', '南区', '北区']);
  });
  it('an alias equal to the name, a repeated alias, and too many aliases are refused', () => {
    const row = (id: string, aliases: string) => [...cells.community({ id, name: `新小区${id}` }).slice(0, 6), aliases];
    const many = Array.from({ length: 21 }, (_, i) => `别名${i}`).join('；');
    expect(messages([sheet('communities', [row('CM09001', '新小区CM09001；东区'), row('CM09002', '东区|东 区'), row('CM09003', many)])])).toEqual([
      '2|别名（aliases）|别名“新小区CM09001”与小区名称相同（规范化后），无需填写，请删除',
      '3|别名（aliases）|别名“东 区”与别名“东区”重复（规范化后），请只保留一个',
      '4|别名（aliases）|别名最多 20 个，现有 21 个',
    ]);
  });
  it('责任主体不明 takes 是/否 (blank = 否) and a few common spellings', () => {
    const row = (v: string, id: string) => [...cells.community({ id, name: `小区${id}` }).slice(0, 5), v, ''];
    const { errors, plan } = validateImport(
      [sheet('communities', [row('是', 'CM09001'), row('', 'CM09002'), row('TRUE', 'CM09003'), row('否', 'CM09004'), row('不清楚', 'CM09005')])],
      snapshot(),
      PROVINCE,
    );
    expect(plan.communities.create.map((m) => m.unclearOwner)).toEqual([true, false, true, false]);
    expect(errors.map((e) => [e.row, e.message])).toEqual([[6, '责任主体不明只能填“是”或“否”（不填视为“否”）']]);
  });
});

describe('a new or changed community stays routable: no two communities of a district share a name', () => {
  it('a new community whose normalized name equals an existing one in the district is refused', () => {
    expect(messages([sheet('communities', [cells.community({ id: 'CM09001', name: '金地 花园' })])])).toEqual([
      '2|小区名称（name）|“金地 花园”与同区县的小区 CM00001“金地小区”重名（规范化后均为“金地”），投诉将无法自动分转；请改名、调整别名或合并为一个小区',
    ]);
  });
  it('an alias that equals another community’s alias in the district is refused', () => {
    const row = [...cells.community({ id: 'CM09001', name: '新铁西', districtCode: '210106', stationId: 'HC0002-S1', companyId: 'HC0002' }).slice(0, 6), '幸福里北区'];
    expect(messages([sheet('communities', [row])])).toEqual([
      '2|别名（aliases）|“幸福里北区”与同区县的小区 CM00002“幸福里”重名（规范化后均为“幸福里北区”），投诉将无法自动分转；请改名、调整别名或合并为一个小区',
    ]);
  });
  it('the same name in another district is fine', () => {
    expect(messages([sheet('communities', [cells.community({ id: 'CM09001', name: '金地小区', districtCode: '210106', stationId: 'HC0002-S1', companyId: 'HC0002' })])])).toEqual([]);
  });
  it('a clash that already exists between unchanged rows does not block a re-import', () => {
    const snap = snapshot();
    snap.communities.set('CM00005', community('CM00005', '金地家园', '210102', 'HC0001-S1', 'HC0001'));
    const { errors, plan } = validateImport([sheet('communities', exported(snap, 'communities'))], snap, PROVINCE);
    expect(errors).toEqual([]);
    expect(plan.communities.unchanged).toBe(5);
  });
});

describe('snapshotNeeds names what the database must provide', () => {
  it('ids in the file, the ids they refer to, the districts of communities and the stations in the file', () => {
    expect(
      snapshotNeeds([
        sheet('stations', [cells.station({ id: 'HC0001-S9', companyId: 'HC0005' })]),
        sheet('communities', [cells.community({ id: 'CM09001', name: 'x', stationId: 'HC0007-S1', companyId: 'HC0007', districtCode: '２１０１０６' })]),
      ]),
    ).toEqual({
      companyIds: ['HC0005', 'HC0007'],
      stationIds: ['HC0001-S9', 'HC0007-S1'],
      communityIds: ['CM09001'],
      communityDistricts: ['210106'],
      stationsInFile: ['HC0001-S9'],
    });
  });
});
