/** Mainland China mobile numbers: 11 digits starting 13–19. */
const MAINLAND_MOBILE = /^1[3-9]\d{9}$/;

/** Strips spaces, dashes and a +86/0086 prefix; returns the 11-digit number or null. */
export function normalizeMainlandMobile(input: string): string | null {
  const compact = input.replace(/[\s-]/g, '').replace(/^(\+86|0086|86)(?=1\d{10}$)/, '');
  return MAINLAND_MOBILE.test(compact) ? compact : null;
}

/** 13812341234 → 138****1234. Anything that is not a full number is masked whole. */
export function maskPhone(phone: string): string {
  return /^\d{11}$/.test(phone) ? `${phone.slice(0, 3)}****${phone.slice(7)}` : '***';
}

const PHONE_IN_TEXT = /(?<!\d)(?:(?:\+|00)?86)?(1[3-9]\d)(\d{4})(\d{4})(?!\d)/g;

/** Masks every mainland mobile number inside free text (log lines, notes). */
export function maskPhonesInText(text: string): string {
  return text.replace(PHONE_IN_TEXT, (_m, a: string, _b: string, c: string) => `${a}****${c}`);
}
