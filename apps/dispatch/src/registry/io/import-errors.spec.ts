import { describe, expect, it } from '@jest/globals';
import type { ArgumentsHost } from '@nestjs/common';
import { AppError } from '#shared';
import { ImportRejectedError, ImportRejectedFilter, MAX_REPORTED_ERRORS } from './import-errors.js';
import type { RowError } from './import-errors.js';

const error = (row: number): RowError => ({ row, column: '区县代码（districtCode）', value: '999999', message: '不是辽宁省的区县代码' });

describe('ImportRejectedError: the 422 report of an import that wrote nothing', () => {
  it('is an AppError 422 IMPORT_REJECTED whose message names the first problem and the total', () => {
    const e = new ImportRejectedError([error(3), error(5)], false);
    expect(e).toBeInstanceOf(AppError);
    expect([e.code, e.status]).toEqual(['IMPORT_REJECTED', 422]);
    expect(e.message).toMatch(/^导入未执行：第 3 行“区县代码（districtCode）”不是辽宁省的区县代码 等共 2 处错误。/);
    expect(e.message).toMatch(/没有写入任何数据/);
  });
  it('a single problem is not called "等共 1 处"', () => {
    expect(new ImportRejectedError([error(2)], false).message).not.toMatch(/等共/);
  });
  it('a dry run says so', () => {
    expect(new ImportRejectedError([error(2)], true).message).toMatch(/^检查未通过（试导入，未写入）/);
  });
  it('the sheet is named for workbooks', () => {
    expect(new ImportRejectedError([{ ...error(2), sheet: '小区' }], false).message).toMatch(/^导入未执行：工作表“小区”第 2 行/);
  });
  it(`lists at most ${MAX_REPORTED_ERRORS} problems; errorCount keeps the total`, () => {
    const body = new ImportRejectedError(Array.from({ length: MAX_REPORTED_ERRORS + 5 }, (_, i) => error(i + 2)), false).toBody();
    expect(body.errors).toHaveLength(MAX_REPORTED_ERRORS);
    expect(body.errorCount).toBe(MAX_REPORTED_ERRORS + 5);
  });
});

describe('ImportRejectedFilter sends the whole report (the global filter keeps only code/message/field)', () => {
  it('writes status 422 and {code, message, dryRun, errorCount, errors}', () => {
    const sent: { status?: number; body?: unknown } = {};
    const response = {
      status(code: number) {
        sent.status = code;
        return this;
      },
      json(body: unknown) {
        sent.body = body;
      },
    };
    const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
    const e = new ImportRejectedError([error(3)], false);
    new ImportRejectedFilter().catch(e, host);
    expect(sent).toEqual({
      status: 422,
      body: { code: 'IMPORT_REJECTED', message: e.message, dryRun: false, errorCount: 1, errors: [error(3)] },
    });
  });
});
