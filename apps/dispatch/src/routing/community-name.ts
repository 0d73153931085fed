const SUFFIXES = ['小区', '花园', '家园', '号院', '社区', '新村', '公寓', '园区', '苑'];
const CN_DIGITS: Record<string, string> = { 零: '0', 〇: '0', 一: '1', 二: '2', 两: '2', 三: '3', 四: '4', 五: '5', 六: '6', 七: '7', 八: '8', 九: '9' };

/**
 * The comparable form of a community name: half-width, no spaces or punctuation (incl. ·),
 * Chinese numerals before 期/区/号 as digits, common suffixes (小区, 花园, 家园, 号院 …) dropped.
 * "幸福 小区·三期" and "幸福3期" compare equal.
 */
export function normalizeCommunityName(input: string): string {
  let s = input.normalize('NFKC').toLowerCase();
  s = s.replace(/[\s\p{P}\p{S}]/gu, '');
  s = s.replace(/([零〇一二两三四五六七八九十]+)(?=[期区号栋座])/g, (m) => chineseNumeral(m));
  // The suffix may come before the phase (幸福小区三期): strip it from the part before "3期", too.
  const designation = /(?:\d+[期区号栋座])+$/u.exec(s)?.[0] ?? '';
  let head = s.slice(0, s.length - designation.length);
  for (let changed = true; changed; ) {
    changed = false;
    for (const suffix of SUFFIXES) {
      if (head.length > suffix.length + 1 && head.endsWith(suffix)) {
        head = head.slice(0, -suffix.length);
        changed = true;
      }
    }
  }
  return head + designation;
}

/** 三 → 3, 十二 → 12, 二十 → 20 (small numbers, as used in phase and block names). */
function chineseNumeral(text: string): string {
  if (!text.includes('十')) return [...text].map((ch) => CN_DIGITS[ch] ?? ch).join('');
  const [tens, ones] = text.split('十');
  const t = tens === '' ? 1 : Number(CN_DIGITS[tens] ?? 0);
  const o = ones === '' ? 0 : Number(CN_DIGITS[ones] ?? 0);
  return String(t * 10 + o);
}
