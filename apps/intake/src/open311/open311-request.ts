import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { AppError, validationErrorToAppError } from '#shared';
import { ComplaintFieldsDto } from '../complaints/create-complaint.dto.js';
import { fieldsOf } from '../complaints/complaint-input.js';
import type { ComplaintInput } from '../complaints/complaint-input.js';
import { isOpen311Service } from './open311-catalog.js';

/** Open311 parameter names for our fields, so refusals name what the client actually sent. */
const FIELD_NAMES: Record<string, string> = {
  communityName: 'attribute[community_name]',
  'address.cityCode': 'attribute[city_code]',
  'address.districtCode': 'attribute[district_code]',
  'address.street': 'attribute[street]',
  'address.building': 'attribute[building]',
  'address.unit': 'attribute[unit]',
  'address.room': 'attribute[room]',
  type: 'attribute[case_type]',
  indoorTemperatureC: 'attribute[indoor_temperature]',
  daysWithoutHeat: 'attribute[days_without_heat]',
  description: 'description',
  contactName: 'first_name',
  'coordinates.latitude': 'lat',
  'coordinates.longitude': 'long',
};

/** Form fields arrive as `attribute[code]` keys (urlencoded, extended) or an `attribute` object (JSON). */
function attributesOf(body: Record<string, unknown>): Record<string, unknown> {
  const attrs: Record<string, unknown> = typeof body.attribute === 'object' && body.attribute !== null ? { ...(body.attribute as object) } : {};
  for (const [k, v] of Object.entries(body)) {
    const m = /^attribute\[(\w+)\]$/.exec(k);
    if (m) attrs[m[1]] = v;
  }
  return attrs;
}

const text = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : typeof v === 'string' ? v : String(v));
const num = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : typeof v === 'number' ? v : Number(v));

/**
 * Turns a GeoReport v2 `POST requests` body into a complaint, validated by the same rules as
 * every other channel; refusals name the Open311 parameter.
 */
export async function toComplaintInput(body: Record<string, unknown>, phone: string, client: string): Promise<ComplaintInput> {
  const serviceCode = text(body.service_code);
  if (!serviceCode || !isOpen311Service(serviceCode)) {
    throw new AppError('UNKNOWN_SERVICE', '服务代码（service_code）不正确，请先查询 GET services 获取可用的服务代码', 400, 'service_code');
  }
  const a = attributesOf(body);
  const lat = num(body.lat);
  const long = num(body.long);
  const candidate = {
    type: text(a.case_type) ?? 'complaint',
    category: serviceCode,
    communityName: text(a.community_name),
    address: {
      cityCode: text(a.city_code),
      districtCode: text(a.district_code),
      street: text(a.street) ?? text(body.address_string),
      building: text(a.building),
      unit: text(a.unit),
      room: text(a.room),
    },
    description: text(body.description),
    contactName: [text(body.last_name), text(body.first_name)].filter(Boolean).join('') || undefined,
    indoorTemperatureC: num(a.indoor_temperature),
    daysWithoutHeat: num(a.days_without_heat),
    coordinates: lat !== undefined || long !== undefined ? { latitude: lat, longitude: long } : undefined,
  };
  if (candidate.type !== 'complaint' && candidate.type !== 'report') {
    throw new AppError('VALIDATION_FAILED', '诉求类型（attribute[case_type]）只能是 complaint（投诉）或 report（举报）', 400, 'attribute[case_type]');
  }
  const dto = plainToInstance(ComplaintFieldsDto, candidate);
  const errors = await validate(dto, { stopAtFirstError: true });
  if (errors.length > 0) {
    const error = validationErrorToAppError(errors);
    const field = error.field ? (FIELD_NAMES[error.field] ?? error.field) : undefined;
    throw new AppError(error.code, error.message, error.status, field);
  }
  return { ...fieldsOf(dto), channel: 'open311', phone, recordedBy: `open311:${client}` };
}
