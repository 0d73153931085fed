import { ParseIntPipe, ValidationPipe } from '@nestjs/common';
import type { ArgumentMetadata } from '@nestjs/common';
import { Matches, ValidateBy } from 'class-validator';
import type { ValidationOptions } from 'class-validator';
import type { ValidationError } from 'class-validator';
import { AppError } from './app-error.js';

/** Chinese wording for class-validator's built-in constraints when a DTO gives no message. */
const CONSTRAINT_ZH: Record<string, string> = {
  isString: '必须是文本',
  isNotEmpty: '不能为空',
  isDefined: '必须填写',
  isInt: '必须是整数',
  isNumber: '必须是数字',
  isBoolean: '必须是 true 或 false',
  isUUID: '必须是有效的编号（UUID）',
  isIn: '取值不在允许范围内',
  isEnum: '取值不在允许范围内',
  maxLength: '太长',
  minLength: '太短',
  min: '太小',
  max: '太大',
  isISO8601: '必须是 ISO 8601 时间，例如 2026-11-29T08:00:00+08:00',
  isUrl: '必须是有效的网址',
  matches: '格式不正确',
  isArray: '必须是数组',
  arrayMaxSize: '项数太多',
  isObject: '必须是对象',
  nestedValidation: '必须是对象',
  whitelistValidation: '是不接受的字段，请删除',
};

function firstLeaf(error: ValidationError, path: string[] = []): { path: string[]; error: ValidationError } {
  const here = [...path, error.property];
  if (error.constraints && Object.keys(error.constraints).length > 0) return { path: here, error };
  const child = error.children?.[0];
  return child ? firstLeaf(child, here) : { path: here, error };
}

/** Turns the first validation failure into `{code, message, field}` in Chinese. */
export function validationErrorToAppError(errors: ValidationError[]): AppError {
  const { path, error } = firstLeaf(errors[0]);
  const field = path.join('.');
  const [key, text] = Object.entries(error.constraints ?? { invalid: '' })[0];
  // A DTO message written in Chinese is used as is; otherwise a generic Chinese wording.
  const message = /[\u4e00-\u9fff]/.test(text) ? text : `字段 ${field} ${CONSTRAINT_ZH[key] ?? '不符合要求'}`;
  return new AppError('VALIDATION_FAILED', message, 400, field);
}

/** The first path parameter or query value (by name) holding U+0000, if any. */
function fieldWithNul(value: unknown, name: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? name : undefined;
  if (value === null || typeof value !== 'object' || depth > 3) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const found = fieldWithNul(item, Array.isArray(value) ? name : name ? `${name}.${key}` : key, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * ValidationPipe that also refuses a NUL character (%00) in any path parameter or query value:
 * PostgreSQL text cannot hold U+0000, so such a value would otherwise fail inside a query as a 500.
 * Bodies are checked by their DTOs (NoControlChars).
 */
class PlatformValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'param' || metadata.type === 'query') {
      const field = fieldWithNul(value, metadata.data ?? '');
      if (field !== undefined) {
        throw new AppError('VALIDATION_FAILED', `参数 ${field || '（网址）'} 含有空字符（%00），请删除后重试`, 400, field || undefined);
      }
    }
    return super.transform(value, metadata);
  }
}

/** The global pipe: strips nothing silently — unknown fields are refused, types are converted. */
export function createValidationPipe(): ValidationPipe {
  return new PlatformValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: true,
    exceptionFactory: validationErrorToAppError,
  });
}

/** Decimal places of a number as JavaScript writes it, exponent notation included (5e-324 → 324). */
export function decimalPlaces(value: number): number {
  const [mantissa, exponent = '0'] = String(value).toLowerCase().split('e');
  return Math.max(0, (mantissa.split('.')[1]?.length ?? 0) - Number(exponent));
}

/**
 * At most `places` decimal places. Use it instead of `IsNumber({ maxDecimalPlaces })`, which
 * throws (a 500) on numbers JavaScript writes in exponent notation, such as 5e-324.
 */
export const MaxDecimalPlaces = (places: number, options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'maxDecimalPlaces',
      constraints: [places],
      validator: { validate: (value: unknown) => typeof value === 'number' && Number.isFinite(value) && decimalPlaces(value) <= places },
    },
    options,
  );

/** ParseIntPipe for a query parameter, refusing in Chinese with the field named. */
export function parseIntQuery(field: string, label: string): ParseIntPipe {
  return new ParseIntPipe({
    exceptionFactory: () => new AppError('VALIDATION_FAILED', `${label}（${field}）必须是整数`, 400, field),
  });
}

/** Free text may hold anything a person types, but no control characters (line breaks and tabs are fine). */
const NO_CONTROL_CHARS = /^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$/;

/** Refuses control characters in a free-text field, naming it (`label` as the user reads it). */
export const NoControlChars = (label: string): PropertyDecorator =>
  Matches(NO_CONTROL_CHARS, { message: `${label}含有不可见的控制字符，请删除后重新提交` });

/** Required text must say something: only spaces (incl. full-width) counts as empty. */
export const NotBlank = (label: string): PropertyDecorator => Matches(/\S/u, { message: `${label}不能为空` });
