import { findLiaoningDivision } from '#shared';
import { UnitScopes } from '../../access/unit-scope.js';
import type { UnitScope } from '../../access/unit-scope.js';
import { normalizeCommunityName } from '../../routing/community-name.js';
import { ALIAS_SPLIT, KINDS, NO, REGISTRY_KINDS, YES } from './columns.js';
import type { RegistryKind } from './columns.js';
import type { RowError } from './import-errors.js';
import type { BoundSheet, RowInput } from './sheet-table.js';

export interface AuthorityRecord {
  id: string;
  name: string;
  level: 'city' | 'county';
  regionCode: string;
  cityCode: string;
}
export interface CompanyRecord {
  id: string;
  name: string;
  authorityId: string;
  cityCode: string;
  districtCode: string;
}
export interface StationRecord {
  id: string;
  name: string;
  companyId: string;
  districtCode: string;
}
export interface CommunityRecord {
  id: string;
  name: string;
  normalizedName: string;
  districtCode: string;
  stationId: string;
  companyId: string;
  unclearOwner: boolean;
  aliases: string[];
}

export interface RecordOf {
  companies: CompanyRecord;
  stations: StationRecord;
  communities: CommunityRecord;
}

/**
 * What the database holds that an import is checked against. Besides all authorities it must hold
 * at least (see `snapshotNeeds`): the companies and stations with the ids the file uses or refers
 * to, the communities with the ids in the file, every community of the districts the file's
 * communities are in, and every community on a station the file contains.
 */
export interface RegistrySnapshot {
  authorities: Map<string, AuthorityRecord>;
  companies: Map<string, CompanyRecord>;
  stations: Map<string, StationRecord>;
  communities: Map<string, CommunityRecord>;
}

export interface KindPlan<T> {
  rows: number;
  create: T[];
  update: T[];
  unchanged: number;
}

export type ImportPlan = { [K in RegistryKind]: KindPlan<RecordOf[K]> };

export interface ValidationOutcome {
  errors: RowError[];
  plan: ImportPlan;
}

export const LIMITS = {
  idPattern: /^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$/u,
  companyName: 100,
  stationName: 60,
  communityName: 60,
  alias: 60,
  aliases: 20,
} as const;

/** Ids, codes: NFKC (full-width digits and letters become ASCII), trimmed. */
export function codeValue(raw: string | undefined): string {
  return (raw ?? '').normalize('NFKC').trim();
}

/** The keys the snapshot must cover for these sheets (raw values; invalid ones simply find nothing). */
export function snapshotNeeds(sheets: BoundSheet[]): {
  companyIds: string[];
  stationIds: string[];
  communityIds: string[];
  communityDistricts: string[];
  /** Stations in a stations sheet: the communities on them are checked when a station changes company. */
  stationsInFile: string[];
} {
  const companyIds = new Set<string>();
  const stationIds = new Set<string>();
  const communityIds = new Set<string>();
  const communityDistricts = new Set<string>();
  const stationsInFile = new Set<string>();
  const add = (set: Set<string>, raw: string | undefined) => {
    const v = codeValue(raw);
    if (v) set.add(v);
  };
  for (const sheet of sheets) {
    for (const { values } of sheet.rows) {
      if (sheet.kind === 'companies') add(companyIds, values.id);
      if (sheet.kind === 'stations') {
        add(stationIds, values.id);
        add(stationsInFile, values.id);
        add(companyIds, values.companyId);
      }
      if (sheet.kind === 'communities') {
        add(communityIds, values.id);
        add(stationIds, values.stationId);
        add(companyIds, values.companyId);
        add(communityDistricts, values.districtCode);
      }
    }
  }
  return {
    companyIds: [...companyIds],
    stationIds: [...stationIds],
    communityIds: [...communityIds],
    communityDistricts: [...communityDistricts],
    stationsInFile: [...stationsInFile],
  };
}

/** "沈阳市和平区（210102）" */
export function placeName(districtCode: string): string {
  const found = findLiaoningDivision(districtCode);
  if (!found) return districtCode;
  return `${found.city.name}${found.district?.name ?? ''}（${districtCode}）`;
}

export function scopeName(scope: UnitScope): string {
  switch (scope.kind) {
    case 'province':
      return '全省';
    case 'city':
      return findLiaoningDivision(scope.cityCode)?.city.name ?? scope.cityCode;
    case 'county': {
      const found = findLiaoningDivision(scope.districtCode);
      return found ? `${found.city.name}${found.district?.name ?? ''}` : scope.districtCode;
    }
    case 'company':
      return '本企业';
  }
}

function cityOf(districtCode: string): string {
  return findLiaoningDivision(districtCode)?.city.code ?? '';
}

interface Located<T> {
  row: number;
  record: T;
  /** The row's cells as written, by column key. */
  values: RowInput['values'];
}

type Report = (key: string, value: string, message: string) => void;

/** Checks every row of every sheet; returns all problems, and what would be written if there are none. */
export function validateImport(sheets: BoundSheet[], snapshot: RegistrySnapshot, scope: UnitScope): ValidationOutcome {
  const errors: Array<RowError & { order: number[] }> = [];
  const reporter = (sheet: BoundSheet, row: number): Report => (key, value, message) => {
    const columns = KINDS[sheet.kind].columns;
    errors.push({
      ...(sheet.sheet ? { sheet: sheet.sheet } : {}),
      row,
      column: sheet.headers[key] ?? key,
      value,
      message,
      order: [REGISTRY_KINDS.indexOf(sheet.kind), row, columns.findIndex((c) => c.key === key)],
    });
  };

  // 1. Each row on its own; 2. one row per id within the file.
  const parsed = { companies: [] as Located<CompanyRecord>[], stations: [] as Located<StationRecord>[], communities: [] as Located<CommunityRecord>[] };
  const idsInFile: Record<RegistryKind, Set<string>> = { companies: new Set(), stations: new Set(), communities: new Set() };
  const sheetOf = new Map<RegistryKind, BoundSheet>();
  for (const sheet of sheets) {
    sheetOf.set(sheet.kind, sheet);
    const firstRow = new Map<string, number>();
    for (const input of sheet.rows) {
      const report = reporter(sheet, input.row);
      const id = codeValue(input.values.id);
      if (id) idsInFile[sheet.kind].add(id);
      const record = parseRow(sheet.kind, input, report);
      if (id && firstRow.has(id)) {
        report('id', input.values.id, `编号 ${id} 在第 ${firstRow.get(id)} 行已出现；同一文件中每个编号只能出现一次`);
        continue;
      }
      if (id) firstRow.set(id, input.row);
      if (record) (parsed[sheet.kind] as Located<typeof record>[]).push({ row: input.row, record, values: input.values });
    }
  }

  // The registry as it would be after the import (rows with errors left out).
  const companies = overlay(snapshot.companies, parsed.companies);
  const stations = overlay(snapshot.stations, parsed.stations);
  const communities = overlay(snapshot.communities, parsed.communities);
  const scopeText = scopeName(scope);

  const missing = (kind: RegistryKind, id: string, what: string, example: string): string =>
    idsInFile[kind].has(id)
      ? `${what} ${id} 在本文件中那一行有错误，请先修正该行`
      : `${what} ${id} 不存在：登记册和本文件中都没有这个编号（编号形如 ${example}）`;

  const checkPlace = (report: Report, raw: RowInput['values'], districtCode: string, existing: { districtCode: string } | undefined, id: string) => {
    if (!UnitScopes.covers(scope, { cityCode: cityOf(districtCode), districtCode })) {
      report('districtCode', raw.districtCode, `区县 ${placeName(districtCode)} 不在本单位辖区（${scopeText}）内，无权导入`);
    }
    if (existing && !UnitScopes.covers(scope, { cityCode: cityOf(existing.districtCode), districtCode: existing.districtCode })) {
      report('id', raw.id, `编号 ${id} 已登记在 ${placeName(existing.districtCode)}，不在本单位辖区（${scopeText}）内，无权修改`);
    }
  };

  // 3. Region and references.
  const companySheet = sheetOf.get('companies');
  for (const { row, record: c, values: raw } of parsed.companies) {
    const report = reporter(companySheet!, row);
    checkPlace(report, raw, c.districtCode, snapshot.companies.get(c.id), c.id);
    const authority = snapshot.authorities.get(c.authorityId);
    if (!authority) {
      report('authorityId', raw.authorityId, `主管单位 ${c.authorityId} 不存在（主管单位编号形如 AU210100，由省平台登记）`);
    } else if (authority.level === 'city' ? authority.regionCode !== c.cityCode : authority.regionCode !== c.districtCode) {
      report('authorityId', raw.authorityId, `主管单位 ${authority.id}（${authority.name}）的辖区不包括 ${placeName(c.districtCode)}`);
    }
  }

  const stationSheet = sheetOf.get('stations');
  const onStation = groupBy(communities.values(), (m) => m.stationId);
  for (const { row, record: s, values: raw } of parsed.stations) {
    const report = reporter(stationSheet!, row);
    const existing = snapshot.stations.get(s.id);
    checkPlace(report, raw, s.districtCode, existing, s.id);
    if (!companies.has(s.companyId)) {
      report('companyId', raw.companyId, missing('companies', s.companyId, '供热企业', 'HC0001'));
    } else if (existing && existing.companyId !== s.companyId) {
      const stranded = (onStation.get(s.id) ?? []).filter((m) => m.companyId !== s.companyId);
      if (stranded.length > 0) {
        const list = stranded.slice(0, 5).map((m) => m.id).join('、') + (stranded.length > 5 ? ` 等 ${stranded.length} 个` : '');
        report(
          'companyId',
          raw.companyId,
          `换热站改由企业 ${s.companyId} 运营，但小区 ${list} 仍登记为由其他企业经本站供热；请用含“换热站”和“小区”两个工作表的工作簿（POST /api/v1/registry/import）同时修改这些小区的供热企业编号`,
        );
      }
    }
  }

  const communitySheet = sheetOf.get('communities');
  for (const { row, record: m, values: raw } of parsed.communities) {
    const report = reporter(communitySheet!, row);
    checkPlace(report, raw, m.districtCode, snapshot.communities.get(m.id), m.id);
    const station = stations.get(m.stationId);
    if (!station) report('stationId', raw.stationId, missing('stations', m.stationId, '换热站', 'HC0001-S1'));
    if (!companies.has(m.companyId)) {
      report('companyId', raw.companyId, missing('companies', m.companyId, '供热企业', 'HC0001'));
    } else if (station && station.companyId !== m.companyId) {
      report('companyId', raw.companyId, `换热站 ${station.id} 由企业 ${station.companyId} 运营，与本行的供热企业编号 ${m.companyId} 不一致；小区的供热企业必须是其换热站的运营企业`);
    }
  }

  // 4. What would be written.
  const plan: ImportPlan = {
    companies: classify(parsed.companies, snapshot.companies, sameCompany),
    stations: classify(parsed.stations, snapshot.stations, sameStation),
    communities: classify(parsed.communities, snapshot.communities, sameCommunity),
  };

  // 5. A new or changed community must stay routable: no other community of its district may
  //    share its (normalized) name or one of its aliases.
  const changed = new Set([...plan.communities.create, ...plan.communities.update].map((m) => m.id));
  const keysOf = new Map<string, Set<string>>();
  for (const m of communities.values()) keysOf.set(m.id, new Set([m.normalizedName, ...m.aliases.map(normalizeCommunityName)]));
  const byDistrict = groupBy(communities.values(), (m) => m.districtCode);
  for (const { row, record: m, values: raw } of parsed.communities) {
    if (!changed.has(m.id)) continue;
    const report = reporter(communitySheet!, row);
    const own = [{ key: 'name', text: m.name, normalized: m.normalizedName }, ...m.aliases.map((a) => ({ key: 'aliases', text: a, normalized: normalizeCommunityName(a) }))];
    for (const other of byDistrict.get(m.districtCode) ?? []) {
      if (other.id === m.id) continue;
      const clash = own.find((k) => keysOf.get(other.id)!.has(k.normalized));
      if (clash) {
        report(
          clash.key,
          raw[clash.key],
          `“${clash.text}”与同区县的小区 ${other.id}“${other.name}”重名（规范化后均为“${clash.normalized}”），投诉将无法自动分转；请改名、调整别名或合并为一个小区`,
        );
      }
    }
  }

  errors.sort((a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1] || a.order[2] - b.order[2]);
  return { errors: errors.map(({ order: _order, ...e }) => e), plan };
}

function groupBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function overlay<T extends { id: string }>(base: Map<string, T>, rows: Located<T>[]): Map<string, T> {
  const result = new Map(base);
  for (const { record } of rows) result.set(record.id, record);
  return result;
}

function classify<T extends { id: string }>(rows: Located<T>[], existing: Map<string, T>, same: (a: T, b: T) => boolean): KindPlan<T> {
  const plan: KindPlan<T> = { rows: rows.length, create: [], update: [], unchanged: 0 };
  for (const { record } of rows) {
    const before = existing.get(record.id);
    if (!before) plan.create.push(record);
    else if (same(before, record)) plan.unchanged++;
    else plan.update.push(record);
  }
  return plan;
}

const sameCompany = (a: CompanyRecord, b: CompanyRecord) =>
  a.name === b.name && a.authorityId === b.authorityId && a.cityCode === b.cityCode && a.districtCode === b.districtCode;
const sameStation = (a: StationRecord, b: StationRecord) => a.name === b.name && a.companyId === b.companyId && a.districtCode === b.districtCode;
const sameCommunity = (a: CommunityRecord, b: CommunityRecord) =>
  a.name === b.name &&
  a.normalizedName === b.normalizedName &&
  a.districtCode === b.districtCode &&
  a.stationId === b.stationId &&
  a.companyId === b.companyId &&
  a.unclearOwner === b.unclearOwner &&
  a.aliases.length === b.aliases.length &&
  a.aliases.every((x, i) => x === b.aliases[i]);

// ---- single cells ----

const CONTROL = /[\u0000-\u001f\u007f]/u;
const FORMULA_START = /^[=+\-@]/u;

function parseRow<K extends RegistryKind>(kind: K, input: RowInput, report: Report): RecordOf[K] | undefined {
  const v = input.values;
  let ok = true;
  const fail: Report = (key, value, message) => {
    ok = false;
    report(key, value, message);
  };
  const id = parseId(v.id, fail);
  switch (kind) {
    case 'companies': {
      const name = parseName(v.name, LIMITS.companyName, '企业名称', 'name', fail);
      const authorityId = parseReference(v.authorityId, '主管单位编号', 'authorityId', 'AU210100', fail);
      const districtCode = parseDistrict(v.districtCode, fail);
      if (!ok) return undefined;
      return { id, name, authorityId, districtCode, cityCode: cityOf(districtCode) } as RecordOf[K];
    }
    case 'stations': {
      const name = parseName(v.name, LIMITS.stationName, '换热站名称', 'name', fail);
      const companyId = parseReference(v.companyId, '供热企业编号', 'companyId', 'HC0001', fail);
      const districtCode = parseDistrict(v.districtCode, fail);
      if (!ok) return undefined;
      return { id, name, companyId, districtCode } as RecordOf[K];
    }
    default: {
      const name = parseName(v.name, LIMITS.communityName, '小区名称', 'name', fail);
      const normalizedName = name ? normalizeCommunityName(name) : '';
      if (name && normalizedName === '') fail('name', v.name, '小区名称只有标点或空格，无法用于分转，请填写实际名称');
      const districtCode = parseDistrict(v.districtCode, fail);
      const stationId = parseReference(v.stationId, '换热站编号', 'stationId', 'HC0001-S1', fail);
      const companyId = parseReference(v.companyId, '供热企业编号', 'companyId', 'HC0001', fail);
      const unclearOwner = parseYesNo(v.unclearOwner, fail);
      const aliases = parseAliases(v.aliases, normalizedName, fail);
      if (!ok) return undefined;
      return { id, name, normalizedName, districtCode, stationId, companyId, unclearOwner, aliases } as RecordOf[K];
    }
  }
}

function parseId(raw: string | undefined, report: Report): string {
  const id = codeValue(raw);
  if (id === '') report('id', raw ?? '', '编号不能为空；新增时请自拟一个未用过的编号（2–32 位字母、数字、- 或 _）');
  else if (!LIMITS.idPattern.test(id)) report('id', raw ?? '', '编号只能由字母、数字、- 和 _ 组成，2–32 位，以字母或数字开头');
  return id;
}

function parseReference(raw: string | undefined, label: string, key: string, example: string, report: Report): string {
  const id = codeValue(raw);
  if (id === '') report(key, raw ?? '', `${label}不能为空，例如 ${example}`);
  else if (!LIMITS.idPattern.test(id)) report(key, raw ?? '', `${label}格式不正确：只能由字母、数字、- 和 _ 组成，例如 ${example}`);
  return id;
}

function parseName(raw: string | undefined, max: number, label: string, key: string, report: Report): string {
  const name = (raw ?? '').trim();
  if (name === '') report(key, raw ?? '', `${label}不能为空`);
  else if ([...name].length > max) report(key, raw ?? '', `${label}最多 ${max} 个字，现有 ${[...name].length} 个字`);
  else if (CONTROL.test(name)) report(key, raw ?? '', `${label}不能含换行符或其他控制字符`);
  else if (FORMULA_START.test(name)) report(key, raw ?? '', `${label}不能以 = + - @ 开头（Excel 会把它当作公式）`);
  return name;
}

function parseDistrict(raw: string | undefined, report: Report): string {
  const code = codeValue(raw);
  if (code === '') {
    report('districtCode', raw ?? '', '区县代码不能为空，请填写 6 位 GB/T 2260 区县代码，例如 210102（沈阳市和平区）');
    return code;
  }
  if (!/^\d{6}$/u.test(code)) {
    report('districtCode', raw ?? '', '区县代码应为 6 位数字（GB/T 2260），例如 210102（沈阳市和平区）');
    return code;
  }
  const found = findLiaoningDivision(code);
  if (!found) report('districtCode', raw ?? '', `${code} 不是辽宁省的区县代码（GB/T 2260），请核对，例如 210102（沈阳市和平区）`);
  else if (!found.district) {
    const example = found.city.districts[0];
    report('districtCode', raw ?? '', `${code} 是地市（${found.city.name}）代码，请填写区县代码${example ? `，例如 ${example.code}（${example.name}）` : ''}`);
  }
  return code;
}

const YES_WORDS = new Set([YES, 'true', '1', 'y', 'yes', '√']);
const NO_WORDS = new Set([NO, '', 'false', '0', 'n', 'no']);

function parseYesNo(raw: string | undefined, report: Report): boolean {
  const v = (raw ?? '').normalize('NFKC').trim().toLowerCase();
  if (YES_WORDS.has(v)) return true;
  if (!NO_WORDS.has(v)) report('unclearOwner', raw ?? '', `责任主体不明只能填“${YES}”或“${NO}”（不填视为“${NO}”）`);
  return false;
}

function parseAliases(raw: string | undefined, normalizedName: string, report: Report): string[] {
  const aliases = (raw ?? '')
    .split(ALIAS_SPLIT)
    .map((a) => a.trim())
    .filter((a) => a !== '');
  const value = raw ?? '';
  if (aliases.length > LIMITS.aliases) {
    report('aliases', value, `别名最多 ${LIMITS.aliases} 个，现有 ${aliases.length} 个`);
    return aliases;
  }
  const seen = new Map<string, string>();
  for (const alias of aliases) {
    const normalized = normalizeCommunityName(alias);
    if ([...alias].length > LIMITS.alias) report('aliases', value, `别名“${alias.slice(0, 20)}…”过长，每个别名最多 ${LIMITS.alias} 个字`);
    else if (CONTROL.test(alias)) report('aliases', value, '别名不能含换行符或其他控制字符');
    else if (FORMULA_START.test(alias)) report('aliases', value, `别名“${alias}”不能以 = + - @ 开头（Excel 会把它当作公式）`);
    else if (normalized === '') report('aliases', value, `别名“${alias}”只有标点或空格，请删除`);
    else if (normalizedName !== '' && normalized === normalizedName) report('aliases', value, `别名“${alias}”与小区名称相同（规范化后），无需填写，请删除`);
    else if (seen.has(normalized)) report('aliases', value, `别名“${alias}”与别名“${seen.get(normalized)}”重复（规范化后），请只保留一个`);
    seen.set(normalized, alias);
  }
  return aliases;
}
