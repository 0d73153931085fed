import { AppError } from '#shared';
import { headerRow, KINDS, matchHeader } from './columns.js';
import type { ColumnDef, RegistryKind } from './columns.js';
import { fileError } from './import-errors.js';

/** A sheet as read from CSV or XLSX: cells as text, with the row numbers the user sees (header = 1). */
export interface SheetTable {
  /** Worksheet name (XLSX only). */
  sheet?: string;
  rows: Array<{ row: number; cells: string[] }>;
}

/** One data row, its cells by column key, with the header texts used in the file. */
export interface RowInput {
  row: number;
  values: Record<string, string>;
}

export interface BoundSheet {
  kind: RegistryKind;
  sheet?: string;
  /** Header text in the file, by column key (for error reports). */
  headers: Record<string, string>;
  rows: RowInput[];
}

/** Upper bound on data rows per sheet (a 10 MB CSV holds about 150,000 registry rows). */
export const MAX_ROWS = 200_000;

function where(table: SheetTable): string {
  return table.sheet ? `工作表“${table.sheet}”` : '文件';
}

/**
 * Reads the header (row 1) of a sheet against the kind's column set and returns the data rows by
 * column key. All-blank rows are skipped (their numbers are kept for the rows below them).
 */
export function bindSheet(kind: RegistryKind, table: SheetTable): BoundSheet {
  const def = KINDS[kind];
  const expected = headerRow(kind).join('、');
  const first = table.rows[0];
  if (!first || first.row !== 1 || first.cells.every((c) => c.trim() === '')) {
    throw fileError(
      'IMPORT_HEADER_MISSING',
      `${where(table)}第 1 行应为表头（${def.sheet}表的列：${expected}），但第 1 行是空的`,
    );
  }
  const index = new Map<string, number>();
  const headers: Record<string, string> = {};
  const unknown: string[] = [];
  const duplicated: string[] = [];
  const blankHeaderColumns: number[] = [];
  first.cells.forEach((text, i) => {
    if (text.trim() === '') {
      blankHeaderColumns.push(i);
      return;
    }
    const column: ColumnDef | undefined = matchHeader(kind, text);
    if (!column) {
      unknown.push(text.trim());
    } else if (index.has(column.key)) {
      duplicated.push(text.trim());
    } else {
      index.set(column.key, i);
      headers[column.key] = text.trim();
    }
  });
  const missing = def.columns.filter((c) => !index.has(c.key)).map((c) => `${c.label}（${c.key}）`);
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`缺少列：${missing.join('、')}`);
  if (unknown.length > 0) problems.push(`无法识别的列：${unknown.map((u) => `“${u}”`).join('、')}（请删除或改为规定的列名）`);
  if (duplicated.length > 0) problems.push(`重复的列：${duplicated.map((u) => `“${u}”`).join('、')}`);
  if (problems.length > 0) {
    throw fileError(
      'IMPORT_HEADER_INVALID',
      `${where(table)}第 1 行表头不符合${def.sheet}表的格式：${problems.join('；')}。${def.sheet}表的列为：${expected}`,
    );
  }

  const rows: RowInput[] = [];
  for (const { row, cells } of table.rows.slice(1)) {
    if (cells.every((c) => c.trim() === '')) continue;
    const strayColumn = blankHeaderColumns.find((i) => (cells[i] ?? '').trim() !== '');
    if (strayColumn !== undefined) {
      throw fileError(
        'IMPORT_HEADER_INVALID',
        `${where(table)}第 ${row} 行第 ${strayColumn + 1} 列有内容，但该列没有表头；请删除该列内容或补上规定的列名`,
      );
    }
    const extra = cells.length > first.cells.length && cells.slice(first.cells.length).some((c) => c.trim() !== '');
    if (extra) {
      throw fileError(
        'IMPORT_HEADER_INVALID',
        `${where(table)}第 ${row} 行的列数多于表头（表头 ${first.cells.length} 列）；请检查该行是否多了分隔符或内容错位`,
      );
    }
    const values: Record<string, string> = {};
    for (const [key, i] of index) values[key] = cells[i] ?? '';
    rows.push({ row, values });
    if (rows.length > MAX_ROWS) {
      throw new AppError('IMPORT_TOO_MANY_ROWS', `${where(table)}超过 ${MAX_ROWS} 行数据，请分成多个文件导入`, 400, 'file');
    }
  }
  return { kind, sheet: table.sheet, headers, rows };
}
