import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { fileError } from './import-errors.js';
import type { SheetTable } from './sheet-table.js';
import { looksLikeLegacyXls, looksLikeZip } from './xlsx-file.js';

export const CSV_TYPE = 'text/csv';

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * The text of a CSV file: UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"),
 * or GB18030/GBK (what Excel on Chinese Windows writes for "CSV (逗号分隔)").
 */
export function decodeCsv(bytes: Buffer): string {
  if (bytes.length === 0) throw fileError('IMPORT_FILE_EMPTY', '上传的文件是空的（0 字节），请选择导出的 CSV 或 XLSX 文件');
  if (looksLikeZip(bytes)) {
    throw fileError(
      'IMPORT_CONTENT_MISMATCH',
      '文件内容是 XLSX（Excel 工作簿），但 Content-Type 写的是 text/csv；请改用 Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'Content-Type',
    );
  }
  if (looksLikeLegacyXls(bytes)) {
    throw fileError('IMPORT_UNSUPPORTED_FORMAT', '文件是旧版 Excel（.xls）或加密的工作簿，不是 CSV；请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx 后上传');
  }
  const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
  // Bytes below 0x20 other than tab, LF and CR never occur in UTF-8 or GB18030 text (not even inside
  // a multi-byte character): such a file is binary, whatever its Content-Type says.
  if (!utf16 && bytes.some((b) => (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f)) throw notText();
  let text: string;
  if (bytes.subarray(0, 3).equals(UTF8_BOM)) {
    text = decodeStrict('utf-8', bytes.subarray(3));
  } else if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    text = decodeStrict('utf-16le', bytes.subarray(2));
  } else if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    text = decodeStrict('utf-16be', bytes.subarray(2));
  } else {
    text = tryDecode('utf-8', bytes) ?? decodeStrict('gb18030', bytes);
  }
  // Tab, line feed and carriage return are the only control characters a CSV file has.
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/u.test(text)) throw notText();
  if (text.trim() === '') throw fileError('IMPORT_FILE_EMPTY', '上传的文件没有内容，请选择导出的 CSV 或 XLSX 文件');
  return text;
}

function notText() {
  return fileError('IMPORT_NOT_TEXT', '文件含有二进制内容，不是文本格式的 CSV；请上传由本系统导出或由 Excel 另存的 CSV 或 XLSX 文件');
}

function tryDecode(encoding: string, bytes: Buffer): string | undefined {
  try {
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function decodeStrict(encoding: string, bytes: Buffer): string {
  const text = tryDecode(encoding, bytes);
  if (text === undefined) {
    throw fileError('IMPORT_ENCODING_INVALID', '无法识别文件的文字编码（支持 UTF-8、GBK/GB18030）；请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后上传');
  }
  return text;
}

/** Comma, or tab / semicolon when the header line has no comma but one of those. */
function delimiterOf(text: string): string {
  const firstLine = text.slice(0, text.search(/\r?\n|$/u));
  if (firstLine.includes(',')) return ',';
  if (firstLine.includes('\t')) return '\t';
  if (firstLine.includes(';')) return ';';
  return ',';
}

const CSV_ERRORS_ZH: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: '引号没有闭合（某个以 " 开头的单元格缺少结尾的 "）',
  CSV_INVALID_CLOSING_QUOTE: '引号后面紧跟了其他字符（单元格内的 " 应写成 ""）',
  INVALID_OPENING_QUOTE: '单元格中间出现了引号（单元格内的 " 应写成 ""，并把整个单元格用引号括起来）',
  CSV_MAX_RECORD_SIZE: '单行内容过长',
};

/** Parses CSV bytes into rows; row n is the n-th record, as Excel shows it. */
export function readCsv(bytes: Buffer): SheetTable {
  const text = decodeCsv(bytes);
  let records: string[][];
  try {
    records = parse(text, {
      delimiter: delimiterOf(text),
      relax_column_count: true,
      skip_empty_lines: false,
      bom: true,
      max_record_size: 64 * 1024,
    }) as string[][];
  } catch (error) {
    const e = error as { code?: string; records?: number };
    const reason = (e.code && CSV_ERRORS_ZH[e.code]) ?? '格式不正确';
    throw fileError('IMPORT_CSV_INVALID', `CSV 文件第 ${(e.records ?? 0) + 1} 行附近${reason}；请用 Excel 打开检查后另存为“CSV UTF-8（逗号分隔）”`);
  }
  return { rows: records.map((cells, i) => ({ row: i + 1, cells })) };
}

/** A text Excel would run as a formula when opening a CSV (=, +, -, @ first). */
const FORMULA_START = /^[=+\-@\t\r]/u;

/**
 * CSV bytes: UTF-8 with BOM (Excel on Windows then reads Chinese correctly), CRLF line ends,
 * fields quoted where needed. A cell that Excel would take for a formula is written with a
 * leading `'` (the importer refuses names that start that way, so such cells only come from
 * data that predates these rules).
 */
export function writeCsv(rows: string[][]): Buffer {
  const safe = rows.map((cells) => cells.map((c) => (FORMULA_START.test(c) ? `'${c}` : c)));
  // A bare line feed must be quoted too (csv-stringify only quotes the record delimiter, CRLF, by itself).
  return Buffer.concat([UTF8_BOM, Buffer.from(stringify(safe, { record_delimiter: 'windows', quoted_match: /[\r\n]/u }), 'utf8')]);
}
