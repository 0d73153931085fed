import { describe, expect, it } from '@jest/globals';
import { AppError } from '#shared';
import { decodeCsv, readCsv, writeCsv } from './csv-file.js';
import { writeXlsx } from './xlsx-file.js';

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected a refusal');
}

/** GBK bytes of "小区编号,小区名称\r\nCM1,幸福里\r\n" (what Excel on Chinese Windows saves as "CSV (逗号分隔)"). */
const GBK_CSV = Buffer.from('d0a1c7f8b1e0bac52cd0a1c7f8c3fbb3c60d0a434d312cd0d2b8a3c0ef0d0a', 'hex');

describe('writeCsv: what Excel on Windows opens correctly', () => {
  it('starts with the UTF-8 BOM and ends records with CRLF', () => {
    const bytes = writeCsv([
      ['a', 'b'],
      ['小区', '1'],
    ]);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3).toString('utf8')).toBe('a,b\r\n小区,1\r\n');
  });
  it('quotes cells with commas, quotes and line breaks', () => {
    const text = writeCsv([['a,b', '他说"好"', '两\n行']]).subarray(3).toString('utf8');
    expect(text).toBe('"a,b","他说""好""","两\n行"\r\n');
  });
  it('a cell Excel would run as a formula is written with a leading apostrophe', () => {
    const text = writeCsv([['=HYPERLINK("x")', '-1', '@SUM', '+1', '正常']]).subarray(3).toString('utf8');
    expect(text).toBe(`"'=HYPERLINK(""x"")",'-1,'@SUM,'+1,正常\r\n`);
  });
});

describe('readCsv', () => {
  it('reads back what writeCsv wrote, cell for cell (round trip)', () => {
    const rows = [
      ['小区编号（id）', '别名（aliases）'],
      ['CM00001', '幸福里；阳光里'],
      ['CM00002', '有,逗号 "和引号"\n和换行'],
      ['CM00003', ''],
    ];
    expect(readCsv(writeCsv(rows)).rows.map((r) => r.cells)).toEqual(rows);
  });
  it('row n is the n-th record as Excel shows it: blank lines count, a quoted line break does not', () => {
    const table = readCsv(Buffer.from('h1,h2\r\n\r\n"a\nb",c\r\nd,e\r\n'));
    expect(table.rows.map((r) => [r.row, r.cells])).toEqual([
      [1, ['h1', 'h2']],
      [2, ['']],
      [3, ['a\nb', 'c']],
      [4, ['d', 'e']],
    ]);
  });
  it('a file saved by Excel with tabs or semicolons is split on them', () => {
    expect(readCsv(Buffer.from('a\tb\r\n1\t2\r\n')).rows[1].cells).toEqual(['1', '2']);
    expect(readCsv(Buffer.from('a;b\r\n1;2\r\n')).rows[1].cells).toEqual(['1', '2']);
  });
  it('an unclosed quote is IMPORT_CSV_INVALID naming the row', () => {
    const e = refusal(() => readCsv(Buffer.from('a,b\r\nx,y\r\n"broken,z\r\n')));
    expect(e.code).toBe('IMPORT_CSV_INVALID');
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/第 3 行附近引号没有闭合/);
  });
});

describe('decodeCsv accepts the encodings Excel writes', () => {
  it('UTF-8 with BOM (the BOM is dropped)', () => {
    expect(decodeCsv(Buffer.from('\ufeff小区,1', 'utf8'))).toBe('小区,1');
  });
  it('UTF-8 without BOM', () => {
    expect(decodeCsv(Buffer.from('小区,1', 'utf8'))).toBe('小区,1');
  });
  it('GBK / GB18030 (Excel "CSV (逗号分隔)" on Chinese Windows)', () => {
    expect(decodeCsv(GBK_CSV)).toBe('小区编号,小区名称\r\nCM1,幸福里\r\n');
  });
  it('UTF-16 LE with BOM (Excel "Unicode 文本")', () => {
    expect(decodeCsv(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('小区\t1', 'utf16le')]))).toBe('小区\t1');
  });
});

describe('decodeCsv refuses what is not a CSV text, saying what it is', () => {
  it('an empty body → IMPORT_FILE_EMPTY', () => {
    expect(refusal(() => decodeCsv(Buffer.alloc(0))).code).toBe('IMPORT_FILE_EMPTY');
  });
  it('only a BOM and blank lines → IMPORT_FILE_EMPTY', () => {
    expect(refusal(() => decodeCsv(Buffer.from('\ufeff\r\n\r\n'))).code).toBe('IMPORT_FILE_EMPTY');
  });
  it('binary garbage → IMPORT_NOT_TEXT', () => {
    const e = refusal(() => decodeCsv(Buffer.from([0x00, 0x01, 0x02, 0x03, 0x41, 0x42, 0x00, 0x10])));
    expect(e.code).toBe('IMPORT_NOT_TEXT');
    expect(e.message).toMatch(/二进制/);
  });
  it('bytes that are neither UTF-8 nor GB18030 → IMPORT_ENCODING_INVALID, suggesting CSV UTF-8', () => {
    const e = refusal(() => decodeCsv(Buffer.from([0x41, 0xff, 0xff, 0x42, 0x80])));
    expect(e.code).toBe('IMPORT_ENCODING_INVALID');
    expect(e.message).toMatch(/CSV UTF-8/);
  });
  it('an XLSX sent as text/csv → IMPORT_CONTENT_MISMATCH naming the right Content-Type', async () => {
    const xlsx = await writeXlsx([{ name: '小区', header: ['a'], rows: [] }]);
    const e = refusal(() => decodeCsv(xlsx));
    expect(e.code).toBe('IMPORT_CONTENT_MISMATCH');
    expect(e.message).toMatch(/spreadsheetml/);
  });
  it('an Excel 97-2003 .xls → IMPORT_UNSUPPORTED_FORMAT', () => {
    expect(refusal(() => decodeCsv(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 1, 2]))).code).toBe('IMPORT_UNSUPPORTED_FORMAT');
  });
});
