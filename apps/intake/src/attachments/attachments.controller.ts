import { Controller, Get, Param, ParseUUIDPipe, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AppError, CurrentPrincipal, Roles } from '#shared';
import type { Principal } from '#shared';
import { AttachmentsService, PHOTO_TYPES } from './attachments.service.js';

const uuid = new ParseUUIDPipe({ exceptionFactory: () => new AppError('PHOTO_NOT_FOUND', '照片编号格式不正确', 400, 'id') });

@ApiTags('attachments 照片')
@ApiBearerAuth()
@Controller('api/v1/attachments')
export class AttachmentsController {
  constructor(private readonly attachments: AttachmentsService) {}

  @Post()
  @Roles('resident', 'operator')
  @ApiOperation({ summary: '上传一张照片（请求体即图片，JPEG/PNG/WebP，最大 5 MB），返回照片编号' })
  @ApiConsumes(...PHOTO_TYPES)
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  upload(@CurrentPrincipal() principal: Principal, @Req() req: Request) {
    return this.attachments.upload(principal, req.body);
  }

  @Get(':id')
  @Roles('resident', 'operator', 'company', 'province')
  @ApiOperation({ summary: '查看照片（上传者、话务员、处理企业、省级）' })
  async read(@CurrentPrincipal() principal: Principal, @Param('id', uuid) id: string, @Res() res: Response): Promise<void> {
    const photo = await this.attachments.read(principal, id);
    res.setHeader('content-type', photo.contentType);
    res.setHeader('cache-control', 'private, max-age=3600');
    res.setHeader('x-content-type-options', 'nosniff');
    res.send(photo.data);
  }
}
