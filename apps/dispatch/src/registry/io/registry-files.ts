import { AppError } from '#shared';
import { ALIAS_SEPARATOR, headerRow, KINDS, kindOfSheetName, NO, REGISTRY_KINDS, YES } from './columns.js';
import type { RegistryKind } from './columns.js';
import { CSV_TYPE, readCsv, writeCsv } from './csv-file.js';
import { fileError } from './import-errors.js';
import type { CommunityRecord, CompanyRecord, RecordOf, StationRecord } from './registry-validator.js';
import { bindSheet } from './sheet-table.js';
import type { BoundSheet, SheetTable } from './sheet-table.js';
import { readXlsx, writeXlsx, XLSX_TYPE } from './xlsx-file.js';

export const EXPORT_FORMATS = ['csv', 'xlsx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** What an import is for: one kind (CSV or XLSX), or a workbook with a sheet per kind (XLSX). */
export type ImportTarget = RegistryKind | 'workbook';

/** The cells of one record on export, in the order of the kind's columns. */
export function toCells<K extends RegistryKind>(kind: K, record: RecordOf[K]): string[] {
  switch (kind) {
    case 'companies': {
      const c = record as CompanyRecord;
      return [c.id, c.name, c.authorityId, c.districtCode];
    }
    case 'stations': {
      const s = record as StationRecord;
      return [s.id, s.name, s.companyId, s.districtCode];
    }
    default: {
      const m = record as CommunityRecord;
      return [m.id, m.name, m.districtCode, m.stationId, m.companyId, m.unclearOwner ? YES : NO, m.aliases.join(ALIAS_SEPARATOR)];
    }
  }
}

export interface ExportSheet {
  kind: RegistryKind;
  rows: string[][];
}

export const CONTENT_TYPES: Record<ExportFormat, string> = { csv: `${CSV_TYPE}; charset=utf-8`, xlsx: XLSX_TYPE };

/** CSV for one kind; XLSX with one worksheet per kind, named 供热企业 / 换热站 / 小区. */
export async function writeExport(sheets: ExportSheet[], format: ExportFormat): Promise<Buffer> {
  if (format === 'csv') {
    if (sheets.length !== 1) throw new AppError('EXPORT_FORMAT_UNSUPPORTED', '整本登记册（多个工作表）只能导出为 XLSX：请用 format=xlsx', 400, 'format');
    return writeCsv([headerRow(sheets[0].kind), ...sheets[0].rows]);
  }
  return writeXlsx(sheets.map((s) => ({ name: KINDS[s.kind].sheet, header: headerRow(s.kind), rows: s.rows })));
}

/** The media type of a request body, without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * Reads an uploaded file into bound sheets. The body must be the raw file (`text/csv` or XLSX);
 * the bytes are checked, not just the header. Any problem with the file as a whole is a 400/415
 * in Chinese; problems of single rows are left to the validator.
 */
export async function readImportFile(target: ImportTarget, body: unknown, contentType: string | undefined): Promise<BoundSheet[]> {
  const type = mediaType(contentType);
  if (type !== CSV_TYPE && type !== XLSX_TYPE) {
    throw new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      `导入文件须以原始文件作为请求体上传：CSV 用 Content-Type: ${CSV_TYPE}，XLSX 用 Content-Type: ${XLSX_TYPE}（当前：${type || '未填写'}）`,
      415,
      'Content-Type',
    );
  }
  if (!Buffer.isBuffer(body) || body.length === 0) {
    throw fileError('IMPORT_FILE_EMPTY', '没有收到文件内容（请求体为空）；请把 CSV 或 XLSX 文件本身作为请求体上传，例如 curl --data-binary @小区.csv');
  }
  if (type === CSV_TYPE) {
    if (target === 'workbook') {
      throw new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        '整本工作簿导入（/api/v1/registry/import）只接受 XLSX；CSV 文件请上传到 /api/v1/registry/{companies|stations|communities}/import',
        415,
        'Content-Type',
      );
    }
    return [requireRows(bindSheet(target, readCsv(body)))];
  }
  const tables = await readXlsx(body);
  if (tables.length === 0) throw fileError('IMPORT_NO_SHEET', '工作簿中没有工作表');
  if (target === 'workbook') return bindWorkbook(tables);
  return [requireRows(bindSheet(target, pickSheet(target, tables)))];
}

function requireRows(sheet: BoundSheet): BoundSheet {
  if (sheet.rows.length === 0) {
    throw fileError('IMPORT_NO_ROWS', `${sheet.sheet ? `工作表“${sheet.sheet}”` : '文件'}只有表头，没有数据行；请在第 2 行起填写${KINDS[sheet.kind].sheet}`);
  }
  return sheet;
}

const sheetList = (tables: SheetTable[]) => tables.map((t) => `“${t.sheet}”`).join('、');

/**
 * The worksheet for one kind: the one named after the kind (小区 …); else the only worksheet,
 * unless it is named after another kind (then the file was sent to the wrong address).
 */
export function pickSheet(kind: RegistryKind, tables: SheetTable[]): SheetTable {
  const wanted = KINDS[kind].sheet;
  const named = tables.find((t) => kindOfSheetName(t.sheet ?? '') === kind);
  if (named) return named;
  const others = [...new Set(tables.map((t) => kindOfSheetName(t.sheet ?? '')).filter((k): k is RegistryKind => k !== undefined))];
  if (others.length > 0) {
    const where = others.map((k) => `${KINDS[k].sheet}表请上传到 /api/v1/registry/${k}/import`).join('，');
    throw fileError(
      'IMPORT_WRONG_SHEET',
      `工作簿中没有“${wanted}”工作表（现有：${sheetList(tables)}）。${where}；含多个工作表的整本登记册请上传到 /api/v1/registry/import`,
    );
  }
  if (tables.length === 1) return tables[0];
  throw fileError('IMPORT_WRONG_SHEET', `工作簿有 ${tables.length} 个工作表（${sheetList(tables)}），无法确定导入哪一个；请把要导入的工作表命名为“${wanted}”`);
}

/** Every worksheet named 供热企业 / 换热站 / 小区; other worksheets (说明 …) are not read. */
function bindWorkbook(tables: SheetTable[]): BoundSheet[] {
  const sheets = REGISTRY_KINDS.flatMap((kind) => {
    const table = tables.find((t) => kindOfSheetName(t.sheet ?? '') === kind);
    return table ? [bindSheet(kind, table)] : [];
  });
  if (sheets.length === 0) {
    throw fileError(
      'IMPORT_WRONG_SHEET',
      `工作簿中没有可导入的工作表（现有：${sheetList(tables)}）；整本导入的工作表须命名为“供热企业”“换热站”“小区”（可只含其中一部分）`,
    );
  }
  if (sheets.every((s) => s.rows.length === 0)) {
    throw fileError('IMPORT_NO_ROWS', `工作表${sheets.map((s) => `“${s.sheet}”`).join('、')}都只有表头，没有数据行`);
  }
  return sheets;
}
