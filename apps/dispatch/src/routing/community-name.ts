import { TRADITIONAL_TO_SIMPLIFIED } from './char-tables.js';

/** Generic words that end community names and say nothing about which community it is. */
export const COMMUNITY_SUFFIXES: readonly string[] = ['小区', '花园', '家园', '号院', '社区', '新村', '公寓', '园区', '苑'];
const TRADITIONAL_CHAR = new RegExp(`[${[...TRADITIONAL_TO_SIMPLIFIED.keys()].join('')}]`, 'gu');
const CN_DIGITS: Record<string, string> = { 零: '0', 〇: '0', 一: '1', 二: '2', 两: '2', 三: '3', 四: '4', 五: '5', 六: '6', 七: '7', 八: '8', 九: '9' };

/**
 * A community name taken apart for matching:
 *   「幸福 小区·三期」 → core 「幸福」, suffix 「小区」, designation 「3期」, normalized 「幸福3期」.
 * `normalized` (= core + designation) is what exact matching compares and what the registry stores
 * as `normalizedName`; `core`, `suffix` and `designation` feed the similarity score.
 */
export interface ParsedCommunityName {
  /** core + designation: the comparable form (normalizeCommunityName). */
  normalized: string;
  /** The distinctive part: the name without generic suffixes and without the phase/section. */
  core: string;
  /** The generic suffixes dropped from the end of the core, in reading order ('' if none). */
  suffix: string;
  /** Phase / section / block at the end, digits: 「3期」, 「3期2区」, 「a座」 ('' if none). */
  designation: string;
}

/**
 * Half-width, lower case, simplified characters, no spaces/punctuation/symbols (incl. ·, 、, －),
 * Chinese numerals before 期/区/号/栋/座 as digits (三期 → 3期, 十二期 → 12期, 第三期 → 3期,
 * 03期 → 3期). Everything except suffix handling.
 */
export function cleanCommunityName(input: string): string {
  let s = input.normalize('NFKC').toLowerCase();
  s = s.replace(/[\s\p{P}\p{S}]/gu, '');
  s = s.replace(TRADITIONAL_CHAR, (ch) => TRADITIONAL_TO_SIMPLIFIED.get(ch)!);
  s = s.replace(/([零〇一二两三四五六七八九十]+)(?=[期区号栋座])/g, (m) => chineseNumeral(m));
  return tidyDesignation(s);
}

/** Takes a community name apart into core, suffix and designation (see ParsedCommunityName). */
export function parseCommunityName(input: string): ParsedCommunityName {
  let s = cleanCommunityName(input);
  let suffix = '';
  for (let round = 0; ; round++) {
    const part = split(s);
    suffix = part.suffix + suffix;
    const normalized = part.core + part.designation;
    // Dropping a suffix can bring a 第, a leading zero or a further designation up to the
    // designation (幸福3区小区2期 → 幸福3区2期): tidy and split again until nothing changes, so that
    // a normalized name normalizes to itself.
    if (!part.suffix || round >= 4 || !/[\da-z期区号栋座第]$/u.test(part.core)) {
      return { normalized, core: part.core, suffix, designation: part.designation };
    }
    const tidied = tidyDesignation(normalized);
    if (tidied === normalized && split(tidied).designation === part.designation) {
      return { normalized, core: part.core, suffix, designation: part.designation };
    }
    s = tidied;
  }
}

/** 第三期 → 3期, 03期 → 3期 (repeated: removing one can expose the other, as in 第0第3期). */
function tidyDesignation(s: string): string {
  if (!s.includes('第') && !s.includes('0')) return s;
  for (let round = 0; round < 8; round++) {
    const tidied = s.replace(/第+(?=\d+[期区号栋座])/g, '').replace(/(?<!\d)0+(?=\d+[期区号栋座])/g, '');
    if (tidied === s) break;
    s = tidied;
  }
  return s;
}

/** One pass: designation off the end, then the generic suffixes off the end of what is left. */
function split(s: string): { core: string; suffix: string; designation: string } {
  // The suffix may come before the phase (幸福小区三期): strip it from the part before "3期", too.
  const designation = /(?:(?:\d+|[a-z])[期区号栋座])+$/u.exec(s)?.[0] ?? '';
  let core = s.slice(0, s.length - designation.length);
  let suffix = '';
  for (let changed = true; changed; ) {
    changed = false;
    for (const word of COMMUNITY_SUFFIXES) {
      if (core.length > word.length + 1 && core.endsWith(word)) {
        core = core.slice(0, -word.length);
        suffix = word + suffix;
        changed = true;
      }
    }
  }
  return { core, suffix, designation };
}

/**
 * The comparable form of a community name: half-width, simplified, no spaces or punctuation
 * (incl. ·), Chinese numerals before 期/区/号 as digits, common suffixes (小区, 花园, 家园, 号院 …)
 * dropped. "幸福 小区·三期" and "幸福3期" compare equal.
 */
export function normalizeCommunityName(input: string): string {
  return parseCommunityName(input).normalized;
}

/** 三 → 3, 十二 → 12, 二十 → 20 (small numbers, as used in phase and block names). */
function chineseNumeral(text: string): string {
  if (!text.includes('十')) return [...text].map((ch) => CN_DIGITS[ch] ?? ch).join('');
  const [tens, ones] = text.split('十');
  const t = tens === '' ? 1 : Number(CN_DIGITS[tens] ?? 0);
  const o = ones === '' ? 0 : Number(CN_DIGITS[ones] ?? 0);
  return String(t * 10 + o);
}
