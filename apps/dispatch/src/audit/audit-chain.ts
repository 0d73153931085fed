import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * The audit trail of a case (DOMAIN.md: 假办结 must be visible): every step of `case_action` is
 * hash-chained per case. An entry's hash covers the previous entry's hash and the entry's content
 * (RFC 8785 canonical JSON), and the case's head (`case_audit_head`: last hash and entry count)
 * covers the end of the chain. A rewritten entry breaks its own hash; a deleted or inserted entry
 * breaks the link of the next one; deleting the last entries breaks the head.
 */

/** What an entry's hash covers. */
export interface AuditContent {
  caseId: string;
  at: Date;
  actorRole: string;
  actorId: string;
  action: string;
  fromStatus: string | null;
  toStatus: string | null;
  detail: Record<string, unknown>;
}

export interface ChainedContent extends AuditContent {
  prevHash: string | null;
  hash: string;
}

/** The content in canonical form (keys sorted, undefined dropped, the time in ISO-8601 UTC to the millisecond). */
export function canonicalContent(a: AuditContent): string {
  const text = canonicalize({
    caseId: a.caseId,
    at: a.at.toISOString(),
    actorRole: a.actorRole,
    actorId: a.actorId,
    action: a.action,
    fromStatus: a.fromStatus,
    toStatus: a.toStatus,
    detail: a.detail ?? {},
  });
  if (text === undefined) throw new Error('audit entry cannot be canonicalised');
  return text;
}

/** SHA-256 (hex) over the previous hash and the canonical content. */
export function entryHash(prevHash: string | null, a: AuditContent): string {
  return createHash('sha256')
    .update(prevHash ?? '')
    .update('\n')
    .update(canonicalContent(a))
    .digest('hex');
}

/** Chains entries of one case after `prevHash` (null for a case's first entry). */
export function chainEntries<T extends AuditContent>(prevHash: string | null, entries: T[]): Array<T & { prevHash: string | null; hash: string }> {
  let prev = prevHash;
  return entries.map((e) => {
    const hash = entryHash(prev, e);
    const chained = { ...e, prevHash: prev, hash };
    prev = hash;
    return chained;
  });
}

/** A stored entry as the verifier reads it. */
export interface StoredEntry extends AuditContent {
  id: string;
  prevHash: string | null;
  hash: string | null;
}

export type AuditProblemKind = 'rewritten' | 'link_broken' | 'head_mismatch' | 'unchained';

export interface AuditProblem {
  caseId: string;
  /** The entry where the chain breaks (absent for a head mismatch). */
  actionId?: string;
  kind: AuditProblemKind;
  /** In Chinese, for the authority reading the report. */
  message: string;
}

/**
 * Checks one case's entries (in id order) against each other and against the case's head.
 * Returns every problem found, the first break first.
 */
export function verifyCaseChain(caseId: string, entries: StoredEntry[], head: { hash: string | null; count: number } | null): AuditProblem[] {
  const problems: AuditProblem[] = [];
  let prev: string | null = null;
  for (const e of entries) {
    if (e.hash === null) {
      problems.push({ caseId, actionId: e.id, kind: 'unchained', message: `第 ${e.id} 条记录没有哈希（未纳入审计链）` });
      prev = null;
      continue;
    }
    if (e.prevHash !== prev) {
      problems.push({ caseId, actionId: e.id, kind: 'link_broken', message: `第 ${e.id} 条记录与上一条记录衔接不上：其前的记录被删除、插入或调换` });
    }
    if (entryHash(e.prevHash, e) !== e.hash) {
      problems.push({ caseId, actionId: e.id, kind: 'rewritten', message: `第 ${e.id} 条记录（${e.action}）的内容与其哈希不符：记录被改写` });
    }
    prev = e.hash;
  }
  const headHash = head?.hash ?? null;
  const headCount = head?.count ?? 0;
  if (headHash !== prev || headCount !== entries.length) {
    problems.push({
      caseId,
      kind: 'head_mismatch',
      message: `审计链末端不符：应有 ${headCount} 条记录、末条哈希 ${shortHash(headHash)}，实有 ${entries.length} 条、末条哈希 ${shortHash(prev)}（末尾记录被删除或追加）`,
    });
  }
  return problems;
}

function shortHash(hash: string | null): string {
  return hash ? hash.slice(0, 12) : '无';
}
