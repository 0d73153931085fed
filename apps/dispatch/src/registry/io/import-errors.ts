import { Catch } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { AppError } from '#shared';

/** One problem in an import file, placed as the user sees it in the sheet (header = row 1). */
export interface RowError {
  /** Worksheet name; only for workbooks that carry several kinds (`POST /api/v1/registry/import`). */
  sheet?: string;
  row: number;
  /** The header text of the column as written in the file. */
  column: string;
  value: string;
  message: string;
}

/** At most this many problems are listed in one report; `errorCount` always has the total. */
export const MAX_REPORTED_ERRORS = 1000;

export interface ImportReportBody {
  code: 'IMPORT_REJECTED';
  message: string;
  dryRun: boolean;
  errorCount: number;
  errors: RowError[];
}

function place(e: RowError): string {
  return `${e.sheet ? `工作表“${e.sheet}”` : ''}第 ${e.row} 行“${e.column}”`;
}

/** The whole file was refused because of row problems: 422 with every problem listed. */
export class ImportRejectedError extends AppError {
  readonly errors: RowError[];
  readonly errorCount: number;

  constructor(
    errors: RowError[],
    readonly dryRun: boolean,
  ) {
    const first = errors[0];
    const more = errors.length > 1 ? ` 等共 ${errors.length} 处错误` : '';
    const verb = dryRun ? '检查未通过（试导入，未写入）' : '导入未执行';
    super(
      'IMPORT_REJECTED',
      `${verb}：${place(first)}${first.message}${more}。请按 errors 中列出的位置逐一修改后重新上传；本次没有写入任何数据`,
      422,
    );
    this.errorCount = errors.length;
    this.errors = errors.slice(0, MAX_REPORTED_ERRORS);
  }

  toBody(): ImportReportBody {
    return { code: 'IMPORT_REJECTED', message: this.message, dryRun: this.dryRun, errorCount: this.errorCount, errors: this.errors };
  }
}

/**
 * Sends the full import report (the global ErrorFilter keeps only `{code, message, field}`).
 * Scoped to the registry import/export controller.
 */
@Catch(ImportRejectedError)
export class ImportRejectedFilter implements ExceptionFilter {
  catch(exception: ImportRejectedError, host: ArgumentsHost): void {
    host.switchToHttp().getResponse<Response>().status(exception.status).json(exception.toBody());
  }
}

/** The file itself cannot be read as a registry sheet (not its rows): 400 with what is wrong. */
export function fileError(code: string, message: string, field = 'file'): AppError {
  return new AppError(code, message, 400, field);
}
