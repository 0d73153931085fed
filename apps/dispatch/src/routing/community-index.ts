import { CONFUSABLE_GROUPS_OF, areConfusable } from './char-tables.js';
import { COMMUNITY_SUFFIXES, parseCommunityName } from './community-name.js';
import type { ParsedCommunityName } from './community-name.js';
import { explainEdit, nameSimilarity, weightedChars } from './name-similarity.js';
import type { WeightedChars } from './name-similarity.js';
import type { CommunityRow, RoutingCandidate, RoutingDecision, RoutingInput } from './routing-types.js';
import {
  CONFLICTING_DESIGNATION_PENALTY,
  EXTRA_DESIGNATION_PENALTY,
  MAX_CANDIDATES,
  MISSING_DESIGNATION_PENALTY,
  MISTYPED_SUFFIX_PENALTY,
  ROUTING_CONFIDENCE_THRESHOLD,
  ROUTING_MARGIN,
  SPLIT_SUFFIX_PENALTY,
} from './tuning.js';

/** Named-company communities put first on a manual decision, leaving room for similar names. */
const MAX_NAMED_COMPANY_CANDIDATES = 3;
const EPSILON = 1e-9;

/** One spelling of a community: its registered name or one of its aliases. */
interface Form {
  text: string;
  kind: 'name' | 'alias';
  parsed: ParsedCommunityName;
  core: WeightedChars;
  /** core + suffix (suffix characters weigh less); null when the form has no suffix. */
  full: WeightedChars | null;
}

interface Entry {
  id: string;
  name: string;
  companyId: string;
  unclearOwner: boolean;
  forms: Form[];
}

interface District {
  entries: Entry[];
  /** normalized spelling → the communities (and which of their forms) spelled so. */
  exact: Map<string, Array<{ entry: number; form: number }>>;
  /** character or confusable-group key → communities whose core contains it. */
  postings: Map<number, number[]>;
  byCompany: Map<string, number[]>;
  /** Per-query dedup marks (generation counter, no allocation per query). */
  seen: Int32Array;
  generation: number;
}

/** One reading of the resident's spelling. */
interface Reading {
  core: WeightedChars;
  full: WeightedChars | null;
  designation: string;
  penalty: number;
  /** Set when the reading took a mistyped ending as a suffix: 小去 read as 小区. */
  mistypedSuffix?: { written: string; read: string };
}

interface Query {
  written: string;
  parsed: ParsedCommunityName;
  /** Filled by prepare() when the similarity search runs (not needed for exact matches). */
  readings: Reading[];
  /** Index keys of the core's characters (filled by prepare()). */
  keys: number[];
}

interface Scored {
  entry: number;
  score: number;
  form: number;
  reading: number;
  /** The score came from comparing core + suffix rather than the core alone. */
  viaFull: boolean;
}

/**
 * The district-partitioned index routing runs on: built once from the registry's community rows
 * (CommunityIndex.build), then `route` answers each case without touching the database. Rebuild it
 * when the registry changes; its data never changes after build, so swapping the reference is
 * enough. Not for sharing across worker threads (route keeps per-district scratch marks).
 */
export class CommunityIndex {
  private constructor(
    private readonly districts: Map<string, District>,
    /** normalized spelling → where it is registered, across all districts (wrong-district check). */
    private readonly everywhere: Map<string, Array<{ districtCode: string; name: string }>>,
    /** Number of communities indexed. */
    readonly size: number,
  ) {}

  /** Indexes community rows (e.g. every row of the `community` table) by district. */
  static build(rows: readonly CommunityRow[]): CommunityIndex {
    const districts = new Map<string, District>();
    const everywhere = new Map<string, Array<{ districtCode: string; name: string }>>();
    for (const row of rows) {
      let district = districts.get(row.districtCode);
      if (!district) {
        district = { entries: [], exact: new Map(), postings: new Map(), byCompany: new Map(), seen: new Int32Array(0), generation: 0 };
        districts.set(row.districtCode, district);
      }
      const index = district.entries.length;
      const name = row.name ?? row.normalizedName;
      const spellings: Array<[string, 'name' | 'alias', ParsedCommunityName]> = [[name, 'name', parseCommunityName(name)]];
      if (row.name && row.normalizedName && row.normalizedName !== spellings[0][2].normalized) {
        // A stored form from an older normalization still matches.
        const stored = parseCommunityName(row.normalizedName);
        if (stored.normalized !== spellings[0][2].normalized) spellings.push([row.normalizedName, 'name', stored]);
      }
      for (const alias of row.aliases ?? []) spellings.push([alias, 'alias', parseCommunityName(alias)]);
      const forms: Form[] = [];
      for (const [text, kind, parsed] of spellings) {
        if (!parsed.normalized) continue;
        const form: Form = { text, kind, parsed, core: weightedChars(parsed.core), full: parsed.suffix ? weightedChars(parsed.core, parsed.suffix) : null };
        const list = district.exact.get(parsed.normalized) ?? [];
        list.push({ entry: index, form: forms.length });
        district.exact.set(parsed.normalized, list);
        const places = everywhere.get(parsed.normalized) ?? [];
        if (!places.some((p) => p.districtCode === row.districtCode)) places.push({ districtCode: row.districtCode, name });
        everywhere.set(parsed.normalized, places);
        for (const code of form.core.codes) {
          for (const key of keysOf(code)) {
            const posting = district.postings.get(key);
            if (!posting) district.postings.set(key, [index]);
            else if (posting[posting.length - 1] !== index) posting.push(index);
          }
        }
        forms.push(form);
      }
      district.entries.push({ id: row.id, name, companyId: row.companyId, unclearOwner: row.unclearOwner, forms });
      const served = district.byCompany.get(row.companyId) ?? [];
      served.push(index);
      district.byCompany.set(row.companyId, served);
    }
    for (const district of districts.values()) district.seen = new Int32Array(district.entries.length);
    return new CommunityIndex(districts, everywhere, rows.length);
  }

  /** Number of districts with at least one community. */
  get districtCount(): number {
    return this.districts.size;
  }

  /**
   * 直达责任主体: the company serving the community the resident named, within the district the
   * resident gave, or manual dispatch by the district authority. Every decision says why.
   */
  route(input: RoutingInput): RoutingDecision {
    const written = quote(input.communityName);
    const named = input.namedCompanyId || undefined;
    const district = this.districts.get(input.districtCode);
    if (!district || district.entries.length === 0) {
      const reason = `小区“${written}”未在该区县登记（该区县没有登记的小区），转区县主管单位人工分转`;
      return manual(reason + (named ? `；诉求人指认的企业 ${named} 在该区县没有登记服务的小区` : ''), []);
    }
    const query = toQuery(input.communityName);
    if (!query.parsed.normalized) {
      return this.manualWithNamedCompany(district, query, [], named, '未填写可识别的小区名称，转区县主管单位人工分转');
    }

    const exactHits = district.exact.get(query.parsed.normalized);
    if (exactHits) {
      const entries = [...new Set(exactHits.map((h) => h.entry))];
      if (entries.length === 1) {
        const entry = district.entries[entries[0]];
        const viaName = exactHits.find((h) => entry.forms[h.form].kind === 'name');
        const hit = viaName ?? exactHits[0];
        const form = entry.forms[hit.form];
        const candidate = toCandidate(entry, 1, form.kind === 'name' ? '名称与登记名称一致' : `与登记别名“${form.text}”一致`);
        const how = form.kind === 'name' ? '' : `（“${written}”为登记小区“${entry.name}”的别名）`;
        return this.decide(district, query, entries[0], viaName ? 'exact' : 'alias', 1, [candidate], `按小区登记的服务范围分转${how}`, named);
      }
      const ranked = scoreExactAsOne(this.rankIn(district, query), entries, district);
      const names = entries.map((e) => `“${district.entries[e].name}”`).join('、');
      const reason = `小区“${written}”在该区县对应多个登记小区（${names}），转区县主管单位人工分转`;
      return this.manualWithNamedCompany(district, query, ranked, named, reason, new Set(entries));
    }

    const ranked = this.rankIn(district, query);
    const best = ranked[0];
    const second = ranked[1];
    const elsewhere = this.registeredElsewhere(query.parsed.normalized, input.districtCode);
    const confident = best && best.score >= ROUTING_CONFIDENCE_THRESHOLD - EPSILON && (!second || best.score - second.score >= ROUTING_MARGIN - EPSILON);
    if (confident && elsewhere) {
      // The name is exactly a community registered in another district of the city: the district
      // is more likely wrong than the name, so a merely similar community here is not trusted.
      const reason =
        `小区“${written}”未在该区县登记，与同市${elsewhere}登记的小区名称一致，可能区县填写有误；` +
        `该区县最接近的登记小区“${district.entries[best.entry].name}”置信度 ${best.score.toFixed(2)}，未自动分转，转区县主管单位人工分转`;
      return this.manualWithNamedCompany(district, query, ranked, named, reason);
    }
    if (confident) {
      const entry = district.entries[best.entry];
      const candidates = ranked.slice(0, MAX_CANDIDATES).map((s) => this.candidateOf(district, query, s));
      const reason = `按小区登记的服务范围分转（“${written}”与登记小区“${entry.name}”相近，置信度 ${best.score.toFixed(2)}：${candidates[0].why}）`;
      return this.decide(district, query, best.entry, 'similar', best.score, candidates, reason, named, ranked);
    }
    let reason: string;
    if (!best) {
      reason = `小区“${written}”未在该区县登记，转区县主管单位人工分转`;
    } else if (best.score < ROUTING_CONFIDENCE_THRESHOLD - EPSILON) {
      reason =
        `小区“${written}”未在该区县登记（最接近的登记小区“${district.entries[best.entry].name}”置信度 ${best.score.toFixed(2)}，` +
        `低于自动分转所需的 ${ROUTING_CONFIDENCE_THRESHOLD.toFixed(2)}），转区县主管单位人工分转`;
    } else {
      reason =
        `小区“${written}”与该区县多个登记小区相近（“${district.entries[best.entry].name}” ${best.score.toFixed(2)}、` +
        `“${district.entries[second.entry].name}” ${second.score.toFixed(2)}，相差不足 ${ROUTING_MARGIN.toFixed(2)}），无法确定，转区县主管单位人工分转`;
    }
    if (elsewhere) reason += `；同市${elsewhere}登记有同名小区，可能区县填写有误`;
    return this.manualWithNamedCompany(district, query, ranked, named, reason);
  }

  /**
   * Where else in the same city (first four digits of the code) this normalized name is registered,
   * as text for a reason (「区县 210103（“金地小区”）」), or undefined.
   */
  private registeredElsewhere(normalized: string, districtCode: string): string | undefined {
    const city = districtCode.slice(0, 4);
    const places = (this.everywhere.get(normalized) ?? []).filter((p) => p.districtCode !== districtCode && p.districtCode.startsWith(city));
    if (places.length === 0) return undefined;
    const shown = places.slice(0, 3).map((p) => `区县 ${p.districtCode}（“${p.name}”）`).join('、');
    return places.length > 3 ? `${shown}等 ${places.length} 处` : shown;
  }

  /**
   * The district's communities ranked by similarity to the name (no decision, no named company):
   * for a manual-dispatch screen, and for tuning. Exact and alias matches score 1.
   */
  rank(input: Pick<RoutingInput, 'communityName' | 'districtCode'>, limit = MAX_CANDIDATES): RoutingCandidate[] {
    const district = this.districts.get(input.districtCode);
    if (!district) return [];
    const query = toQuery(input.communityName);
    const ranked = this.rankIn(district, query);
    const exact = new Set((district.exact.get(query.parsed.normalized) ?? []).map((h) => h.entry));
    scoreExactAsOne(ranked, exact, district);
    return ranked.slice(0, limit).map((s) => this.candidateOf(district, query, s, exact.has(s.entry)));
  }

  /** Routes to the entry's company unless its owner is unclear; checks the named company. */
  private decide(
    district: District,
    query: Query,
    entryIndex: number,
    method: 'exact' | 'alias' | 'similar',
    confidence: number,
    candidates: RoutingCandidate[],
    reason: string,
    named: string | undefined,
    ranked: Scored[] = [],
  ): RoutingDecision {
    const entry = district.entries[entryIndex];
    if (entry.unclearOwner) {
      const which = quote(query.written) === entry.name ? '' : `（登记小区“${entry.name}”）`;
      const why = `小区“${quote(query.written)}”${which}供热责任主体未明确（三供一业移交），转区县主管单位人工分转`;
      const first = candidates.find((c) => c.communityId === entry.id) ?? toCandidate(entry, confidence, '匹配的登记小区');
      const rest = ranked.filter((s) => s.entry !== entryIndex);
      return this.manualWithNamedCompany(district, query, rest, named, why, new Set(), first);
    }
    const corrected = named && named !== entry.companyId ? named : undefined;
    let text = reason;
    if (corrected) text += `；诉求人指认的企业 ${corrected} 不负责该小区，已更正`;
    else if (named && method === 'similar') text += '；与诉求人指认的企业一致';
    return {
      kind: 'company',
      companyId: entry.companyId,
      communityId: entry.id,
      reason: text,
      ...(corrected ? { correctedNamedCompany: corrected } : {}),
      method,
      confidence: round(confidence),
      candidates,
    };
  }

  /**
   * Manual dispatch. When the resident named a company, its communities in the district come
   * first among the candidates (it is a hint, never trusted on its own), then the most similar.
   */
  private manualWithNamedCompany(
    district: District,
    query: Query,
    ranked: Scored[],
    named: string | undefined,
    reason: string,
    exact: ReadonlySet<number> = new Set(),
    first?: RoutingCandidate,
  ): RoutingDecision {
    const candidates: RoutingCandidate[] = first ? [first] : [];
    const taken = new Set<string>(candidates.map((c) => c.communityId));
    let text = reason;
    if (named) {
      const served = (district.byCompany.get(named) ?? []).filter((e) => !taken.has(district.entries[e].id));
      const scored = served
        .map((e) => ranked.find((s) => s.entry === e) ?? { entry: e, score: 0, form: 0, reading: 0, viaFull: false })
        .sort((a, b) => b.score - a.score || compareIds(district, a.entry, b.entry))
        .slice(0, MAX_NAMED_COMPANY_CANDIDATES);
      for (const s of scored) {
        const similar = s.score > 0 ? `；${this.candidateOf(district, query, s, exact.has(s.entry)).why}` : '';
        candidates.push(toCandidate(district.entries[s.entry], s.score, `诉求人指认的企业 ${named} 服务该小区${similar}`));
        taken.add(district.entries[s.entry].id);
      }
      const total = district.byCompany.get(named)?.length ?? 0;
      text +=
        total === 0
          ? `；诉求人指认的企业 ${named} 在该区县没有登记服务的小区`
          : `；诉求人指认的企业 ${named} 在该区县服务 ${total} 个登记小区，已列为首选候选，但未据此自动分转`;
    }
    for (const s of ranked) {
      if (candidates.length >= MAX_CANDIDATES) break;
      if (taken.has(district.entries[s.entry].id)) continue;
      candidates.push(this.candidateOf(district, query, s, exact.has(s.entry)));
      taken.add(district.entries[s.entry].id);
    }
    const confidence = candidates.reduce((max, c) => Math.max(max, c.score), 0);
    return manual(text, candidates.slice(0, MAX_CANDIDATES), confidence);
  }

  /** Scores the district's communities that share a (confusable) core character with the name. */
  private rankIn(district: District, query: Query): Scored[] {
    prepare(query);
    const generation = ++district.generation;
    const scored: Scored[] = [];
    for (const key of query.keys) {
      const posting = district.postings.get(key);
      if (!posting) continue;
      for (const e of posting) {
        if (district.seen[e] === generation) continue;
        district.seen[e] = generation;
        const s = scoreEntry(district.entries[e], e, query);
        if (s.score > 0) scored.push(s);
      }
    }
    sortScored(scored, district);
    return scored;
  }

  private candidateOf(district: District, query: Query, s: Scored, exact = false): RoutingCandidate {
    const entry = district.entries[s.entry];
    if (exact || s.score >= 1) {
      const form = entry.forms.find((f) => f.parsed.normalized === query.parsed.normalized) ?? entry.forms[0];
      return toCandidate(entry, 1, form.kind === 'name' ? '名称与登记名称一致' : `与登记别名“${form.text}”一致`);
    }
    return toCandidate(entry, s.score, explain(entry, s, query));
  }
}

function manual(reason: string, candidates: RoutingCandidate[], confidence = 0): RoutingDecision {
  return { kind: 'manual', reason, method: 'manual', confidence: round(confidence), candidates };
}

function toCandidate(entry: Entry, score: number, why: string): RoutingCandidate {
  return { communityId: entry.id, name: entry.name, companyId: entry.companyId, score: round(score), why };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** The name as the resident wrote it, on one line, for reason texts. */
function quote(text: string): string {
  const oneLine = text.replace(/\s+/gu, ' ').trim();
  return oneLine.length > 40 ? `${oneLine.slice(0, 40)}…` : oneLine;
}

function compareIds(district: District, a: number, b: number): number {
  const x = district.entries[a].id;
  const y = district.entries[b].id;
  return x < y ? -1 : x > y ? 1 : 0;
}

function sortScored(list: Scored[], district: District): void {
  list.sort((a, b) => b.score - a.score || compareIds(district, a.entry, b.entry));
}

/** Exact (and alias) matches score 1, listed even when they share no indexed character. */
function scoreExactAsOne(ranked: Scored[], exact: Iterable<number>, district: District): Scored[] {
  for (const e of exact) {
    const found = ranked.find((s) => s.entry === e);
    if (found) found.score = 1;
    else ranked.push({ entry: e, score: 1, form: 0, reading: 0, viaFull: false });
  }
  sortScored(ranked, district);
  return ranked;
}

const keyCache = new Map<number, number[]>();

/** Index keys of a character: itself, and each confusable group it belongs to (negative). */
function keysOf(code: number): number[] {
  let keys = keyCache.get(code);
  if (!keys) {
    const groups = CONFUSABLE_GROUPS_OF.get(code);
    keys = groups ? [code, ...groups.map((g) => -1 - g)] : [code];
    if (keyCache.size < 50_000) keyCache.set(code, keys);
  }
  return keys;
}

const SUFFIX_CODES: ReadonlyArray<{ word: string; codes: number[] }> = COMMUNITY_SUFFIXES.map((word) => ({
  word,
  codes: [...word].map((ch) => ch.codePointAt(0)!),
}));

function toQuery(communityName: string): Query {
  return { written: communityName, parsed: parseCommunityName(communityName), readings: [], keys: [] };
}

/** Readings of the input and its index keys, for the similarity search. */
function prepare(query: Query): void {
  if (query.readings.length > 0) return;
  const { parsed } = query;
  const core = weightedChars(parsed.core);
  query.readings.push({
    core,
    full: parsed.suffix ? weightedChars(parsed.core, parsed.suffix) : null,
    designation: parsed.designation,
    penalty: 0,
  });
  // A mistyped suffix (小去, 花圆, 家圆 …): one homophone/look-alike away from a known suffix.
  const codes = core.codes;
  for (const { word, codes: wordCodes } of SUFFIX_CODES) {
    const n = wordCodes.length;
    if (codes.length <= n + 1) continue;
    let differing = 0;
    let confusable = true;
    for (let i = 0; i < n; i++) {
      const written = codes[codes.length - n + i];
      if (written === wordCodes[i]) continue;
      differing++;
      if (!areConfusable(written, wordCodes[i])) confusable = false;
    }
    if (differing !== 1 || !confusable) continue;
    const chars = [...parsed.core];
    const stem = chars.slice(0, -n).join('');
    query.readings.push({
      core: weightedChars(stem),
      full: weightedChars(stem, word + parsed.suffix),
      designation: parsed.designation,
      penalty: MISTYPED_SUFFIX_PENALTY,
      mistypedSuffix: { written: chars.slice(-n).join(''), read: word },
    });
  }
  const keys = new Set<number>();
  for (const code of codes) for (const key of keysOf(code)) keys.add(key);
  query.keys = [...keys];
}

function designationPenalty(written: string, registered: string): number {
  if (written === registered) return 0;
  if (written === '' || registered.startsWith(written)) return MISSING_DESIGNATION_PENALTY;
  if (registered === '' || written.startsWith(registered)) return EXTRA_DESIGNATION_PENALTY;
  return CONFLICTING_DESIGNATION_PENALTY;
}

/**
 * Confidence that the resident meant this community: the best over its spellings (name, aliases)
 * and the readings of the input, of the name similarity (core alone, or core + suffix with the
 * suffix weighing less when only one side has a suffix), minus penalties for the phase/section
 * and a mistyped suffix.
 */
function scoreEntry(entry: Entry, index: number, query: Query): Scored {
  let best: Scored = { entry: index, score: 0, form: 0, reading: 0, viaFull: false };
  for (let f = 0; f < entry.forms.length; f++) {
    const form = entry.forms[f];
    for (let r = 0; r < query.readings.length; r++) {
      const reading = query.readings[r];
      let sim = nameSimilarity(reading.core, form.core);
      let viaFull = false;
      // Where exactly one side has a generic suffix, the split between name and suffix is in
      // doubt (「幸福家园」 vs the registered 「幸福嘉园」): compare with the suffix, at lower
      // weight. Where both have one, suffixes say nothing and only the cores count, so that a
      // shared 「小区」 does not water down a slip in a short name (「湖东小区」 vs 「东湖小区」).
      if ((reading.full === null) !== (form.full === null)) {
        const simFull = nameSimilarity(reading.full ?? reading.core, form.full ?? form.core) - SPLIT_SUFFIX_PENALTY;
        if (simFull > sim) {
          sim = simFull;
          viaFull = true;
        }
      }
      const score = Math.round((sim - reading.penalty - designationPenalty(reading.designation, form.parsed.designation)) * 1e6) / 1e6;
      if (score > best.score) best = { entry: index, score, form: f, reading: r, viaFull };
    }
  }
  return best;
}

/** The `why` of a similar candidate, in Chinese: which spelling, and what differs. */
function explain(entry: Entry, s: Scored, query: Query): string {
  const form = entry.forms[s.form];
  const reading = query.readings[s.reading];
  const edit = s.viaFull
    ? explainEdit(reading.full ?? reading.core, form.full ?? form.core)
    : explainEdit(reading.core, form.core);
  const parts: string[] = [];
  if (edit.confusable) parts.push(`同音或形近字 ${edit.confusable} 处`);
  if (edit.substituted) parts.push(`错字 ${edit.substituted} 处`);
  if (edit.missing) parts.push(`少 ${edit.missing} 字`);
  if (edit.extra) parts.push(`多 ${edit.extra} 字`);
  if (edit.transposed) parts.push(`字序颠倒 ${edit.transposed} 处`);
  if (reading.mistypedSuffix) parts.push(`“${reading.mistypedSuffix.written}”按“${reading.mistypedSuffix.read}”理解`);
  const written = reading.designation;
  const registered = form.parsed.designation;
  if (written !== registered) {
    if (written === '' || registered.startsWith(written)) parts.push(`未写${written ? '全' : ''}期/区（登记为“${registered}”）`);
    else if (registered === '' || written.startsWith(registered)) parts.push(`登记名称中没有“${written.slice(registered.length)}”`);
    else parts.push(`期/区不符（填写“${written}”，登记为“${registered}”）`);
  }
  const what = form.kind === 'name' ? `登记名称“${form.text}”` : `登记别名“${form.text}”`;
  return `与${what}相近：${parts.length ? parts.join('，') : '后缀不同'}`;
}
