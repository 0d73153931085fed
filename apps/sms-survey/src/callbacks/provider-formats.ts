import { createHash } from 'node:crypto';
import { normalizeMainlandMobile } from '#shared';
import type { PhoneVault } from '#shared';

export type CallbackProvider = 'aliyun' | 'tencent';

/** A reply longer than this is kept cut to this length (and flagged), still acknowledged. */
export const INBOUND_TEXT_MAX_CHARS = 500;
/** The other fields a provider sends are short; anything longer is cut, never stored whole. */
const FIELD_MAX_CHARS = 64;

/** One reply read from a provider's callback, ready to be recorded. */
export interface InboundReply {
  receiptKey: string;
  /** The 11-digit mainland mobile, or null when the number is not one (then `problem` says so). */
  phone: string | null;
  text: string;
  truncated: boolean;
  /** Characters (code points) of the text as received. */
  originalLength: number;
  providerTime: string | null;
  destCode: string | null;
  signName: string | null;
  /** Why it is kept but not handed to the survey. */
  problem: 'not_a_mainland_mobile' | 'not_from_china_86' | null;
}

/** What one callback body held: the replies to record, and why items were skipped (no phone numbers in there). */
export interface ParsedCallback {
  replies: InboundReply[];
  skipped: string[];
}

/** The body is not what the provider sends at all (not an array / object): answered 400. */
export class MalformedCallbackBody extends Error {}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** PostgreSQL text cannot hold NUL; everything else is kept as received. */
const storable = (s: string) => s.replace(/\u0000/g, '\uFFFD');

/** A short scalar field (number or text) as text, cut to FIELD_MAX_CHARS; anything else is absent. */
function field(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string' || value === '') return null;
  return Array.from(storable(value)).slice(0, FIELD_MAX_CHARS).join('');
}

function replyText(text: string): Pick<InboundReply, 'text' | 'truncated' | 'originalLength'> {
  const chars = Array.from(storable(text));
  const truncated = chars.length > INBOUND_TEXT_MAX_CHARS;
  return { text: truncated ? chars.slice(0, INBOUND_TEXT_MAX_CHARS).join('') : chars.join(''), truncated, originalLength: chars.length };
}

function phoneOf(value: unknown): string | null {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return normalizeMainlandMobile(String(value));
  return typeof value === 'string' && value.length <= 32 ? normalizeMainlandMobile(value) : null;
}

/**
 * Aliyun SmsUp (上行短信) HTTP push: a JSON array of
 * `{phone_number, content, send_time, dest_code, sequence_id, sign_name}`; sequence_id identifies
 * the message across redeliveries.
 */
export function parseAliyunCallback(body: unknown): ParsedCallback {
  if (!Array.isArray(body)) throw new MalformedCallbackBody('the body must be a JSON array of messages');
  const parsed: ParsedCallback = { replies: [], skipped: [] };
  body.forEach((item, i) => {
    if (!isRecord(item)) return void parsed.skipped.push(`item ${i}: not an object`);
    const seq = item.sequence_id;
    const key = typeof seq === 'number' && Number.isInteger(seq) && seq >= 0 ? String(seq) : typeof seq === 'string' && /^\d{1,30}$/.test(seq) ? seq : null;
    if (!key) return void parsed.skipped.push(`item ${i}: no sequence_id (a non-negative integer)`);
    if (typeof item.content !== 'string') return void parsed.skipped.push(`item ${i} (sequence_id ${key}): no content text`);
    const phone = phoneOf(item.phone_number);
    parsed.replies.push({
      receiptKey: key,
      phone,
      ...replyText(item.content),
      providerTime: field(item.send_time),
      destCode: field(item.dest_code),
      signName: field(item.sign_name),
      problem: phone ? null : 'not_a_mainland_mobile',
    });
  });
  return parsed;
}

/**
 * Tencent Cloud SMS reply (回复短信) callback: `{extend, mobile, nationcode, sign, text, time}`, one
 * object or an array of them. No message id: a redelivery is recognised by a hash of mobile, time and text.
 */
export function parseTencentCallback(body: unknown): ParsedCallback {
  const items = Array.isArray(body) ? body : isRecord(body) ? [body] : null;
  if (!items) throw new MalformedCallbackBody('the body must be a JSON object (or an array of objects)');
  const parsed: ParsedCallback = { replies: [], skipped: [] };
  items.forEach((item, i) => {
    if (!isRecord(item)) return void parsed.skipped.push(`item ${i}: not an object`);
    const mobile = typeof item.mobile === 'number' ? String(item.mobile) : item.mobile;
    const time = typeof item.time === 'number' && Number.isFinite(item.time) ? String(item.time) : item.time;
    if (typeof mobile !== 'string' || mobile === '' || mobile.length > 32) return void parsed.skipped.push(`item ${i}: no mobile`);
    if (typeof time !== 'string' || time === '' || time.length > FIELD_MAX_CHARS) return void parsed.skipped.push(`item ${i}: no time`);
    if (typeof item.text !== 'string') return void parsed.skipped.push(`item ${i}: no text`);
    const receiptKey = createHash('sha256').update(JSON.stringify([mobile, time, item.text])).digest('hex');
    const phone = phoneOf(mobile);
    const fromChina = String(item.nationcode ?? '').replace(/^\+/, '') === '86';
    parsed.replies.push({
      receiptKey,
      phone: fromChina ? phone : null,
      ...replyText(item.text),
      providerTime: field(time),
      destCode: field(item.extend),
      signName: field(item.sign),
      problem: !fromChina ? 'not_from_china_86' : phone ? null : 'not_a_mainland_mobile',
    });
  });
  return parsed;
}

/**
 * The key a receipt is stored under. Tencent's (SHA-256 of mobile, time and text) is keyed again
 * with the blind-index key: a plain hash of a number, next to the time and text stored in clear,
 * gives the number back by trying every mobile.
 */
export function storedReceiptKey(vault: PhoneVault, provider: CallbackProvider, receiptKey: string): string {
  return provider === 'tencent' ? vault.hash(`tencent-receipt:${receiptKey}`) : receiptKey;
}
