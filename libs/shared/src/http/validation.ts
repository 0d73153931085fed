import { ParseIntPipe, ValidationPipe } from '@nestjs/common';
import { Matches } from 'class-validator';
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

/** The global pipe: strips nothing silently — unknown fields are refused, types are converted. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: true,
    exceptionFactory: validationErrorToAppError,
  });
}

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
