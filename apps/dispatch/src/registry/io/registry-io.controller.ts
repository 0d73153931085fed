import { Controller, Get, HttpCode, Param, Post, Query, Req, Res, StreamableFile, UseFilters } from '@nestjs/common';
import type { PipeTransform } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiQuery,
  ApiTags,
  ApiUnprocessableEntityResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AppError, CurrentPrincipal, Roles } from '#shared';
import type { Principal } from '#shared';
import { KINDS, REGISTRY_KINDS } from './columns.js';
import type { RegistryKind } from './columns.js';
import { CSV_TYPE } from './csv-file.js';
import { ImportRejectedFilter } from './import-errors.js';
import { ImportReport, ImportResult, WorkbookImportResult } from './registry-io.dto.js';
import { EXPORT_FORMATS } from './registry-files.js';
import type { ExportFormat } from './registry-files.js';
import { RegistryIoService } from './registry-io.service.js';
import type { ExportFile } from './registry-io.service.js';
import { XLSX_TYPE } from './xlsx-file.js';

const KIND_LIST = REGISTRY_KINDS.map((k) => `${k}（${KINDS[k].sheet}）`).join('、');

const kindPipe: PipeTransform<string, RegistryKind> = {
  transform(value: string): RegistryKind {
    if ((REGISTRY_KINDS as readonly string[]).includes(value)) return value as RegistryKind;
    throw new AppError('REGISTRY_KIND_UNKNOWN', `登记册类别“${value}”不存在，可选：${KIND_LIST}`, 404, 'kind');
  },
};

function parseFormat(value: string | undefined, fallback: ExportFormat): ExportFormat {
  if (value === undefined || value === '') return fallback;
  const format = value.toLowerCase();
  if ((EXPORT_FORMATS as readonly string[]).includes(format)) return format as ExportFormat;
  throw new AppError('EXPORT_FORMAT_UNSUPPORTED', `导出格式（format）只能是 csv 或 xlsx，收到“${value}”`, 400, 'format');
}

function parseDryRun(value: string | undefined): boolean {
  if (value === undefined || value === '' || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  throw new AppError('VALIDATION_FAILED', `试导入（dryRun）只能是 true 或 false，收到“${value}”`, 400, 'dryRun');
}

/** attachment; filename="ascii"; filename*=UTF-8''中文 (RFC 6266 / 5987). */
function download(res: Response, file: ExportFile): StreamableFile {
  res.setHeader('cache-control', 'no-store');
  res.setHeader('x-content-type-options', 'nosniff');
  return new StreamableFile(file.bytes, {
    type: file.contentType,
    length: file.bytes.length,
    disposition: `attachment; filename="${file.fileName}"; filename*=UTF-8''${encodeURIComponent(file.displayName)}`,
  });
}

const FILE_SCHEMA = { schema: { type: 'string', format: 'binary' } };
const COLUMNS_DOC = REGISTRY_KINDS.map((k) => `${KINDS[k].sheet}：${KINDS[k].columns.map((c) => `${c.label}（${c.key}）`).join('、')}`).join('；');

@ApiTags('registry 登记册导入导出')
@ApiBearerAuth()
@ApiExtraModels(ImportReport)
@ApiForbiddenResponse({ description: '仅主管单位（本辖区）和省级可用；企业等其他角色 403' })
@UseFilters(ImportRejectedFilter)
@Controller('api/v1/registry')
export class RegistryIoController {
  constructor(private readonly registry: RegistryIoService) {}

  @Get()
  @Roles('authority', 'province')
  @ApiOperation({
    summary: '导出整本登记册（XLSX，含“供热企业”“换热站”“小区”三个工作表；主管单位只含本辖区）',
    description: `列：${COLUMNS_DOC}。导出的文件不经修改即可重新导入（/api/v1/registry/import）。`,
  })
  @ApiQuery({ name: 'format', required: false, enum: ['xlsx'], description: '只支持 xlsx（默认）' })
  @ApiProduces(XLSX_TYPE)
  @ApiOkResponse({ description: 'XLSX 文件下载', content: { [XLSX_TYPE]: FILE_SCHEMA } })
  async exportWorkbook(
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) res: Response,
    @Query('format') format?: string,
  ): Promise<StreamableFile> {
    return download(res, await this.registry.export(principal, [...REGISTRY_KINDS], parseFormat(format, 'xlsx')));
  }

  @Get(':kind')
  @Roles('authority', 'province')
  @ApiOperation({
    summary: '导出一类登记数据（CSV 或 XLSX；主管单位只含本辖区）',
    description: `CSV 为带 BOM 的 UTF-8，Excel 可直接打开。列：${COLUMNS_DOC}。导出的文件不经修改即可重新导入。`,
  })
  @ApiParam({ name: 'kind', enum: REGISTRY_KINDS, description: 'companies 供热企业 / stations 换热站 / communities 小区' })
  @ApiQuery({ name: 'format', required: false, enum: EXPORT_FORMATS, description: '默认 csv' })
  @ApiProduces(CSV_TYPE, XLSX_TYPE)
  @ApiOkResponse({ description: '文件下载（Content-Disposition: attachment）', content: { [CSV_TYPE]: FILE_SCHEMA, [XLSX_TYPE]: FILE_SCHEMA } })
  async exportKind(
    @CurrentPrincipal() principal: Principal,
    @Param('kind', kindPipe) kind: RegistryKind,
    @Res({ passthrough: true }) res: Response,
    @Query('format') format?: string,
  ): Promise<StreamableFile> {
    return download(res, await this.registry.export(principal, [kind], parseFormat(format, 'csv')));
  }

  @Post('import')
  @HttpCode(200)
  @Roles('authority', 'province')
  @ApiOperation({
    summary: '导入整本工作簿（XLSX，工作表“供热企业”“换热站”“小区”可只含一部分；跨表引用可在同一文件中新建）',
    description: '按编号新增或更新，全部检查通过才在一个事务中写入；有任何错误则 422 列出全部错误，不写入。请求体即文件，最大 10 MB。',
  })
  @ApiQuery({ name: 'dryRun', required: false, type: Boolean, description: 'true = 只检查并统计，不写入' })
  @ApiConsumes(XLSX_TYPE)
  @ApiBody(FILE_SCHEMA)
  @ApiOkResponse({ type: WorkbookImportResult })
  @ApiBadRequestResponse({ description: '文件无法读取（空文件、不是 XLSX、表头不符、工作表名称不对）' })
  @ApiUnsupportedMediaTypeResponse({ description: 'Content-Type 不是 XLSX' })
  @ApiUnprocessableEntityResponse({ type: ImportReport, description: '有行错误，未写入任何数据' })
  importWorkbook(@CurrentPrincipal() principal: Principal, @Req() req: Request, @Query('dryRun') dryRun?: string) {
    return this.registry.importFile(principal, 'workbook', req.body, req.headers['content-type'], parseDryRun(dryRun));
  }

  @Post(':kind/import')
  @HttpCode(200)
  @Roles('authority', 'province')
  @ApiOperation({
    summary: '导入一类登记数据（CSV 或 XLSX，按编号新增或更新）',
    description:
      '全部检查通过才在一个事务中写入；有任何错误则 422 列出每处错误（行号与 Excel 一致，表头为第 1 行），不写入。请求体即文件（--data-binary），最大 10 MB。主管单位只能导入本辖区的数据。',
  })
  @ApiParam({ name: 'kind', enum: REGISTRY_KINDS })
  @ApiQuery({ name: 'dryRun', required: false, type: Boolean, description: 'true = 只检查并统计，不写入' })
  @ApiConsumes(CSV_TYPE, XLSX_TYPE)
  @ApiBody(FILE_SCHEMA)
  @ApiOkResponse({ type: ImportResult })
  @ApiBadRequestResponse({ description: '文件无法读取（空文件、乱码、不是 CSV/XLSX、缺少列、工作表不对）' })
  @ApiUnsupportedMediaTypeResponse({ description: 'Content-Type 不是 text/csv 或 XLSX' })
  @ApiUnprocessableEntityResponse({ type: ImportReport, description: '有行错误，未写入任何数据' })
  importKind(
    @CurrentPrincipal() principal: Principal,
    @Param('kind', kindPipe) kind: RegistryKind,
    @Req() req: Request,
    @Query('dryRun') dryRun?: string,
  ) {
    return this.registry.importFile(principal, kind, req.body, req.headers['content-type'], parseDryRun(dryRun));
  }
}
