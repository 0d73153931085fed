import { describe, expect, it } from '@jest/globals';
import type { LookupAddress } from 'node:dns';
import { blockedRangeOf, checkWebhookTarget, guardedLookup, rangeNameZh, WebhookTargetRefused } from './webhook-target-guard.js';
import type { LookupAll } from './webhook-target-guard.js';

/*
 * Companies choose their webhook URL and the platform makes the request: without a guard, a URL
 * could make the platform call its own network (SSRF). Only these addresses are classified here;
 * none of them is ever contacted.
 */

/** A resolver with fixed answers (no DNS): name → addresses. */
function fakeDns(table: Record<string, string[]>): LookupAll {
  return (hostname, callback) => {
    const addresses = table[hostname];
    if (!addresses) {
      const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
      error.code = 'ENOTFOUND';
      return callback(error, []);
    }
    callback(
      null,
      addresses.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
  };
}

describe('only public unicast addresses are webhook targets', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['10.0.0.1', 'private'],
    ['10.255.255.254', 'private'],
    ['172.16.5.4', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'metadata'],
    ['169.254.1.1', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.100.100.200', 'metadata'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['fd00:ec2::254', 'metadata'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['64:ff9b::a00:1', 'rfc6052'],
    ['2002:a00:1::', '6to4'],
    ['not-an-address', 'invalid'],
  ])('%s is refused (%s)', (address, range) => {
    expect(blockedRangeOf(address)).toBe(range);
  });

  it.each(['8.8.8.8', '1.1.1.1', '223.5.5.5', '114.114.114.114', '172.32.0.1', '100.128.0.1', '11.0.0.1', '2400:3200::1', '240e:1::1'])(
    '%s is a public address and allowed',
    (address) => {
      expect(blockedRangeOf(address)).toBeNull();
    },
  );

  it('every blocked range has a Chinese name for the company (unknown ones read as reserved/non-public)', () => {
    expect(rangeNameZh('loopback')).toBe('本机环回地址');
    expect(rangeNameZh('private')).toBe('内网地址');
    expect(rangeNameZh('metadata')).toBe('云服务器元数据地址');
    expect(rangeNameZh('6to4')).toBe('保留或非公网地址');
  });
});

describe('checking a URL when the company sets it: IP literals directly, names by every address they resolve to', () => {
  const dns = fakeDns({
    'hooks.example-heating.cn': ['203.119.1.1', '2400:3200::1'],
    'sneaky.example.cn': ['203.119.1.1', '10.0.0.5'],
    'metadata.example.cn': ['169.254.169.254'],
  });

  it('a name resolving only to public addresses is accepted', async () => {
    await expect(checkWebhookTarget('https://hooks.example-heating.cn/cases', dns)).resolves.toEqual({ ok: true });
  });

  it('a name with one private address among public ones is refused (the connection could pick it)', async () => {
    await expect(checkWebhookTarget('https://sneaky.example.cn/x', dns)).resolves.toEqual({
      ok: false,
      kind: 'blocked',
      host: 'sneaky.example.cn',
      address: '10.0.0.5',
      range: 'private',
    });
  });

  it('a name pointing at the cloud metadata service is refused', async () => {
    await expect(checkWebhookTarget('http://metadata.example.cn/latest', dns)).resolves.toMatchObject({ ok: false, range: 'metadata' });
  });

  it.each([
    ['http://127.0.0.1:8080/hook', 'loopback'],
    ['http://10.1.2.3/hook', 'private'],
    ['http://169.254.169.254/latest/meta-data/', 'metadata'],
    ['http://[::1]:8080/hook', 'loopback'],
    ['http://2130706433/hook', 'loopback'], // decimal 127.0.0.1, normalised by the URL parser
    ['http://0x7f.0.0.1/hook', 'loopback'],
    ['http://[::ffff:192.168.0.1]/hook', 'private'],
  ])('%s is refused as %s without any DNS lookup', async (url, range) => {
    const noDns: LookupAll = () => {
      throw new Error('no lookup expected for an IP literal');
    };
    await expect(checkWebhookTarget(url, noDns)).resolves.toMatchObject({ ok: false, kind: 'blocked', range });
  });

  it('a name that does not resolve is reported as unresolvable, with the resolver code', async () => {
    await expect(checkWebhookTarget('https://nowhere.example.cn/', dns)).resolves.toEqual({
      ok: false,
      kind: 'unresolvable',
      host: 'nowhere.example.cn',
      reason: 'ENOTFOUND',
    });
  });
});

describe('checking at connect time (DNS rebinding): the socket lookup refuses private answers', () => {
  const rebinding = fakeDns({ 'rebind.example.cn': ['127.0.0.1'], 'both.example.cn': ['203.119.1.1', '::1'], 'v4.example.cn': ['203.119.1.1'] });
  const lookupOf = (allow: boolean, hostname: string, options: { all?: boolean; family?: number } = {}) =>
    new Promise<{ error: Error | null; address: unknown; family?: number }>((resolve) =>
      guardedLookup(allow, rebinding)(hostname, options, (error, address, family) => resolve({ error, address, family })),
    );

  it('a name that now resolves to loopback is refused with a WebhookTargetRefused naming host and address', async () => {
    const { error } = await lookupOf(false, 'rebind.example.cn');
    expect(error).toBeInstanceOf(WebhookTargetRefused);
    expect(error!.message).toBe(
      'target rebind.example.cn (127.0.0.1) is a loopback address; private targets are not allowed (WEBHOOK_ALLOW_PRIVATE_TARGETS=false)',
    );
  });

  it('any private address among the answers is refused, also when the socket asks for all of them', async () => {
    expect((await lookupOf(false, 'both.example.cn', { all: true })).error).toBeInstanceOf(WebhookTargetRefused);
  });

  it('public answers pass through in the shape the socket asked for (one address, or all)', async () => {
    expect(await lookupOf(false, 'v4.example.cn')).toEqual({ error: null, address: '203.119.1.1', family: 4 });
    expect((await lookupOf(false, 'v4.example.cn', { all: true })).address).toEqual([{ address: '203.119.1.1', family: 4 }]);
  });

  it('a family the name has no address of is "not found", not a crash', async () => {
    const { error } = await lookupOf(false, 'v4.example.cn', { family: 6 });
    expect((error as NodeJS.ErrnoException).code).toBe('ENOTFOUND');
  });

  it('when private targets are allowed (embedded demo, tests), loopback answers pass', async () => {
    expect(await lookupOf(true, 'rebind.example.cn')).toEqual({ error: null, address: '127.0.0.1', family: 4 });
  });
});
