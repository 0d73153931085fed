import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsObject,
  IsUUID,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { CASE_TYPES, CATEGORIES, NoControlChars, NotBlank } from '#shared';
import type { CaseType, Category } from '#shared';

const noControlChars = NoControlChars;
const notBlank = NotBlank;

export class AddressDto {
  @ApiProperty({ example: '210100', description: '城市 GB/T 2260 代码（辽宁省 21xx00）' })
  @Matches(/^21\d{2}00$/, { message: '城市代码（address.cityCode）必须是辽宁省的 6 位行政区划代码，例如沈阳市 210100' })
  cityCode: string;

  @ApiProperty({ example: '210102', description: '区县 GB/T 2260 代码' })
  @Matches(/^21\d{4}$/, { message: '区县代码（address.districtCode）必须是辽宁省的 6 位行政区划代码，例如和平区 210102' })
  districtCode: string;

  @ApiProperty({ example: '南京南街 12 号', description: '街道/路' })
  @MaxLength(100, { message: '街道（address.street）最多 100 个字' })
  @noControlChars('街道（address.street）')
  @notBlank('街道（address.street）')
  @IsNotEmpty({ message: '街道（address.street）不能为空' })
  @IsString({ message: '街道（address.street）必须是文本' })
  street: string;

  @ApiPropertyOptional({ example: '3 号楼' })
  @IsOptional()
  @MaxLength(20, { message: '楼号（address.building）最多 20 个字' })
  @noControlChars('楼号（address.building）')
  @IsString({ message: '楼号（address.building）必须是文本' })
  building?: string;

  @ApiPropertyOptional({ example: '2 单元' })
  @IsOptional()
  @MaxLength(20, { message: '单元（address.unit）最多 20 个字' })
  @noControlChars('单元（address.unit）')
  @IsString({ message: '单元（address.unit）必须是文本' })
  unit?: string;

  @ApiPropertyOptional({ example: '501' })
  @IsOptional()
  @MaxLength(20, { message: '房间号（address.room）最多 20 个字' })
  @noControlChars('房间号（address.room）')
  @IsString({ message: '房间号（address.room）必须是文本' })
  room?: string;
}


/** Where the resident is (optional; WGS-84, must lie in Liaoning). */
export class CoordinatesDto {
  @ApiProperty({ example: 41.796 })
  @Min(38.5, { message: '纬度（coordinates.latitude）不在辽宁省范围内（38.5–43.5）' })
  @Max(43.5, { message: '纬度（coordinates.latitude）不在辽宁省范围内（38.5–43.5）' })
  @IsNumber({}, { message: '纬度（coordinates.latitude）必须是数字' })
  latitude: number;

  @ApiProperty({ example: 123.429 })
  @Min(118.5, { message: '经度（coordinates.longitude）不在辽宁省范围内（118.5–125.8）' })
  @Max(125.8, { message: '经度（coordinates.longitude）不在辽宁省范围内（118.5–125.8）' })
  @IsNumber({}, { message: '经度（coordinates.longitude）必须是数字' })
  longitude: number;
}

/** What every channel records about a case (DOMAIN.md §3 step 1). */
export class ComplaintFieldsDto {
  @ApiProperty({ enum: CASE_TYPES, example: 'complaint', description: '诉求类型：consultation 咨询 / complaint 投诉 / report 举报' })
  @IsIn(CASE_TYPES, { message: '诉求类型（type）只能是 consultation（咨询）、complaint（投诉）或 report（举报）' })
  type: CaseType;

  @ApiProperty({ enum: CATEGORIES, example: 'too_cold', description: '问题分类，如 too_cold 室温不达标' })
  @IsIn(CATEGORIES, { message: `问题分类（category）不正确，可选：${CATEGORIES.join('、')}` })
  category: Category;

  @ApiProperty({ example: '幸福小区', description: '小区名称' })
  @MaxLength(100, { message: '小区名称（communityName）最多 100 个字' })
  @noControlChars('小区名称（communityName）')
  @notBlank('小区名称（communityName）')
  @IsNotEmpty({ message: '小区名称（communityName）不能为空' })
  @IsString({ message: '小区名称（communityName）必须是文本' })
  communityName: string;

  @ApiProperty({ type: AddressDto })
  @ValidateNested({ message: '地址（address）必须是对象' })
  @Type(() => AddressDto)
  @IsNotEmpty({ message: '地址（address）不能为空' })
  address: AddressDto;

  @ApiProperty({ example: '卧室温度只有 15 度，暖气片不热', description: '问题描述，最多 2000 字' })
  @MaxLength(2000, { message: '问题描述（description）最多 2000 字' })
  @noControlChars('问题描述（description）')
  @notBlank('问题描述（description）')
  @IsNotEmpty({ message: '问题描述（description）不能为空' })
  @IsString({ message: '问题描述（description）必须是文本' })
  description: string;

  @ApiPropertyOptional({ example: '王女士' })
  @IsOptional()
  @MaxLength(50, { message: '联系人（contactName）最多 50 个字' })
  @noControlChars('联系人（contactName）')
  @IsString({ message: '联系人（contactName）必须是文本' })
  contactName?: string;

  @ApiPropertyOptional({ description: '诉求人指认的供热企业编号（可选，分转时会核对服务范围）' })
  @IsOptional()
  @Matches(/^[\w-]{1,40}$/, { message: '指认企业（namedCompanyId）应为企业编号，例如 HC0001' })
  @IsString({ message: '指认企业（namedCompanyId）必须是文本' })
  namedCompanyId?: string;

  @ApiPropertyOptional({ example: 15.5, description: '实测室温（℃），室温不达标时必填，−20 至 40' })
  @ValidateIf((o: ComplaintFieldsDto) => o.category === 'too_cold' || o.indoorTemperatureC !== undefined)
  @Min(-20, { message: '实测室温（indoorTemperatureC）不能低于 −20℃' })
  @Max(40, { message: '实测室温（indoorTemperatureC）不能高于 40℃' })
  @IsNumber({}, { message: '室温不达标须填写实测室温（indoorTemperatureC），单位℃，范围 −20 至 40' })
  indoorTemperatureC?: number;

  @ApiPropertyOptional({ example: 3, description: '未供热天数，未按时供热/停热时必填，1 至 200' })
  @ValidateIf(
    (o: ComplaintFieldsDto) =>
      o.category === 'heating_not_started' || o.category === 'heating_cut_off' || o.daysWithoutHeat !== undefined,
  )
  @Min(1, { message: '未供热天数（daysWithoutHeat）至少为 1' })
  @Max(200, { message: '未供热天数（daysWithoutHeat）不能超过 200' })
  @IsInt({ message: '未按时供热或停热须填写未供热天数（daysWithoutHeat），1 至 200 的整数' })
  daysWithoutHeat?: number;

  @ApiPropertyOptional({ type: [String], description: '照片编号（先通过 POST /api/v1/attachments 上传），最多 5 张' })
  @IsOptional()
  @ArrayMaxSize(5, { message: '照片（photoIds）最多 5 张' })
  @IsUUID('4', { each: true, message: '照片编号（photoIds）格式不正确' })
  @IsArray({ message: '照片（photoIds）必须是数组' })
  photoIds?: string[];

  @ApiPropertyOptional({ type: CoordinatesDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => CoordinatesDto)
  @IsObject({ message: '位置（coordinates）必须是对象' })
  coordinates?: CoordinatesDto;
}

/** A call recorded by a hotline operator (话务员). The caller's number comes from the phone system. */
export class CreateHotlineComplaintDto extends ComplaintFieldsDto {
  @ApiProperty({ example: '13812345678', description: '来电号码（主叫号码，即已核验号码）' })
  @IsString({ message: '来电号码（callerPhone）必须是文本' })
  callerPhone: string;

  @ApiPropertyOptional({ description: '咨询类诉求在通话中已答复的内容（咨询必填：当场答复并办结）' })
  @ValidateIf((o: CreateHotlineComplaintDto) => o.type === 'consultation' || o.answer !== undefined)
  @MaxLength(2000, { message: '答复内容（answer）最多 2000 字' })
  @noControlChars('答复内容（answer）')
  @notBlank('答复内容（answer）')
  @IsNotEmpty({ message: '咨询须填写当场答复内容（answer）' })
  @IsString({ message: '咨询须填写当场答复内容（answer）' })
  answer?: string;
}

/** A resident's own report from the web or the app, with a phone-verified resident token. */
export class CreateResidentComplaintDto extends ComplaintFieldsDto {
  @ApiProperty({ enum: ['web', 'app'], example: 'web', description: '提交渠道' })
  @IsIn(['web', 'app'], { message: '渠道（channel）只能是 web（网站）或 app（手机应用）' })
  channel: 'web' | 'app';
}
