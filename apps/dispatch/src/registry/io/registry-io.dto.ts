import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { REGISTRY_KINDS } from './columns.js';
import type { RegistryKind } from './columns.js';

export class ImportCounts {
  @ApiProperty({ description: '文件中的数据行数（空行不计）' }) rows: number;
  @ApiProperty({ description: '新增' }) created: number;
  @ApiProperty({ description: '有变化并已更新' }) updated: number;
  @ApiProperty({ description: '与登记册一致，未改动' }) unchanged: number;
}

/** Answer of `POST /api/v1/registry/{kind}/import`. */
export class ImportResult extends ImportCounts {
  @ApiProperty({ enum: REGISTRY_KINDS }) kind: RegistryKind;
  @ApiProperty({ description: 'true = 试导入：只检查并统计，未写入' }) dryRun: boolean;
}

export class WorkbookKinds {
  @ApiPropertyOptional({ type: ImportCounts, description: '工作表“供热企业”' }) companies?: ImportCounts;
  @ApiPropertyOptional({ type: ImportCounts, description: '工作表“换热站”' }) stations?: ImportCounts;
  @ApiPropertyOptional({ type: ImportCounts, description: '工作表“小区”' }) communities?: ImportCounts;
}

/** Answer of `POST /api/v1/registry/import` (a workbook with several sheets): totals and per sheet. */
export class WorkbookImportResult extends ImportCounts {
  @ApiProperty({ description: 'true = 试导入：只检查并统计，未写入' }) dryRun: boolean;
  @ApiProperty({ type: WorkbookKinds }) kinds: WorkbookKinds;
}

export class RowErrorView {
  @ApiPropertyOptional({ description: '工作表名称（XLSX）', example: '小区' }) sheet?: string;
  @ApiProperty({ description: '行号，与 Excel 中看到的一致（表头为第 1 行）', example: 3 }) row: number;
  @ApiProperty({ description: '列（文件中的表头文字）', example: '区县代码（districtCode）' }) column: string;
  @ApiProperty({ description: '单元格原值', example: '999999' }) value: string;
  @ApiProperty({ example: '999999 不是辽宁省的区县代码（GB/T 2260），请核对，例如 210102（沈阳市和平区）' }) message: string;
}

/** 422 body: nothing was written; every problem is listed (at most 1,000; `errorCount` is the total). */
export class ImportReport {
  @ApiProperty({ example: 'IMPORT_REJECTED' }) code: string;
  @ApiProperty({ example: '导入未执行：第 3 行“区县代码（districtCode）”999999 不是辽宁省的区县代码… 等共 2 处错误。…' }) message: string;
  @ApiProperty() dryRun: boolean;
  @ApiProperty({ description: '错误总数' }) errorCount: number;
  @ApiProperty({ type: [RowErrorView] }) errors: RowErrorView[];
}
