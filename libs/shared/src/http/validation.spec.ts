import { describe, expect, it } from '@jest/globals';
import { plainToInstance, Type } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsNumber, IsString, Max, ValidateNested, validate } from 'class-validator';
import type { ValidationError } from 'class-validator';
import { AppError } from './app-error.js';
import { createValidationPipe, decimalPlaces, MaxDecimalPlaces, validationErrorToAppError } from './validation.js';

class AddressDto {
  @IsString() cityCode: string;
  @IsString() @IsNotEmpty({ message: '街道（street）不能为空' }) street: string;
}

class ComplaintDto {
  @IsNotEmpty({ message: '小区名称（communityName）不能为空' }) communityName: string;
  @IsInt() daysWithoutHeat: number;
  @Max(40) indoorTemperatureC: number;
  @IsIn(['hotline', 'web']) channel: string;
  @ValidateNested() @Type(() => AddressDto) address: AddressDto;
}

const valid = () => ({
  communityName: '幸福里小区',
  daysWithoutHeat: 2,
  indoorTemperatureC: 15,
  channel: 'web',
  address: { cityCode: '210100', street: '南京北街' },
});

/** Validates a body the way the global pipe does (whitelist, unknown fields refused, first error only). */
async function errorsFor(body: Record<string, unknown>): Promise<ValidationError[]> {
  const errors = await validate(plainToInstance(ComplaintDto, body), {
    whitelist: true,
    forbidNonWhitelisted: true,
    stopAtFirstError: true,
  });
  expect(errors.length).toBeGreaterThan(0);
  return errors;
}

describe('every validation failure becomes AppError VALIDATION_FAILED, status 400, with the field', () => {
  it('code, status and field are set; it is an AppError', async () => {
    const error = validationErrorToAppError(await errorsFor({ ...valid(), daysWithoutHeat: 'two' }));
    expect(error).toBeInstanceOf(AppError);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.status).toBe(400);
    expect(error.field).toBe('daysWithoutHeat');
  });
  it('the DTO used here is valid when nothing is wrong (so each failure below comes from the one change)', async () => {
    expect(await validate(plainToInstance(ComplaintDto, valid()), { whitelist: true, forbidNonWhitelisted: true })).toEqual([]);
  });
});

describe('a message written in Chinese on the DTO is kept as is', () => {
  it('an empty communityName gives the DTO message', async () => {
    const error = validationErrorToAppError(await errorsFor({ ...valid(), communityName: '' }));
    expect(error.message).toBe('小区名称（communityName）不能为空');
    expect(error.field).toBe('communityName');
  });
  it('a Chinese message on a nested field is kept, the field is the full path', async () => {
    const error = validationErrorToAppError(await errorsFor({ ...valid(), address: { cityCode: '210100', street: '' } }));
    expect(error.message).toBe('街道（street）不能为空');
    expect(error.field).toBe('address.street');
  });
});

describe("class-validator's English default becomes a generic Chinese message naming the field path", () => {
  it('isInt → 字段 daysWithoutHeat 必须是整数', async () => {
    const error = validationErrorToAppError(await errorsFor({ ...valid(), daysWithoutHeat: 1.5 }));
    expect(error.message).toBe('字段 daysWithoutHeat 必须是整数');
  });
  it('max → 字段 indoorTemperatureC 太大', async () => {
    const error = validationErrorToAppError(await errorsFor({ ...valid(), indoorTemperatureC: 85 }));
    expect(error.message).toBe('字段 indoorTemperatureC 太大');
  });
  it('isIn → 字段 channel 取值不在允许范围内', async () => {
    const error = validationErrorToAppError(await errorsFor({ ...valid(), channel: 'fax' }));
    expect(error.message).toBe('字段 channel 取值不在允许范围内');
  });
  it('a nested field is named by its path: 字段 address.cityCode 必须是文本', async () => {
    const error = validationErrorToAppError(await errorsFor({ ...valid(), address: { cityCode: 210100, street: '南京北街' } }));
    expect(error.message).toBe('字段 address.cityCode 必须是文本');
    expect(error.field).toBe('address.cityCode');
  });
  it('no English text of class-validator reaches the message', async () => {
    const error = validationErrorToAppError(await errorsFor({ ...valid(), daysWithoutHeat: 'x' }));
    expect(error.message).not.toMatch(/must be/);
  });
  it('a constraint without a Chinese wording still gets a Chinese message naming the field', () => {
    const error = validationErrorToAppError([
      { property: 'meterId', constraints: { isHexadecimal: 'meterId must be a hexadecimal number' }, children: [] },
    ]);
    expect(error.message).toBe('字段 meterId 不符合要求');
    expect(error.field).toBe('meterId');
  });
});

describe('a field the DTO does not declare is refused as not accepted', () => {
  it('an extra top-level field → 字段 isVip 是不接受的字段，请删除', async () => {
    const error = validationErrorToAppError(await errorsFor({ ...valid(), isVip: true }));
    expect(error.message).toBe('字段 isVip 是不接受的字段，请删除');
    expect(error.field).toBe('isVip');
  });
  it('an extra nested field is named by its path', async () => {
    const error = validationErrorToAppError(await errorsFor({ ...valid(), address: { ...valid().address, floor: 5 } }));
    expect(error.message).toBe('字段 address.floor 是不接受的字段，请删除');
  });
});

describe('only the first failure is reported', () => {
  it('with two invalid fields, the first one is named', () => {
    const error = validationErrorToAppError([
      { property: 'phone', constraints: { isNotEmpty: 'phone should not be empty' }, children: [] },
      { property: 'channel', constraints: { isIn: 'channel must be one of …' }, children: [] },
    ]);
    expect(error.field).toBe('phone');
    expect(error.message).toBe('字段 phone 不能为空');
  });
});

describe('numbers in exponent notation are checked for decimal places without crashing (IsNumber maxDecimalPlaces throws on them)', () => {
  class ScoreDto {
    @MaxDecimalPlaces(1, { message: '得分（score）最多一位小数' })
    @IsNumber({ allowNaN: false, allowInfinity: false })
    score: number;
  }
  it.each([
    [92.5, 1],
    [5e-324, 324],
    [1.25e-7, 9],
    [1e21, 0],
    [-0, 0],
  ])('decimalPlaces(%d) = %d', (value, places) => expect(decimalPlaces(value)).toBe(places));
  it('5e-324 is refused with the DTO message, 92.5 and 100 are accepted', async () => {
    const errors = await validate(plainToInstance(ScoreDto, { score: 5e-324 }));
    expect(validationErrorToAppError(errors).message).toBe('得分（score）最多一位小数');
    expect(await validate(plainToInstance(ScoreDto, { score: 92.5 }))).toEqual([]);
    expect(await validate(plainToInstance(ScoreDto, { score: 100 }))).toEqual([]);
  });
});

describe('a NUL character in a path parameter or query value is refused by the global pipe (PostgreSQL text cannot hold it)', () => {
  const pipe = createValidationPipe();
  it('a path parameter with %00 → 400 VALIDATION_FAILED naming the parameter', async () => {
    const refusal = await pipe.transform('GR-\u0000', { type: 'param', data: 'caseNumber', metatype: String }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(AppError);
    expect(refusal).toMatchObject({ code: 'VALIDATION_FAILED', status: 400, field: 'caseNumber' });
    expect((refusal as AppError).message).toMatch(/caseNumber.*空字符/);
  });
  it('a whole query object: the offending key is named, also inside a repeated parameter', async () => {
    const refusal = await pipe.transform({ status: 'open', service_code: ['too_cold', 'x\u0000'] }, { type: 'query', metatype: Object }).catch((e: unknown) => e);
    expect(refusal).toMatchObject({ code: 'VALIDATION_FAILED', field: 'service_code' });
  });
  it('values without NUL pass unchanged; bodies are left to their DTOs', async () => {
    expect(await pipe.transform('GR-20261129-000001', { type: 'param', data: 'caseNumber', metatype: String })).toBe('GR-20261129-000001');
    expect(await pipe.transform('a\u0000b', { type: 'body', metatype: String })).toBe('a\u0000b');
  });
});
