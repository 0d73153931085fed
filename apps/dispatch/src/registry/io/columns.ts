/**
 * The fixed column sets of the registry files (CSV and XLSX alike).
 *
 * A header cell is written as `中文名（key）`, e.g. `小区名称（name）`. On import a header cell matches a
 * column when, after NFKC (full-width brackets become ASCII), removing spaces and reading any
 * bracket pair (`[]`, `【】`) as `()`, it is the full `中文名(key)`, the Chinese label alone or the
 * key alone (any case). Every column of the kind must
 * be present, once; columns may be in any order; a column the kind does not have is refused.
 */

export const REGISTRY_KINDS = ['companies', 'stations', 'communities'] as const;
export type RegistryKind = (typeof REGISTRY_KINDS)[number];

export interface ColumnDef<K extends string = string> {
  key: K;
  label: string;
}

export const COMPANY_COLUMNS = [
  { key: 'id', label: '企业编号' },
  { key: 'name', label: '企业名称' },
  { key: 'authorityId', label: '主管单位编号' },
  { key: 'districtCode', label: '区县代码' },
] as const satisfies readonly ColumnDef[];

export const STATION_COLUMNS = [
  { key: 'id', label: '换热站编号' },
  { key: 'name', label: '换热站名称' },
  { key: 'companyId', label: '供热企业编号' },
  { key: 'districtCode', label: '区县代码' },
] as const satisfies readonly ColumnDef[];

export const COMMUNITY_COLUMNS = [
  { key: 'id', label: '小区编号' },
  { key: 'name', label: '小区名称' },
  { key: 'districtCode', label: '区县代码' },
  { key: 'stationId', label: '换热站编号' },
  { key: 'companyId', label: '供热企业编号' },
  { key: 'unclearOwner', label: '责任主体不明' },
  { key: 'aliases', label: '别名' },
] as const satisfies readonly ColumnDef[];

export type CompanyColumn = (typeof COMPANY_COLUMNS)[number]['key'];
export type StationColumn = (typeof STATION_COLUMNS)[number]['key'];
export type CommunityColumn = (typeof COMMUNITY_COLUMNS)[number]['key'];

export interface KindDef {
  kind: RegistryKind;
  /** Name of the worksheet in XLSX files, also the Chinese name of the kind. */
  sheet: string;
  /** ASCII part of download file names. */
  fileStem: string;
  columns: readonly ColumnDef[];
}

export const KINDS: Record<RegistryKind, KindDef> = {
  companies: { kind: 'companies', sheet: '供热企业', fileStem: 'companies', columns: COMPANY_COLUMNS },
  stations: { kind: 'stations', sheet: '换热站', fileStem: 'stations', columns: STATION_COLUMNS },
  communities: { kind: 'communities', sheet: '小区', fileStem: 'communities', columns: COMMUNITY_COLUMNS },
};

/** The header cell text written on export, e.g. `小区名称（name）`. */
export function headerText(column: ColumnDef): string {
  return `${column.label}（${column.key}）`;
}

export function headerRow(kind: RegistryKind): string[] {
  return KINDS[kind].columns.map(headerText);
}

/** Comparable form of a header cell: NFKC, no whitespace, lower case, any bracket pair as `( )`. */
function headerKey(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/\s+/gu, '')
    .replace(/[[【〔〖]/gu, '(')
    .replace(/[\]】〕〗]/gu, ')')
    .toLowerCase();
}

/** The column a header cell names, or undefined. */
export function matchHeader(kind: RegistryKind, text: string): ColumnDef | undefined {
  const wanted = headerKey(text);
  if (wanted === '') return undefined;
  return KINDS[kind].columns.find((c) => {
    const label = headerKey(c.label);
    const key = c.key.toLowerCase();
    return wanted === `${label}(${key})` || wanted === label || wanted === key;
  });
}

/** Which kind a sheet name stands for (`小区`, `换热站`, `供热企业`), if any. */
export function kindOfSheetName(name: string): RegistryKind | undefined {
  const wanted = headerKey(name);
  return REGISTRY_KINDS.find((k) => headerKey(KINDS[k].sheet) === wanted);
}

/** Separator written between aliases on export; `；`, `;` and `|` are all accepted on import. */
export const ALIAS_SEPARATOR = '；';
export const ALIAS_SPLIT = /[；;|｜]/u;

export const YES = '是';
export const NO = '否';
