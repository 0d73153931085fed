import { describe, expect, it } from '@jest/globals';
import ExcelJS from 'exceljs';
import { AppError } from '#shared';
import { COMMUNITY_COLUMNS } from './columns.js';
import { CSV_TYPE } from './csv-file.js';
import { pickSheet, readImportFile, toCells, writeExport } from './registry-files.js';
import type { CommunityRecord } from './registry-validator.js';
import type { SheetTable } from './sheet-table.js';
import { XLSX_TYPE } from './xlsx-file.js';

const GOLDEN: CommunityRecord = {
  id: 'CM00001',
  name: '金地小区',
  normalizedName: '金地',
  districtCode: '210102',
  stationId: 'HC0001-S1',
  companyId: 'HC0001',
  unclearOwner: true,
  aliases: ['金地一期', '金地东区'],
};

function refusal(error: unknown): AppError {
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    return refusal(error);
  }
  throw new Error('expected a refusal');
}

async function rejected(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    return refusal(error);
  }
  throw new Error('expected a refusal');
}

const t = (sheet: string): SheetTable => ({ sheet, rows: [] });

describe('toCells: the documented export format', () => {
  it('a community: booleans as 是/否, aliases joined with ；', () => {
    expect(toCells('communities', GOLDEN)).toEqual(['CM00001', '金地小区', '210102', 'HC0001-S1', 'HC0001', '是', '金地一期；金地东区']);
    expect(toCells('communities', { ...GOLDEN, unclearOwner: false, aliases: [] }).slice(5)).toEqual(['否', '']);
  });
});

describe('export → import gives back the same cells', () => {
  it.each(['csv', 'xlsx'] as const)('%s', async (format) => {
    const rows = [toCells('communities', GOLDEN), toCells('communities', { ...GOLDEN, id: 'CM00002', name: '有,逗号"和引号"', aliases: [] })];
    const bytes = await writeExport([{ kind: 'communities', rows }], format);
    const [sheet] = await readImportFile('communities', bytes, format === 'csv' ? `${CSV_TYPE}; charset=utf-8` : XLSX_TYPE);
    expect(sheet.rows.map((r) => [r.row, COMMUNITY_COLUMNS.map((c) => r.values[c.key])])).toEqual([
      [2, rows[0]],
      [3, rows[1]],
    ]);
    expect(sheet.headers.name).toBe('小区名称（name）');
  });
  it('the whole registry exports as one workbook with three named sheets and re-imports as such', async () => {
    const bytes = await writeExport(
      [
        { kind: 'companies', rows: [['HC0001', '和平热力', 'AU210100', '210102']] },
        { kind: 'stations', rows: [['HC0001-S1', '和平1号站', 'HC0001', '210102']] },
        { kind: 'communities', rows: [toCells('communities', GOLDEN)] },
      ],
      'xlsx',
    );
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(bytes as unknown as ExcelJS.Buffer);
    expect(workbook.worksheets.map((w) => w.name)).toEqual(['供热企业', '换热站', '小区']);
    const sheets = await readImportFile('workbook', bytes, XLSX_TYPE);
    expect(sheets.map((s) => [s.kind, s.sheet, s.rows.length])).toEqual([
      ['companies', '供热企业', 1],
      ['stations', '换热站', 1],
      ['communities', '小区', 1],
    ]);
  });
  it('several kinds cannot be one CSV', async () => {
    const e = refusal(await writeExport([{ kind: 'companies', rows: [] }, { kind: 'stations', rows: [] }], 'csv').catch((x) => x));
    expect(e.code).toBe('EXPORT_FORMAT_UNSUPPORTED');
  });
});

describe('pickSheet: which worksheet of a workbook is imported for one kind', () => {
  it('the sheet named after the kind, wherever it is', () => {
    expect(pickSheet('communities', [t('说明'), t('小区')]).sheet).toBe('小区');
  });
  it('the only sheet, whatever its name (Sheet1)', () => {
    expect(pickSheet('communities', [t('Sheet1')]).sheet).toBe('Sheet1');
  });
  it('a workbook of another kind is refused, naming the right address', () => {
    const e = thrown(() => pickSheet('communities', [t('换热站')]));
    expect(e.code).toBe('IMPORT_WRONG_SHEET');
    expect(e.message).toMatch(/没有“小区”工作表/);
    expect(e.message).toMatch(/\/api\/v1\/registry\/stations\/import/);
  });
  it('several unnamed sheets: asks to name the one to import', () => {
    const e = thrown(() => pickSheet('stations', [t('Sheet1'), t('Sheet2')]));
    expect(e.message).toMatch(/请把要导入的工作表命名为“换热站”/);
  });
});

describe('readImportFile refuses what it cannot read, as 400/415 in Chinese', () => {
  it('a body of another type is 415 naming both accepted types', async () => {
    const e = await rejected(readImportFile('communities', Buffer.from('{}'), 'application/json'));
    expect([e.code, e.status]).toEqual(['UNSUPPORTED_MEDIA_TYPE', 415]);
    expect(e.message).toContain('text/csv');
    expect(e.message).toContain(XLSX_TYPE);
  });
  it('no body is IMPORT_FILE_EMPTY', async () => {
    expect((await rejected(readImportFile('communities', undefined, CSV_TYPE))).code).toBe('IMPORT_FILE_EMPTY');
    expect((await rejected(readImportFile('communities', {}, CSV_TYPE))).code).toBe('IMPORT_FILE_EMPTY');
  });
  it('a header without data rows is IMPORT_NO_ROWS', async () => {
    const bytes = await writeExport([{ kind: 'stations', rows: [] }], 'csv');
    const e = await rejected(readImportFile('stations', bytes, CSV_TYPE));
    expect([e.code, e.status]).toEqual(['IMPORT_NO_ROWS', 400]);
  });
  it('a CSV to the workbook address is 415 (a workbook needs XLSX)', async () => {
    const bytes = await writeExport([{ kind: 'stations', rows: [['S1', 'x', 'HC0001', '210102']] }], 'csv');
    expect((await rejected(readImportFile('workbook', bytes, CSV_TYPE))).status).toBe(415);
  });
  it('a workbook without any registry sheet is IMPORT_WRONG_SHEET listing the names expected', async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('Sheet1').addRow(['a']);
    const e = await rejected(readImportFile('workbook', Buffer.from(await workbook.xlsx.writeBuffer()), XLSX_TYPE));
    expect(e.code).toBe('IMPORT_WRONG_SHEET');
    expect(e.message).toMatch(/“供热企业”“换热站”“小区”/);
  });
});
