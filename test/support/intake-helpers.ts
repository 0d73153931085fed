import { deflateSync } from 'node:zlib';
import type { TokenService } from '#shared';
import { call, readResponse } from './http.js';

/*
 * Helpers for the intake end-to-end tests: phone verification through the console SMS gateway,
 * photo uploads with raw bodies, and a real (tiny) PNG built byte by byte.
 */

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/** A valid 1×1 RGB PNG (one pixel of the given colour): signature, IHDR, IDAT (zlib), IEND, with CRCs. */
export function tinyPng(rgb: [number, number, number] = [255, 0, 0]): Buffer {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0); // width
  ihdr.writeUInt32BE(1, 4); // height
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour RGB
  ihdr[10] = 0; // compression
  ihdr[11] = 0; // filter
  ihdr[12] = 0; // interlace
  const scanline = Buffer.from([0, ...rgb]); // filter type 0, then the pixel
  return Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(scanline)), pngChunk('IEND', Buffer.alloc(0))]);
}

/** POST with a raw (non-JSON) body: photos, plain text. */
export async function postRaw(
  url: string,
  token: string | undefined,
  body: Buffer | string,
  contentType: string,
): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': contentType },
    body,
  });
  return readResponse(res);
}

export function masked(phone: string): string {
  return `${phone.slice(0, 3)}****${phone.slice(7)}`;
}

export interface VerificationClient {
  intakeUrl: string;
  tokens: TokenService;
}

/** Asks for a code as a browser at `ip` would (the suite trusts X-Forwarded-For from loopback). */
export function requestCode(intakeUrl: string, phone: unknown, ip: string) {
  return call('POST', `${intakeUrl}/api/v1/verifications`, undefined, { phone }, { 'x-forwarded-for': ip });
}

export function confirmCode(intakeUrl: string, verificationId: string, code: string) {
  return call('POST', `${intakeUrl}/api/v1/verifications/${verificationId}/confirm`, undefined, { code });
}

/** The newest verification code texted to `phone`, read from intake's console SMS mailbox. */
export async function latestCode(client: VerificationClient, phone: string): Promise<string> {
  const province = await client.tokens.sign({ sub: 'prov-sms-reader', role: 'province' }, 120);
  const r = await call('GET', `${client.intakeUrl}/api/v1/sms/messages?limit=500`, province);
  if (r.status !== 200) throw new Error(`GET /api/v1/sms/messages → ${r.status} ${JSON.stringify(r.body)}`);
  const message = (r.body as Array<{ phone: string; text: string; direction: string }>).find(
    (m) => m.direction === 'out' && m.phone === masked(phone) && /验证码/.test(m.text),
  );
  const code = message?.text.match(/验证码是 (\d{6})/)?.[1];
  if (!code) throw new Error(`no verification SMS for ${masked(phone)}`);
  return code;
}

/** The whole 实名 flow for one phone: request a code, read the SMS, confirm; returns the resident token. */
export async function verifyPhone(client: VerificationClient, phone: string, ip: string): Promise<string> {
  const requested = await requestCode(client.intakeUrl, phone, ip);
  if (requested.status !== 202) throw new Error(`code request → ${requested.status} ${JSON.stringify(requested.body)}`);
  const code = await latestCode(client, phone);
  const confirmed = await confirmCode(client.intakeUrl, requested.body.verificationId, code);
  if (confirmed.status !== 200) throw new Error(`confirm → ${confirmed.status} ${JSON.stringify(confirmed.body)}`);
  return confirmed.body.token as string;
}
