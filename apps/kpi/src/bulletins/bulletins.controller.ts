import { Body, Controller, Get, Inject, Param, Post, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProperty, ApiQuery, ApiTags } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import type { Response } from 'express';
import { AppError, CLOCK, CurrentPrincipal, Roles } from '#shared';
import type { Clock, Principal } from '#shared';
import { CONTENT_TYPES, fileNames } from './bulletin-document.js';
import type { BulletinDocument, BulletinFormat } from './bulletin-document.js';
import { renderBulletinHtml } from './bulletin-html.js';
import { checkBulletinMonth, parseDraft } from './bulletin-month.js';
import { renderBulletinPdf } from './bulletin-pdf.js';
import { renderBulletinXlsx } from './bulletin-xlsx.js';
import { BulletinsService } from './bulletins.service.js';
import type { BulletinFile } from './bulletins.service.js';

export class PublishBulletinDto {
  @ApiProperty({ example: '2026-11', description: '通报月份（北京时间，YYYY-MM），须为已结束的月份；本月只能 ?draft=true 预览' })
  @IsString({ message: '月份（month）必须填写，格式为 YYYY-MM，例如 2026-11' })
  month: string;
}

const FORMATS: BulletinFormat[] = ['html', 'pdf', 'xlsx'];
const FILE = /^v([1-9]\d{0,5})\.(html|pdf|xlsx|json)$/;

function sendFile(res: Response, file: BulletinFile, format: BulletinFormat, cache: 'immutable' | 'no-store'): StreamableFile {
  res.setHeader('cache-control', cache === 'immutable' ? 'private, max-age=31536000, immutable' : 'no-store');
  res.setHeader('x-content-type-options', 'nosniff');
  if (cache === 'immutable') res.setHeader('etag', `"${file.sha256}"`);
  // The HTML bulletin carries no script and loads nothing: a strict policy keeps it that way.
  if (format === 'html') res.setHeader('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
  const disposition = format === 'xlsx' ? 'attachment' : 'inline';
  return new StreamableFile(file.bytes, {
    type: file.contentType,
    length: file.bytes.length,
    disposition: `${disposition}; filename="${file.fileName}"; filename*=UTF-8''${encodeURIComponent(file.displayName)}`,
  });
}

async function renderFile(doc: BulletinDocument, format: BulletinFormat): Promise<BulletinFile> {
  const bytes = format === 'html' ? Buffer.from(renderBulletinHtml(doc), 'utf8') : format === 'pdf' ? await renderBulletinPdf(doc) : await renderBulletinXlsx(doc);
  const names = fileNames(doc.snapshot.month, doc.version, format);
  return { bytes, contentType: CONTENT_TYPES[format], fileName: names.ascii, displayName: names.display, sha256: '' };
}

/**
 * Monthly bulletins (月度通报). The province publishes; companies and authorities read every
 * published version (bulletins are public scorecards of all units, not scoped to the reader).
 */
@ApiTags('bulletins 月度通报')
@ApiBearerAuth()
@Controller('api/v1/bulletins')
export class BulletinsController {
  constructor(
    private readonly bulletins: BulletinsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post()
  @Roles('province')
  @ApiOperation({
    summary: '生成并发布某月的全省月度通报（不可修改的版本）',
    description:
      '首次发布为第 1 版；之后再次调用时，若数据因迟到的工单事件发生变化，发布第 N+1 版并列出与上一版相比的变化；数据没有变化则返回已有的最新版本（200），不产生新版本。' +
      '月份须已结束（北京时间）且不早于 2020-01。?draft=true：按当前数据生成草稿（可为本月），不保存、不发布；可加 &format=html|pdf|xlsx 直接取文件。',
  })
  @ApiQuery({ name: 'draft', required: false, type: Boolean })
  @ApiQuery({ name: 'format', required: false, enum: FORMATS, description: '仅草稿：直接返回该格式的文件' })
  @ApiCreatedResponse({ description: '发布了新版本' })
  @ApiOkResponse({ description: '数据没有变化，返回已有的最新版本；或草稿' })
  @ApiBadRequestResponse({ description: '月份格式不对、早于 2020-01、尚未结束（非草稿）或尚未到来' })
  async publish(
    @CurrentPrincipal() principal: Principal,
    @Body() body: PublishBulletinDto,
    @Res({ passthrough: true }) res: Response,
    @Query('draft') draftParam?: string,
    @Query('format') format?: string,
  ) {
    const draft = parseDraft(draftParam);
    const month = checkBulletinMonth(body.month, this.clock.now(), draft);
    const createdBy = `${principal.role}:${principal.sub}`;
    if (draft) {
      res.status(200);
      const doc = await this.bulletins.draft(month, createdBy);
      if (format === undefined || format === '') return { draft: true, month, generatedAt: doc.snapshot.generatedAt, snapshot: doc.snapshot };
      if (!(FORMATS as string[]).includes(format)) throw new AppError('BULLETIN_FORMAT_UNSUPPORTED', `格式（format）只能是 html、pdf 或 xlsx，收到“${format}”`, 400, 'format');
      return sendFile(res, await renderFile(doc, format as BulletinFormat), format as BulletinFormat, 'no-store');
    }
    if (format !== undefined) throw new AppError('VALIDATION_FAILED', '格式（format）只用于草稿（?draft=true）；已发布的版本请从其下载地址获取', 400, 'format');
    const result = await this.bulletins.publish(month, createdBy);
    res.status(result.created ? 201 : 200);
    return { created: result.created, ...result.bulletin };
  }

  @Get()
  @Roles('province', 'authority', 'company')
  @ApiOperation({ summary: '已发布的月度通报版本列表（含各文件的 SHA-256 与下载地址）' })
  @ApiQuery({ name: 'month', required: false, example: '2026-11', description: '只列该月的版本；不填则列出全部（最新在前）' })
  async list(@Query('month') month?: string) {
    if (month !== undefined && !/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) {
      throw new AppError('INVALID_MONTH', '月份（month）格式应为 YYYY-MM，例如 2026-11', 400, 'month');
    }
    return this.bulletins.list(month);
  }

  @Get(':month/:file')
  @Roles('province', 'authority', 'company')
  @ApiOperation({
    summary: '下载某一版本：v{n}.html（可打印网页）、v{n}.pdf、v{n}.xlsx，或 v{n}.json（数据快照与版本变化）',
    description: '文件与发布时完全一致（ETag 为其 SHA-256）；Content-Disposition 带中文文件名（RFC 5987 filename*）。',
  })
  @ApiParam({ name: 'month', example: '2026-11' })
  @ApiParam({ name: 'file', example: 'v1.pdf' })
  async download(@Param('month') month: string, @Param('file') file: string, @Res({ passthrough: true }) res: Response) {
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new AppError('INVALID_MONTH', '月份（month）格式应为 YYYY-MM，例如 2026-11', 400, 'month');
    const match = FILE.exec(file);
    if (!match) throw unsupportedFormat(file);
    const version = Number(match[1]);
    const ext = match[2];
    if (ext === 'json') return this.bulletins.version(month, version);
    return sendFile(res, await this.bulletins.file(month, version, ext as BulletinFormat), ext as BulletinFormat, 'immutable');
  }
}

function unsupportedFormat(value: string): AppError {
  return new AppError('BULLETIN_FORMAT_UNSUPPORTED', `文件（${value}）应为 v{版本号}.html、.pdf、.xlsx 或 .json，例如 v1.pdf`, 400, 'format');
}
