import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector } from 'undici';

/*
 * SSRF guard for company webhooks: a company chooses the URL, the platform makes the request, so a
 * URL must not reach the platform's own network — loopback, RFC 1918, link-local (cloud metadata
 * at 169.254.169.254), CGNAT, unique-local IPv6, multicast, unspecified and other special ranges.
 * Checked when the URL is set, and again on every connection (the name may resolve elsewhere by
 * then: DNS rebinding).
 */

/** Cloud metadata services, named as such in errors (most also fall in a blocked range). */
const METADATA_ADDRESSES = new Set(['169.254.169.254', '169.254.170.2', '100.100.100.200', 'fd00:ec2::254']);

/** Why an address is not a public unicast address, or null when it is. */
export function blockedRangeOf(address: string): string | null {
  const bare = address.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(bare)) return 'invalid';
  const ip = ipaddr.process(bare); // ::ffff:10.0.0.1 is 10.0.0.1
  if (METADATA_ADDRESSES.has(ip.toNormalizedString()) || METADATA_ADDRESSES.has(ip.toString())) return 'metadata';
  const range = ip.range();
  return range === 'unicast' ? null : range;
}

const RANGE_ZH: Record<string, string> = {
  metadata: '云服务器元数据地址',
  loopback: '本机环回地址',
  private: '内网地址',
  linkLocal: '链路本地地址',
  carrierGradeNat: '运营商级 NAT 地址',
  uniqueLocal: 'IPv6 内网地址',
  multicast: '组播地址',
  unspecified: '未指定地址',
  broadcast: '广播地址',
};

/** The Chinese name of a blocked range, for the company's staff. */
export function rangeNameZh(range: string): string {
  return RANGE_ZH[range] ?? '保留或非公网地址';
}

/** A connection refused by the guard; its message is recorded on the attempt. */
export class WebhookTargetRefused extends Error {
  constructor(
    readonly host: string,
    readonly address: string,
    readonly range: string,
  ) {
    super(
      `target ${host}${host === address ? '' : ` (${address})`} is a ${range === 'metadata' ? 'cloud metadata' : range} address; ` +
        'private targets are not allowed (WEBHOOK_ALLOW_PRIVATE_TARGETS=false)',
    );
    this.name = 'WebhookTargetRefused';
  }
}

export type LookupAll = (hostname: string, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

const systemLookupAll: LookupAll = (hostname, callback) => dnsLookup(hostname, { all: true, verbatim: true }, callback);

/** The outcome of checking a URL's host. */
export type TargetCheck =
  | { ok: true }
  | { ok: false; kind: 'blocked'; host: string; address: string; range: string }
  | { ok: false; kind: 'unresolvable'; host: string; reason: string };

/** Resolves the URL's host and checks every address it resolves to (used when a company sets its URL). */
export async function checkWebhookTarget(url: string, resolveAll: LookupAll = systemLookupAll): Promise<TargetCheck> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    const range = blockedRangeOf(host);
    return range ? { ok: false, kind: 'blocked', host, address: host, range } : { ok: true };
  }
  let addresses: LookupAddress[];
  try {
    addresses = await new Promise<LookupAddress[]>((resolve, reject) => resolveAll(host, (e, a) => (e ? reject(e) : resolve(a))));
  } catch (error) {
    return { ok: false, kind: 'unresolvable', host, reason: (error as NodeJS.ErrnoException).code ?? (error as Error).message };
  }
  if (addresses.length === 0) return { ok: false, kind: 'unresolvable', host, reason: 'ENOTFOUND' };
  for (const a of addresses) {
    const range = blockedRangeOf(a.address);
    if (range) return { ok: false, kind: 'blocked', host, address: a.address, range };
  }
  return { ok: true };
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for net/tls connect that refuses names resolving to a blocked address (any of them:
 * a name with one public and one private address is refused, the socket could pick either).
 */
export function guardedLookup(allowPrivate: boolean, resolveAll: LookupAll = systemLookupAll) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolveAll(hostname, (error, all) => {
      if (error) return callback(error, []);
      const wanted = options.family === 4 || options.family === 6 ? all.filter((a) => a.family === options.family) : all;
      if (wanted.length === 0) {
        const notFound: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
        notFound.code = 'ENOTFOUND';
        return callback(notFound, []);
      }
      if (!allowPrivate) {
        for (const a of wanted) {
          const range = blockedRangeOf(a.address);
          if (range) return callback(new WebhookTargetRefused(hostname, a.address, range), []);
        }
      }
      if (options.all) callback(null, wanted);
      else callback(null, wanted[0].address, wanted[0].family);
    });
  };
}

export interface GuardedAgentOptions {
  /** Fixed for the agent's life: its pooled connections were checked under this rule. */
  allowPrivate: boolean;
  /** DNS resolution (tests resolve names to chosen addresses). */
  resolveAll?: LookupAll;
  connectTimeoutMs?: number;
}

/**
 * An undici Agent whose connections go only to public addresses (unless allowed): an IP literal
 * in the URL is checked before connecting, a name is checked as it resolves.
 */
export function createGuardedAgent(options: GuardedAgentOptions): Agent {
  const connect = buildConnector({
    lookup: guardedLookup(options.allowPrivate, options.resolveAll) as never,
    timeout: options.connectTimeoutMs ?? 10_000,
  });
  return new Agent({
    // One connection per delivery: a pooled connection the receiver has meanwhile closed would fail
    // the (non-idempotent) POST; and each connection passes the guard afresh.
    pipelining: 0,
    connect: (opts, callback) => {
      const host = opts.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host) && !options.allowPrivate) {
        const range = blockedRangeOf(host);
        if (range) return callback(new WebhookTargetRefused(host, host, range), null);
      }
      connect(opts, callback);
    },
  });
}
