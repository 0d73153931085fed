import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { canonicalContent, chainEntries, verifyCaseChain } from './audit-chain.js';
import type { AuditContent, StoredEntry } from './audit-chain.js';

const CASE = '7d1f7a8e-2f61-4a4e-9a57-6f5a0c3b2e10';

function step(i: number, action: string, detail: Record<string, unknown> = {}): AuditContent {
  return {
    caseId: CASE,
    at: new Date(Date.UTC(2026, 11, 1, 8, 0, i)),
    actorRole: i === 0 ? 'system' : 'company',
    actorId: i === 0 ? 'dispatch' : 'HC0001/duty-1',
    action,
    fromStatus: i === 0 ? null : 'dispatched',
    toStatus: 'signed',
    detail,
  };
}

/** A stored chain of `n` steps, with its head, as the verifier reads it. */
function storedChain(n: number): { entries: StoredEntry[]; head: { hash: string; count: number } } {
  const chained = chainEntries(
    null,
    Array.from({ length: n }, (_, i) => step(i, ['received', 'routed', 'signed', 'contact', 'feedback'][i % 5], { i, note: `第${i}步` })),
  );
  const entries = chained.map((c, i) => ({ ...c, id: String(100 + i) }));
  return { entries, head: { hash: chained[chained.length - 1].hash, count: chained.length } };
}

describe('audit chain: every step of a case is hash-chained, and the chain head covers its end', () => {
  it('an untouched chain verifies with no problems', () => {
    const { entries, head } = storedChain(5);
    expect(verifyCaseChain(CASE, entries, head)).toEqual([]);
  });

  it('the hash does not depend on the key order of the detail (canonical JSON, as jsonb gives it back)', () => {
    const a = step(1, 'contact', { outcome: 'no_answer', note: '无人接听', n: 2 });
    const b = step(1, 'contact', { n: 2, note: '无人接听', outcome: 'no_answer' });
    expect(canonicalContent(a)).toBe(canonicalContent(b));
    expect(chainEntries(null, [a])[0].hash).toBe(chainEntries(null, [b])[0].hash);
  });

  it('a rewritten entry (e.g. a faked closure: feedback detail changed) is reported as rewritten, naming the entry', () => {
    const { entries, head } = storedChain(5);
    entries[4] = { ...entries[4], detail: { ...entries[4].detail, note: '已修好（改写）' } };
    const problems = verifyCaseChain(CASE, entries, head);
    expect(problems).toEqual([expect.objectContaining({ kind: 'rewritten', actionId: '104' })]);
    expect(problems[0].message).toMatch(/记录被改写/);
  });

  it('an entry deleted from the middle breaks the link of the next one and the count at the head', () => {
    const { entries, head } = storedChain(5);
    entries.splice(2, 1);
    const kinds = verifyCaseChain(CASE, entries, head).map((p) => [p.kind, p.actionId]);
    expect(kinds).toEqual([
      ['link_broken', '103'],
      ['head_mismatch', undefined],
    ]);
  });

  it('the last entry deleted is caught by the head alone (every remaining link is intact)', () => {
    const { entries, head } = storedChain(5);
    entries.pop();
    expect(verifyCaseChain(CASE, entries, head).map((p) => p.kind)).toEqual(['head_mismatch']);
  });

  it('two entries swapped break the links', () => {
    const { entries, head } = storedChain(4);
    [entries[1], entries[2]] = [entries[2], entries[1]];
    expect(verifyCaseChain(CASE, entries, head).map((p) => p.kind)).toContain('link_broken');
  });

  it('an entry written without a hash (outside the audit log) is reported as unchained', () => {
    const { entries, head } = storedChain(3);
    entries.push({ ...step(9, 'feedback'), id: '200', prevHash: null, hash: null });
    expect(verifyCaseChain(CASE, entries, head).map((p) => p.kind)).toEqual(['unchained', 'head_mismatch']);
  });

  it('any change to any field of any entry is detected (property)', () => {
    const fields = ['at', 'actorRole', 'actorId', 'action', 'fromStatus', 'toStatus', 'detail'] as const;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.nat(), fc.constantFrom(...fields), fc.string({ minLength: 1, maxLength: 8 }), (n, pick, field, text) => {
        const { entries, head } = storedChain(n);
        const i = pick % n;
        const e = entries[i];
        const changed: StoredEntry =
          field === 'at'
            ? { ...e, at: new Date(e.at.getTime() + 1) }
            : field === 'detail'
              ? { ...e, detail: { ...e.detail, extra: text } }
              : { ...e, [field]: `${String(e[field])}${text}` };
        entries[i] = changed;
        return verifyCaseChain(CASE, entries, head).length > 0;
      }),
      { seed: 20261129, numRuns: 300 },
    );
  });
});
