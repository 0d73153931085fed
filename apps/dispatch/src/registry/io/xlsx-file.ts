import ExcelJS from 'exceljs';
import { fileError } from './import-errors.js';
import type { SheetTable } from './sheet-table.js';

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Sum of the uncompressed sizes of all parts of a workbook we agree to open (zip-bomb guard). */
export const MAX_XLSX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024;

export function looksLikeZip(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** OLE compound file: Excel 97-2003 .xls, or an .xlsx protected with an opening password. */
export function looksLikeLegacyXls(bytes: Buffer): boolean {
  return bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]));
}

export interface ZipEntry {
  name: string;
  compressedSize: number;
  uncompressedSize: number;
}

/**
 * The entries of a ZIP archive, read from its central directory (without inflating anything), or
 * undefined when the bytes are not a complete ZIP archive. ZIP64 archives are not read (a 10 MB
 * workbook never needs them).
 */
export function zipEntries(bytes: Buffer): ZipEntry[] | undefined {
  const EOCD = 0x06054b50;
  const CENTRAL = 0x02014b50;
  const lowest = Math.max(0, bytes.length - 22 - 0xffff);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= lowest; i--) {
    if (bytes.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return undefined;
  const count = bytes.readUInt16LE(eocd + 10);
  const size = bytes.readUInt32LE(eocd + 12);
  const offset = bytes.readUInt32LE(eocd + 16);
  if (count === 0xffff || offset === 0xffffffff || offset + size > eocd) return undefined;
  const entries: ZipEntry[] = [];
  let p = offset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > bytes.length || bytes.readUInt32LE(p) !== CENTRAL) return undefined;
    const compressedSize = bytes.readUInt32LE(p + 20);
    const uncompressedSize = bytes.readUInt32LE(p + 24);
    const nameLength = bytes.readUInt16LE(p + 28);
    const extraLength = bytes.readUInt16LE(p + 30);
    const commentLength = bytes.readUInt16LE(p + 32);
    if (p + 46 + nameLength > bytes.length) return undefined;
    entries.push({ name: bytes.toString('utf8', p + 46, p + 46 + nameLength), compressedSize, uncompressedSize });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Checks the real bytes: a complete ZIP that holds an Excel workbook of a sane unpacked size. */
export function checkXlsxBytes(bytes: Buffer): void {
  if (bytes.length === 0) throw fileError('IMPORT_FILE_EMPTY', '上传的文件是空的（0 字节），请选择导出的 CSV 或 XLSX 文件');
  if (looksLikeLegacyXls(bytes)) {
    throw fileError(
      'IMPORT_UNSUPPORTED_FORMAT',
      '文件是旧版 Excel（.xls）或设置了打开密码的工作簿，无法读取；请取消密码并另存为 .xlsx（Excel 工作簿）或“CSV UTF-8（逗号分隔）”后上传',
    );
  }
  if (!looksLikeZip(bytes)) {
    const head = bytes.subarray(0, 512).toString('utf8');
    const looksLikeText = !/[\u0000-\u0008\u000e-\u001f]/u.test(head) && !head.includes('\ufffd');
    throw fileError(
      looksLikeText ? 'IMPORT_CONTENT_MISMATCH' : 'IMPORT_NOT_XLSX',
      looksLikeText
        ? '文件内容是文本（可能是 CSV），但 Content-Type 写的是 XLSX；CSV 文件请用 Content-Type: text/csv 上传'
        : '文件不是有效的 XLSX（Excel 工作簿）文件：内容不是 ZIP 格式；请上传由本系统导出或由 Excel 保存的 .xlsx 文件',
      looksLikeText ? 'Content-Type' : 'file',
    );
  }
  const entries = zipEntries(bytes);
  if (!entries) {
    throw fileError('IMPORT_NOT_XLSX', '文件不是完整的 XLSX（Excel 工作簿）文件：ZIP 结构不完整（可能上传中断或文件已损坏），请重新导出或另存后上传');
  }
  const names = new Set(entries.map((e) => e.name));
  if (!names.has('[Content_Types].xml') || !names.has('xl/workbook.xml')) {
    throw fileError('IMPORT_NOT_XLSX', '文件是 ZIP 压缩包，但不是 Excel 工作簿（.xlsx）；请上传由本系统导出或由 Excel 保存的 .xlsx 文件');
  }
  const unpacked = entries.reduce((sum, e) => sum + e.uncompressedSize, 0);
  if (unpacked > MAX_XLSX_UNCOMPRESSED_BYTES) {
    throw fileError(
      'IMPORT_TOO_LARGE',
      `工作簿解压后超过 ${MAX_XLSX_UNCOMPRESSED_BYTES / 1024 / 1024} MB，内容过多；请分成多个文件导入，或删除多余的工作表和格式`,
    );
  }
}

/** The text of a cell as the user sees it (numbers as written, formulas by their result). */
export function cellText(value: ExcelJS.CellValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'object') {
    if ('richText' in value && Array.isArray(value.richText)) return value.richText.map((r) => r.text).join('');
    if ('formula' in value || 'sharedFormula' in value) return cellText((value as { result?: ExcelJS.CellValue }).result);
    if ('hyperlink' in value) return cellText((value as { text?: ExcelJS.CellValue }).text);
    if ('error' in value) return String(value.error);
  }
  return '';
}

/** Every worksheet of a workbook, cells as text, with Excel's row numbers. */
export async function readXlsx(bytes: Buffer): Promise<SheetTable[]> {
  checkXlsxBytes(bytes);
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(bytes as unknown as ExcelJS.Buffer);
  } catch {
    throw fileError('IMPORT_NOT_XLSX', '无法读取该 XLSX 文件（文件已损坏，或不是 Excel 2007 及以后版本的工作簿）；请在 Excel 中打开后另存为 .xlsx 再上传');
  }
  return workbook.worksheets.map((ws) => {
    const rows: SheetTable['rows'] = [];
    ws.eachRow({ includeEmpty: false }, (row, rowNumber) => {
      const values = row.values as ExcelJS.CellValue[];
      const cells: string[] = [];
      for (let c = 1; c < values.length; c++) cells.push(cellText(values[c]));
      rows.push({ row: rowNumber, cells });
    });
    return { sheet: ws.name, rows };
  });
}

export interface SheetOut {
  name: string;
  header: string[];
  rows: string[][];
}

/** An XLSX workbook: one worksheet per sheet, header bold and frozen, every cell stored as text. */
export async function writeXlsx(sheets: SheetOut[]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = '供热直通车';
  for (const sheet of sheets) {
    const ws = workbook.addWorksheet(sheet.name, { views: [{ state: 'frozen', ySplit: 1 }] });
    const sample = sheet.rows.slice(0, 500);
    ws.columns = sheet.header.map((h, i) => ({
      header: h,
      width: Math.min(60, Math.max(14, displayWidth(h), ...sample.map((r) => displayWidth(r[i] ?? '')))),
      style: { numFmt: '@' },
    }));
    ws.getRow(1).font = { bold: true };
    ws.addRows(sheet.rows);
    ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: sheet.header.length } };
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** Approximate column width: CJK characters count double. */
function displayWidth(text: string): number {
  let width = 2;
  for (const ch of text) width += /[\u2e80-\uffef]/u.test(ch) ? 2 : 1;
  return width;
}
