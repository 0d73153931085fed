import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from '@jest/globals';
import ExcelJS from 'exceljs';
import { AppError } from '#shared';
import { cellText, checkXlsxBytes, MAX_XLSX_UNCOMPRESSED_BYTES, readXlsx, writeXlsx, zipEntries } from './xlsx-file.js';

/** A minimal ZIP archive (stored or deflated entries) with a correct central directory. */
function zip(entries: Array<{ name: string; data: Buffer; claimedSize?: number }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const body = deflateRawSync(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.claimedSize ?? e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(e.claimedSize ?? e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
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

describe('checkXlsxBytes looks at the real bytes before anything is inflated', () => {
  it('an empty body is IMPORT_FILE_EMPTY (400)', () => {
    const e = refusal(() => checkXlsxBytes(Buffer.alloc(0)));
    expect([e.code, e.status]).toEqual(['IMPORT_FILE_EMPTY', 400]);
  });
  it('random bytes are IMPORT_NOT_XLSX with a Chinese message', () => {
    const e = refusal(() => checkXlsxBytes(Buffer.from([0x13, 0x00, 0xff, 0x80, 0x01, 0x02, 0x9c, 0x00, 0x11])));
    expect(e.code).toBe('IMPORT_NOT_XLSX');
    expect(e.message).toMatch(/不是有效的 XLSX/);
  });
  it('text sent as XLSX is named a Content-Type mismatch (probably a CSV)', () => {
    const e = refusal(() => checkXlsxBytes(Buffer.from('小区编号（id）,小区名称（name）\r\nCM1,幸福里\r\n')));
    expect(e.code).toBe('IMPORT_CONTENT_MISMATCH');
    expect(e.message).toMatch(/text\/csv/);
  });
  it('an Excel 97-2003 (.xls) or password-protected workbook is named as such', () => {
    const e = refusal(() => checkXlsxBytes(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0])));
    expect(e.code).toBe('IMPORT_UNSUPPORTED_FORMAT');
    expect(e.message).toMatch(/\.xls/);
  });
  it('a truncated ZIP (upload cut off) is refused as incomplete', async () => {
    const good = await writeXlsx([{ name: '小区', header: ['a'], rows: [['1']] }]);
    const e = refusal(() => checkXlsxBytes(good.subarray(0, good.length - 40)));
    expect(e.code).toBe('IMPORT_NOT_XLSX');
    expect(e.message).toMatch(/不完整/);
  });
  it('a ZIP that is not a workbook is refused', () => {
    const e = refusal(() => checkXlsxBytes(zip([{ name: 'readme.txt', data: Buffer.from('hello') }])));
    expect(e.message).toMatch(/ZIP 压缩包，但不是 Excel 工作簿/);
  });
  it('a workbook that unpacks to more than the limit is refused before it is opened (zip bomb)', () => {
    const bomb = zip([
      { name: '[Content_Types].xml', data: Buffer.from('<x/>') },
      { name: 'xl/workbook.xml', data: Buffer.from('<x/>') },
      { name: 'xl/worksheets/sheet1.xml', data: Buffer.alloc(16), claimedSize: MAX_XLSX_UNCOMPRESSED_BYTES },
    ]);
    const e = refusal(() => checkXlsxBytes(bomb));
    expect(e.code).toBe('IMPORT_TOO_LARGE');
  });
});

describe('zipEntries reads the central directory', () => {
  it('lists names and sizes of every entry', () => {
    const entries = zipEntries(zip([{ name: 'a.txt', data: Buffer.from('abc') }, { name: '目录/b.xml', data: Buffer.alloc(100) }]));
    expect(entries?.map((e) => [e.name, e.uncompressedSize])).toEqual([
      ['a.txt', 3],
      ['目录/b.xml', 100],
    ]);
  });
  it('is undefined for bytes without an end-of-central-directory record', () => {
    expect(zipEntries(Buffer.from('PK\u0003\u0004 but nothing else'))).toBeUndefined();
  });
});

describe('cellText gives the text a user sees in a cell', () => {
  it.each([
    [null, ''],
    ['幸福里', '幸福里'],
    [210102, '210102'],
    [true, 'true'],
    [{ richText: [{ text: '幸福' }, { text: '里' }] }, '幸福里'],
    [{ formula: 'A1', result: 210102 }, '210102'],
    [{ text: '官网', hyperlink: 'https://example.org' }, '官网'],
    [{ error: '#N/A' }, '#N/A'],
    [new Date('2026-11-15T00:00:00Z'), '2026-11-15'],
  ] as Array<[ExcelJS.CellValue, string]>)('%j → %s', (value, text) => {
    expect(cellText(value)).toBe(text);
  });
});

describe('writeXlsx / readXlsx', () => {
  it('what is written is read back cell for cell, with Excel row numbers', async () => {
    const rows = [
      ['CM00001', '金地小区', '210102', ''],
      ['0012', '=不是公式', '210103', '幸福里；阳光里'],
    ];
    const bytes = await writeXlsx([{ name: '小区', header: ['小区编号（id）', '小区名称（name）', '区县代码（districtCode）', '别名（aliases）'], rows }]);
    expect(bytes.subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    const [sheet] = await readXlsx(bytes);
    expect(sheet.sheet).toBe('小区');
    expect(sheet.rows[0].row).toBe(1);
    expect(sheet.rows.slice(1).map((r) => [r.row, r.cells.concat(Array(4 - r.cells.length).fill(''))])).toEqual([
      [2, rows[0]],
      [3, rows[1]],
    ]);
  });
  it('every cell is stored as text (codes with leading zeros stay intact in Excel)', async () => {
    const bytes = await writeXlsx([{ name: 'S', header: ['a'], rows: [['0012']] }]);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(bytes as unknown as ExcelJS.Buffer);
    const cell = workbook.worksheets[0].getCell('A2');
    expect(cell.value).toBe('0012');
    expect(cell.numFmt).toBe('@');
  });
  it('numbers typed into a sheet by hand are read as their digits; blank rows keep the numbering', async () => {
    const workbook = new ExcelJS.Workbook();
    const ws = workbook.addWorksheet('小区');
    ws.getCell('A1').value = 'districtCode';
    ws.getCell('A4').value = 210102;
    const [sheet] = await readXlsx(Buffer.from(await workbook.xlsx.writeBuffer()));
    expect(sheet.rows).toEqual([
      { row: 1, cells: ['districtCode'] },
      { row: 4, cells: ['210102'] },
    ]);
  });
  it('a ZIP with workbook part names but broken contents is IMPORT_NOT_XLSX, not a crash', async () => {
    const broken = zip([
      { name: '[Content_Types].xml', data: Buffer.from('<not-xml') },
      { name: 'xl/workbook.xml', data: Buffer.from('garbage') },
    ]);
    await expect(readXlsx(broken)).rejects.toMatchObject({ code: 'IMPORT_NOT_XLSX', status: 400 });
  });
});
