import { describe, expect, it } from '@jest/globals';
import { AppError } from '#shared';
import { headerRow, headerText, KINDS, kindOfSheetName, matchHeader } from './columns.js';
import { bindSheet } from './sheet-table.js';
import type { SheetTable } from './sheet-table.js';

function table(...rows: string[][]): SheetTable {
  return { rows: rows.map((cells, i) => ({ row: i + 1, cells })) };
}

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected a refusal');
}

const STATION_HEADER = headerRow('stations');

describe('column headers', () => {
  it('are written as 中文名（key）', () => {
    expect(headerRow('communities')).toEqual([
      '小区编号（id）',
      '小区名称（name）',
      '区县代码（districtCode）',
      '换热站编号（stationId）',
      '供热企业编号（companyId）',
      '责任主体不明（unclearOwner）',
      '别名（aliases）',
    ]);
  });
  it.each(['小区名称（name）', '小区名称(name)', ' 小区名称 (name) ', '小区名称【name】', '小区名称[NAME]', '小区名称', 'name', 'NAME'])(
    'the header "%s" names the column name',
    (text) => {
      expect(matchHeader('communities', text)?.key).toBe('name');
    },
  );
  it('a header of another kind does not match (换热站名称 is not a community column)', () => {
    expect(matchHeader('communities', '换热站名称（name）')).toBeUndefined();
  });
  it('every kind has a header text for each of its columns', () => {
    for (const def of Object.values(KINDS)) for (const c of def.columns) expect(matchHeader(def.kind, headerText(c))).toBe(c);
  });
  it('sheet names map to kinds, ignoring spaces and full-width forms', () => {
    expect(kindOfSheetName('小区')).toBe('communities');
    expect(kindOfSheetName(' 换热站 ')).toBe('stations');
    expect(kindOfSheetName('供热企业')).toBe('companies');
    expect(kindOfSheetName('Sheet1')).toBeUndefined();
  });
});

describe('bindSheet: the header is row 1 and must hold exactly the kind’s columns', () => {
  it('columns in any order are bound by key; the header text in the file is kept for reports', () => {
    const bound = bindSheet(
      'stations',
      table(['districtCode', '换热站名称', '换热站编号（id）', '供热企业编号(companyId)'], ['210102', '一号站', 'S1', 'HC0001']),
    );
    expect(bound.rows).toEqual([{ row: 2, values: { districtCode: '210102', name: '一号站', id: 'S1', companyId: 'HC0001' } }]);
    expect(bound.headers.companyId).toBe('供热企业编号(companyId)');
  });
  it('a missing column is IMPORT_HEADER_INVALID naming it and listing the expected header', () => {
    const e = refusal(() => bindSheet('stations', table(STATION_HEADER.slice(0, 3), ['S1', '一号站', 'HC0001'])));
    expect(e.code).toBe('IMPORT_HEADER_INVALID');
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/缺少列：区县代码（districtCode）/);
    expect(e.message).toContain(STATION_HEADER.join('、'));
  });
  it('an unknown column is refused by name', () => {
    const e = refusal(() => bindSheet('stations', table([...STATION_HEADER, '备注'], ['S1', '一号站', 'HC0001', '210102', 'x'])));
    expect(e.message).toMatch(/无法识别的列：“备注”/);
  });
  it('a column given twice is refused', () => {
    const e = refusal(() => bindSheet('stations', table([...STATION_HEADER, 'name'], ['S1', '一号站', 'HC0001', '210102', 'x'])));
    expect(e.message).toMatch(/重复的列：“name”/);
  });
  it('an empty row 1 is IMPORT_HEADER_MISSING', () => {
    expect(refusal(() => bindSheet('stations', table(['', ''], STATION_HEADER))).code).toBe('IMPORT_HEADER_MISSING');
    expect(refusal(() => bindSheet('stations', { rows: [{ row: 2, cells: STATION_HEADER }] })).code).toBe('IMPORT_HEADER_MISSING');
  });
  it('the communities header sent as stations is refused (wrong file for the address)', () => {
    const e = refusal(() => bindSheet('stations', table(headerRow('communities'))));
    expect(e.code).toBe('IMPORT_HEADER_INVALID');
    expect(e.message).toMatch(/换热站表/);
  });
  it('blank rows are skipped but keep their numbers for the rows below', () => {
    const bound = bindSheet('stations', table(STATION_HEADER, ['', '', '', ''], ['S1', '一号站', 'HC0001', '210102']));
    expect(bound.rows.map((r) => r.row)).toEqual([3]);
  });
  it('a trailing column without header is ignored while it is empty, refused once it has content', () => {
    expect(bindSheet('stations', table([...STATION_HEADER, ''], ['S1', '一号站', 'HC0001', '210102', ''])).rows).toHaveLength(1);
    const e = refusal(() => bindSheet('stations', table([...STATION_HEADER, ''], ['S1', '一号站', 'HC0001', '210102', '多余'])));
    expect(e.message).toMatch(/第 2 行第 5 列有内容，但该列没有表头/);
  });
  it('a row longer than the header is refused (a stray separator shifts the cells)', () => {
    const e = refusal(() => bindSheet('stations', table(STATION_HEADER, ['S1', '一号站', 'HC0001', '210102', 'x'])));
    expect(e.message).toMatch(/第 2 行的列数多于表头/);
  });
  it('short rows read missing cells as empty', () => {
    expect(bindSheet('stations', table(STATION_HEADER, ['S1'])).rows[0].values).toEqual({ id: 'S1', name: '', companyId: '', districtCode: '' });
  });
  it('the sheet name is carried into messages for workbooks', () => {
    const e = refusal(() => bindSheet('stations', { sheet: '换热站', rows: [{ row: 1, cells: ['x'] }] }));
    expect(e.message).toMatch(/^工作表“换热站”第 1 行表头/);
  });
});
