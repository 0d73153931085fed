/*
 * Finds mainland mobile numbers in log lines, however they are written: 13712345678,
 * 137 1234 5678, 137-1234-5678, +86 137…, 0086137…, and percent-encoded in URLs
 * (137%201234%205678, %2B86…). Ids and timestamps are blanked first, so their digits are not
 * mistaken for numbers.
 */

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const ISO_TIME = /\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g;
const SEP = '[\\s\\-.+_]?';
const MOBILE = new RegExp(`(?<!\\d)(?:(?:\\+|00)?86${SEP})?1[3-9]\\d${SEP}\\d{4}${SEP}\\d{4}(?!\\d)`, 'g');

/** Every mobile number written in the line. */
export function findMobileNumbers(line: string): string[] {
  const decoded = line.replace(/%(2[0BbDd]|5[Ff])/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return decoded.replace(UUID, ' ').replace(ISO_TIME, ' ').match(MOBILE) ?? [];
}

/** 13712345678 (in any spelling) → 137****5678, so a failing test prints no full number either. */
export function maskedForReport(found: string): string {
  const digits = found.replace(/\D/g, '').slice(-11);
  return `${digits.slice(0, 3)}****${digits.slice(7)}`;
}

/** The lines holding a full number, each with the numbers masked, for a failure message. */
export function linesWithMobileNumbers(lines: string[]): string[] {
  const offending: string[] = [];
  for (const line of lines) {
    const found = findMobileNumbers(line);
    if (found.length === 0) continue;
    let shown = line.trim();
    for (const number of found) shown = shown.split(number).join(`«${maskedForReport(number)}»`);
    offending.push(shown.length > 600 ? `${shown.slice(0, 600)}…` : shown);
  }
  return offending;
}
