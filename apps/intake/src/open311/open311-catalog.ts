import { CATEGORIES, CATEGORY_LABELS, liaoningDivisions } from '#shared';
import type { Category } from '#shared';

/*
 * Heating categories as GeoReport v2 services (https://wiki.open311.org/GeoReport_v2): the service
 * code is the category, the attributes carry what DOMAIN.md requires (community, structured
 * address, temperature, days without heat).
 */

export interface Open311Service {
  service_code: string;
  service_name: string;
  description: string;
  metadata: boolean;
  type: 'realtime';
  keywords: string;
  group: string;
}

export interface Open311Attribute {
  variable: boolean;
  code: string;
  datatype: 'string' | 'number' | 'text' | 'singlevaluelist';
  required: boolean;
  datatype_description: string;
  order: number;
  description: string;
  values?: Array<{ key: string; name: string }>;
}

/** Policy questions are answered on the hotline; everything else can be reported through Open311. */
export const OPEN311_CATEGORIES = CATEGORIES.filter((c) => c !== 'policy_question');

const DESCRIPTIONS: Partial<Record<Category, string>> = {
  too_cold: '室内温度低于标准（卧室、起居室 18℃），请填写实测室温',
  heating_not_started: '供暖期开始后仍未供热，请填写未供热天数',
  heating_cut_off: '供暖中途停热，请填写未供热天数',
};

export function isOpen311Service(code: string): code is Category {
  return (OPEN311_CATEGORIES as readonly string[]).includes(code);
}

export function open311Services(): Open311Service[] {
  return OPEN311_CATEGORIES.map((code) => ({
    service_code: code,
    service_name: CATEGORY_LABELS[code],
    description: DESCRIPTIONS[code] ?? `供热问题：${CATEGORY_LABELS[code]}`,
    metadata: true,
    type: 'realtime',
    keywords: '供热,暖气,heating',
    group: '供热 heating',
  }));
}

export function open311Attributes(code: Category): Open311Attribute[] {
  const cities = liaoningDivisions().map((c) => ({ key: c.code, name: c.name }));
  const attrs: Open311Attribute[] = [
    { variable: true, code: 'community_name', datatype: 'string', required: true, datatype_description: '小区名称', order: 1, description: '小区名称，例如 金地小区' },
    { variable: true, code: 'city_code', datatype: 'singlevaluelist', required: true, datatype_description: '城市', order: 2, description: '所在城市（GB/T 2260 代码）', values: cities },
    { variable: true, code: 'district_code', datatype: 'string', required: true, datatype_description: '6 位区县代码', order: 3, description: '所在区县（GB/T 2260 代码，例如和平区 210102）' },
    { variable: true, code: 'street', datatype: 'string', required: true, datatype_description: '街道/路及门牌', order: 4, description: '街道/路及门牌号' },
    { variable: true, code: 'building', datatype: 'string', required: false, datatype_description: '楼号', order: 5, description: '楼号' },
    { variable: true, code: 'unit', datatype: 'string', required: false, datatype_description: '单元', order: 6, description: '单元' },
    { variable: true, code: 'room', datatype: 'string', required: false, datatype_description: '房间号', order: 7, description: '房间号' },
    {
      variable: true, code: 'case_type', datatype: 'singlevaluelist', required: false, datatype_description: '诉求类型', order: 8, description: '投诉或举报（默认投诉）',
      values: [{ key: 'complaint', name: '投诉' }, { key: 'report', name: '举报' }],
    },
  ];
  if (code === 'too_cold') {
    attrs.push({ variable: true, code: 'indoor_temperature', datatype: 'number', required: true, datatype_description: '℃，−20 至 40', order: 9, description: '实测室温（℃）' });
  }
  if (code === 'heating_not_started' || code === 'heating_cut_off') {
    attrs.push({ variable: true, code: 'days_without_heat', datatype: 'number', required: true, datatype_description: '1 至 200 的整数', order: 9, description: '未供热天数' });
  }
  return attrs;
}
