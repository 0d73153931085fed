import fc from 'fast-check';
import type { DataSource } from 'typeorm';
import type { ServiceName } from '#shared';
import type { TestSuite } from './embedded-suite.js';

/*
 * Property-based bad input for the public HTTP surface: random JSON, huge strings, odd Unicode
 * (RTL and zero-width marks, lone surrogate halves, emoji, NUL and other control characters),
 * wrong types. The rule every endpoint must keep: never a 5xx, a refusal in the endpoint's own
 * error format, and nothing written by a refused request.
 */

/** One seed for every fuzz run, so a failure replays the same inputs. */
export const FUZZ_SEED = 20_261_129;

const CHINESE = /[\u4e00-\u9fff]/;

const ODD_PIECES = [
  '\u0000', '\u0007', '\u001B[31m', '\u007F', '\u202E', '\u200F', '\u200B', '\u2028', '\uFEFF', '\uD800', '\uDFFF', '\uDBFF\uDBFF',
  '🔥', '👨‍👩‍👧', 'é', '\r\n', '\t', '１３８１２３４５６７８', '‮gnp.exe', "'; DROP TABLE complaint; --", '<script>alert(1)</script>',
  '${process.exit()}', '{{7*7}}', '%00', '%s%n', '../../etc/passwd', '\\', '"', 'null', 'NaN', '-0', '1e309', '   ', '　',
];

/** Text that breaks naive code: random code points (incl. surrogate halves) and known troublemakers. */
export const oddText = (maxLength = 60): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ maxLength, unit: 'binary' }),
    fc.string({ maxLength, unit: 'grapheme' }),
    fc.array(fc.constantFrom(...ODD_PIECES), { minLength: 1, maxLength: 6 }).map((parts) => parts.join('')),
    fc.tuple(fc.string({ maxLength: 12 }), fc.constantFrom(...ODD_PIECES), fc.string({ maxLength: 12 })).map(([a, b, c]) => `${a}${b}${c}`),
  );

/** A few thousand to 200,000 characters of one kind (some bodies pass the 1 MB limit, some not). */
export const hugeText: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('热', 'a', '🔥', '\u200B', '\u0000', '1'), fc.integer({ min: 2_001, max: 200_000 }))
  .map(([piece, n]) => piece.repeat(n));

/** A value of the wrong kind for any field. */
export const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER * 4, -0, 1e308, -1),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);

/** Times a database may not hold or a parser may read differently: year 0, far future, invalid days, offsets. */
export const oddDate: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '0000-01-01T00:00:00Z', '0001-01-01', '9999-12-31T23:59:59.999+14:00', '1969-12-31T23:59:59Z', '2026-02-30T00:00:00+08:00',
    '2026-11-29T24:00:00+08:00', '2026-11-29T25:61:00Z', '2026-11-29', '2026-W48', '20261129T080000Z', '+275760-09-13T00:00:00Z', '-000001-01-01T00:00:00Z',
  ),
  fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }).map((d) => d.toISOString()),
);

/** Numbers past the columns' ranges: int4, int8, doubles. */
export const bigNumber: fc.Arbitrary<number> = fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, 1e20, 1e308, -1e308, 5e-324);

/** Query values past integer and date ranges, as text. */
export const oddQueryValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('99999999999999999999', '9007199254740993', '1e20', '-0', '0x10', '1.5', 'Infinity', 'NaN', ' 7', '7 '),
  oddDate,
);

/** Mostly the valid value, otherwise odd text, a wrong type, a huge string or nothing. */
export function mutated<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: valid as fc.Arbitrary<unknown> },
    { weight: 2, arbitrary: oddText() },
    { weight: 2, arbitrary: wrongType },
    { weight: 1, arbitrary: fc.oneof(oddDate, bigNumber) },
    { weight: 1, arbitrary: hugeText },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

/**
 * A JSON body shaped like the endpoint's DTO with fields broken at random and unknown fields
 * added; now and then not an object at all.
 */
export function fuzzBody(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const shaped = fc
    .tuple(
      fc.record(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, mutated(v)])), { requiredKeys: [] }),
      fc.option(fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'prototype')), wrongType, { maxKeys: 2 }), { nil: undefined }),
    )
    .map(([body, extra]) => ({ ...(extra ?? {}), ...body }));
  return fc.oneof(
    { weight: 8, arbitrary: shaped },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.oneof(oddText(), wrongType) },
  );
}

/** Texts sent as `application/json` that are not JSON (or are JSON of a hostile kind). */
export const malformedJson: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '{', '{"a":', '[1,2', '{"phone":}', "{'a':1}", '{"a":1,}', 'NaN', '\u0000', '\uFEFF{}', '"\\ud800"', '{"x":"\\u0000"}',
    '{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}', '1e999999', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]',
  ),
  fc.string({ maxLength: 40, unit: 'binary' }),
);

/** A path segment from odd text, percent-encoded as a client would send it (some stay unencodable). */
export const oddSegment: fc.Arbitrary<string> = fc.oneof(
  fc.uuid(),
  oddText(40).map((s) => {
    try {
      return encodeURIComponent(s) || 'x';
    } catch {
      return '%ED%A0%80'; // a lone surrogate, as UTF-8 bytes that are not valid UTF-8
    }
  }),
  fc.constantFrom('..', '%2e%2e', '%00', 'a%00b', 'GR-20261129-%00', '%', '%zz', 'a%2Fb', '999999999999999999999', '-1', 'null', 'undefined', '%F0%9F%94%A5', '%E2%80%AE'),
);

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

export interface SendOptions {
  token?: string;
  json?: unknown;
  raw?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

/** One HTTP request; the reply with its headers, the body parsed when it is JSON. */
export async function send(method: string, url: string, options: SendOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | Buffer | undefined;
  if (options.raw !== undefined) {
    body = options.raw;
    headers['content-type'] = options.contentType ?? 'application/json';
  } else if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

/** How an endpoint refuses: the platform's `{code, message}`, Open311 errors, an SMS provider's answer, an HTML page. */
export type RefusalFormat = 'platform' | 'open311' | 'aliyun' | 'tencent' | 'html';

function isPlatformRefusal(reply: Reply): boolean {
  const b = reply.body;
  return typeof b === 'object' && b !== null && typeof b.code === 'string' && typeof b.message === 'string' && CHINESE.test(b.message) && (b.field === undefined || typeof b.field === 'string');
}

function isOwnRefusal(reply: Reply, format: RefusalFormat): boolean {
  const b = reply.body;
  switch (format) {
    case 'platform':
      return isPlatformRefusal(reply);
    case 'open311':
      return (Array.isArray(b) && b.length > 0 && typeof b[0].code === 'number' && typeof b[0].description === 'string') || /<errors>\s*<error>/.test(reply.text);
    case 'aliyun':
      return typeof b === 'object' && b !== null && b.code === reply.status && CHINESE.test(String(b.msg));
    case 'tencent':
      return typeof b === 'object' && b !== null && b.result === reply.status && CHINESE.test(String(b.errmsg));
    case 'html':
      return (reply.headers.get('content-type') ?? '').startsWith('text/html') && CHINESE.test(reply.text);
  }
}

const shorten = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}… (${text.length} characters)` : text);

/**
 * The rule for any answer: never a 5xx; a refusal in the endpoint's own format (or, for what is
 * refused before routing — malformed JSON, too large — the platform's); a 429 says when to retry.
 */
export function expectSoundAnswer(reply: Reply, format: RefusalFormat, what: string): void {
  if (reply.status >= 500) throw new Error(`${what} → ${reply.status} ${shorten(reply.text)}`);
  if (reply.status < 400) return;
  if (!isOwnRefusal(reply, format) && !isPlatformRefusal(reply)) {
    throw new Error(`${what} → ${reply.status} refused in an unexpected shape (${format} expected): ${shorten(reply.text)}`);
  }
  if (reply.status === 429 && !/^[1-9]\d*$/.test(reply.headers.get('retry-after') ?? '')) {
    throw new Error(`${what} → 429 without a Retry-After header`);
  }
}

/**
 * Every table of one service: row count and a digest of the rows. Tables that background work
 * updates (status columns of published outbox rows and the like) can be compared by count only.
 */
export class TableDigest {
  private tables?: string[];

  constructor(
    private readonly db: DataSource,
    private readonly countOnly: string[] = [],
  ) {}

  async take(): Promise<Record<string, string>> {
    this.tables ??= (
      (await this.db.query(
        `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`,
      )) as Array<{ t: string }>
    ).map((r) => r.t);
    const parts = this.tables.map((t) =>
      this.countOnly.includes(t)
        ? `SELECT '${t}' AS t, count(*)::text AS d FROM "${t}"`
        : `SELECT '${t}' AS t, count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') AS d FROM "${t}" x`,
    );
    const rows = (await this.db.query(parts.join(' UNION ALL '))) as Array<{ t: string; d: string }>;
    return Object.fromEntries(rows.map((r) => [r.t, r.d]));
  }
}

export interface FuzzTarget<T> {
  /** What is being fuzzed, e.g. "POST /api/v1/verifications". */
  name: string;
  /** The service whose tables a refused request must leave as they were. */
  service: ServiceName;
  input: fc.Arbitrary<T>;
  send: (input: T) => Promise<Reply>;
  refusal?: RefusalFormat;
  runs?: number;
  countOnly?: string[];
}

/**
 * Runs random inputs against one endpoint: every answer is sound (expectSoundAnswer) and every
 * refused request leaves the service's tables exactly as they were (compared row by row). After
 * an accepted request the suite settles, so the next comparison starts from a quiet state.
 */
export async function fuzzEndpoint<T>(suite: TestSuite, target: FuzzTarget<T>): Promise<{ accepted: number; refused: number }> {
  const digest = new TableDigest(suite.db(target.service), target.countOnly);
  const counts = { accepted: 0, refused: 0 };
  await suite.settle();
  await fc.assert(
    fc.asyncProperty(target.input, async (input) => {
      const before = await digest.take();
      const reply = await target.send(input);
      expectSoundAnswer(reply, target.refusal ?? 'platform', target.name);
      if (reply.status >= 400) {
        counts.refused++;
        const after = await digest.take();
        const changed = Object.keys(before).filter((t) => before[t] !== after[t]);
        if (changed.length > 0) throw new Error(`${target.name} → ${reply.status} refused, yet changed ${changed.join(', ')}: ${shorten(reply.text)}`);
      } else {
        counts.accepted++;
        await suite.settle();
      }
    }),
    { seed: FUZZ_SEED, numRuns: target.runs ?? 30, endOnFailure: true },
  );
  return counts;
}
