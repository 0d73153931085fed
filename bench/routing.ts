/*
 * Routing decisions (issue 4): how fast and how right `CommunityIndex.route` is on the full demo
 * registry (1,941 communities in 100 districts), in process, no database.
 *
 *   1. a deterministic mixed input set (seed BENCH_SEED, BENCH_INPUTS = 10,000 inputs): registered
 *      names as written, formatting variants (spaces, punctuation, full-width, numerals, suffixes),
 *      aliases, typos of many kinds, unknown names and registered names given with the wrong
 *      district; some inputs name a company (the right one or a wrong one);
 *   2. throughput: a warm-up pass, then BENCH_RUNS (3) runs of BENCH_PASSES (5) passes over the
 *      whole set; decisions/s per run, median reported; also the thin wrapper `routeCase`, which
 *      builds an index of the district's rows per call (what the dispatcher does today);
 *   3. accuracy per category: routed to the right company / sent to manual / mis-routed;
 *   4. tuning data: accuracy over a grid of thresholds and margins (from `rank`, same scores), and
 *      the same for a plain Dice similarity over padded character bigrams + trigrams, for comparison.
 *
 * Ground truth: a generated variant whose normalized form equals another registered community's
 * name or alias in that district is not a typo of the target (the resident named another
 * registered community) and is drawn again.
 *
 * Build and run: `npm run bench:routing` (= npm run build, tsc -p bench/tsconfig.json, node
 * bench/dist/bench/routing.js). Output: a summary on stdout and bench/results/routing.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { buildDemoRegistry } from '../apps/dispatch/src/registry/demo-registry.js';
import { CommunityIndex, routeCase } from '../apps/dispatch/src/routing/case-router.js';
import type { CommunityRow, RoutingDecision, RoutingInput } from '../apps/dispatch/src/routing/case-router.js';
import { parseCommunityName } from '../apps/dispatch/src/routing/community-name.js';
import { ROUTING_CONFIDENCE_THRESHOLD, ROUTING_MARGIN } from '../apps/dispatch/src/routing/tuning.js';

const SEED = Number(process.env.BENCH_SEED ?? 20261129);
const INPUTS = Number(process.env.BENCH_INPUTS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PASSES = Number(process.env.BENCH_PASSES ?? 5);

/** mulberry32: small, deterministic. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
const chance = (p: number) => random() < p;

/*
 * Slips residents make, written for the demo registry's characters independently of the matcher's
 * tables: some of these homophones and look-alikes are not in apps/dispatch/src/routing/char-tables.ts
 * (夫, 评, 弟, 谨, 脆, 壶, 糠, 董, 男, 被, 遇, 压, 巨, 椿, 灰 …), as in real life.
 */
const HOMOPHONES: Record<string, string[]> = {
  幸: ['星', '兴', '杏'], 福: ['富', '府', '夫'], 阳: ['杨', '洋', '扬'], 光: ['广'], 和: ['河', '合', '禾'], 平: ['苹', '萍', '评'],
  金: ['今', '津', '近'], 地: ['第', '帝', '弟'], 锦: ['近', '谨', '今'], 绣: ['秀', '修', '锈'], 翠: ['脆', '萃'], 湖: ['胡', '壶'],
  富: ['福', '府'], 民: ['敏', '闽'], 康: ['糠', '慷'], 乐: ['勒'], 长: ['常', '昌'], 青: ['清', '轻'], 祥: ['翔', '详'],
  东: ['冬', '董'], 南: ['男', '楠'], 苑: ['院', '愿'], 北: ['贝', '被'], 陵: ['凌', '灵', '岭'], 中: ['钟', '忠'], 山: ['衫', '珊'],
  滨: ['宾', '斌', '彬'], 河: ['和', '合'], 枫: ['风', '丰', '峰'], 林: ['琳', '临'], 御: ['玉', '裕', '遇'], 景: ['井', '境', '静'],
  雅: ['亚', '压'], 居: ['局', '聚', '巨'], 春: ['纯', '椿'], 晖: ['辉', '灰', '挥'], 欣: ['新', '心', '馨'], 园: ['圆', '元', '源'],
  嘉: ['佳', '加'],
};
const LOOKALIKES: Record<string, string[]> = {
  福: ['褔', '副'], 幸: ['辛'], 祥: ['样'], 锦: ['棉'], 春: ['舂'], 湖: ['糊'], 枫: ['讽'], 晖: ['挥'], 滨: ['宾'], 陵: ['棱'], 御: ['卸'],
};
/** Characters for arbitrary slips and insertions (none a homophone of the demo's characters). */
const ANY_CHARS = [...'天人日月水火木土白黑红绿里外上下前后左右大小多少高低远近开关来去出入方圆尺寸米石田力工口'];
const SUFFIX_TYPOS: Record<string, string[]> = {
  小区: ['小去', '小曲', '晓区'], 花园: ['花圆', '花元', '华园'], 家园: ['家圆', '佳园', '加园'], 新村: ['新存', '心村', '欣村'],
  公寓: ['公玉', '工寓', '公遇'], 号院: ['号愿', '好院', '号元'], 雅苑: ['雅院', '雅园', '亚苑'], 嘉园: ['家园', '佳园', '嘉圆'],
};
const TAILS = ['小区', '花园', '家园', '新村', '雅苑', '公寓', '号院', '嘉园'];
const LISTED_SUFFIXES = ['小区', '花园', '家园', '新村', '公寓', '号院', '社区'];
const CN_PHASE = ['', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十', '十一', '十二'];

/** Unknown names: other estates, some sharing a character (or a homophone) with registered ones. */
const UNKNOWN_HEADS = [
  '万科', '保利', '华润', '中海', '碧桂', '恒大', '龙湖', '绿地', '融创', '世茂', '远洋', '金科', '万达', '招商', '星河', '紫薇',
  '铁西', '工人', '建设', '胜利', '红旗', '友谊', '团结', '和谐', '幸运', '阳明', '金港', '锦江', '翠竹', '康城', '长江', '祥瑞',
  '东方', '南湖', '中华', '滨江', '枫叶', '御府', '春天', '欣悦', '北斗', '山水', '平安', '民生', '景福', '青年', '乐园', '湖畔',
];
const UNKNOWN_TAILS = ['小区', '花园', '家园', '新村', '公寓', '城', '国际', '广场', '苑', '府', '湾', '名邸', '华庭', '一品', '新城'];

type Category = 'exact' | 'format' | 'alias' | 'typo' | 'unknown' | 'wrong-district' | 'unclear-owner';
interface BenchInput {
  input: RoutingInput;
  category: Category;
  kind: string;
  /** The community the input was made from (null: an unknown name). */
  expectedCommunity: string | null;
  /** The company it should be routed to (null: manual dispatch is the right answer). */
  expectedCompany: string | null;
}

interface Row extends CommunityRow {
  name: string;
  head: string;
  tail: string;
  phase: string;
}

function splitName(name: string): { head: string; tail: string; phase: string } {
  const phase = /[一二三]期$/u.exec(name)?.[0] ?? '';
  const rest = name.slice(0, name.length - phase.length);
  const tail = TAILS.find((t) => rest.endsWith(t)) ?? '';
  return { head: rest.slice(0, rest.length - tail.length), tail, phase };
}

function buildRows(): Row[] {
  const registry = buildDemoRegistry();
  const rows: Row[] = registry.communities.map((c) => ({ ...c, aliases: [...c.aliases], ...splitName(c.name) }));
  // The demo registry has no aliases; give every fifth community one, as registries do for old names
  // ("老幸福", "幸福三区"), unique within the district.
  const taken = new Map<string, Set<string>>();
  for (const r of rows) {
    const set = taken.get(r.districtCode) ?? new Set<string>();
    set.add(r.normalizedName);
    taken.set(r.districtCode, set);
  }
  rows.forEach((r, i) => {
    if (i % 5 !== 0) return;
    const phaseNo = r.phase ? r.phase[0] : '';
    const alias = i % 2 ? `老${r.head}${phaseNo ? `${phaseNo}区` : ''}` : `${r.head}${['东', '西', '南', '北'][i % 4]}院${phaseNo ? `${phaseNo}区` : ''}`;
    const key = parseCommunityName(alias).normalized;
    const set = taken.get(r.districtCode)!;
    if (set.has(key)) return;
    set.add(key);
    r.aliases.push(alias);
  });
  return rows;
}

function decorate(name: string): string {
  // Formatting that normalization must see through.
  const ops = [
    (s: string) => s.replace(/(..)/u, '$1 '),
    (s: string) => s.replace(/(..)/u, '$1·'),
    (s: string) => s.replace(/(..)/u, '$1、'),
    (s: string) => s.replace(/(..)/u, '$1－'),
    (s: string) => `“${s}”`,
    (s: string) => `${s} `,
    (s: string) => s.replace(/　|$/u, '　'),
    (s: string) => s.replace(/([一二三])期/u, (_m, d: string) => `${'一二三'.indexOf(d) + 1}期`),
    (s: string) => s.replace(/([一二三])期/u, (_m, d: string) => `${String.fromCharCode(0xff10 + '一二三'.indexOf(d) + 1)}期`),
    (s: string) => s.replace(/([一二三])期/u, '第$1期'),
    (s: string) => s.replace(/([一二三])期/u, '($1期)'),
  ];
  let out = pick(ops)(name);
  if (chance(0.3)) out = pick(ops)(out);
  return out;
}

function generate(rows: Row[]): BenchInput[] {
  const byDistrict = new Map<string, Row[]>();
  for (const r of rows) byDistrict.set(r.districtCode, [...(byDistrict.get(r.districtCode) ?? []), r]);
  const registered = new Map<string, Map<string, string>>(); // district → normalized → community id
  for (const r of rows) {
    const m = registered.get(r.districtCode) ?? new Map<string, string>();
    for (const s of [r.name, ...r.aliases]) m.set(parseCommunityName(s).normalized, r.id);
    registered.set(r.districtCode, m);
  }
  const districts = [...byDistrict.keys()];
  const companies = [...new Set(rows.map((r) => r.companyId))];
  const plan: Array<[Category, number]> = [['exact', 0.2], ['format', 0.18], ['alias', 0.05], ['typo', 0.35], ['unknown', 0.12], ['wrong-district', 0.1]];
  const out: BenchInput[] = [];
  const clashesWithOther = (row: Row, text: string) => {
    const owner = registered.get(row.districtCode)!.get(parseCommunityName(text).normalized);
    return owner !== undefined && owner !== row.id;
  };
  // Another generic suffix: only where the registered one is generic too (雅苑 and 嘉园 are part of
  // the demo names' identity: 「幸福雅苑」 and 「幸福小区」 are different communities).
  const otherSuffix = (row: Row) => (LISTED_SUFFIXES.includes(row.tail) ? pick(LISTED_SUFFIXES) : row.tail);
  const typoOf = (row: Row): { text: string; kind: string; before?: string } | null => {
    const headChars = [...row.head];
    const at = Math.floor(random() * headChars.length);
    const replaceAt = (chars: string[], i: number, ch: string) => chars.map((c, k) => (k === i ? ch : c)).join('');
    const k = random();
    if (k < 0.22) {
      const options = HOMOPHONES[headChars[at]];
      return options ? { text: replaceAt(headChars, at, pick(options)) + row.tail + row.phase, kind: 'homophone' } : null;
    }
    if (k < 0.32) {
      const options = LOOKALIKES[headChars[at]];
      return options ? { text: replaceAt(headChars, at, pick(options)) + row.tail + row.phase, kind: 'look-alike' } : null;
    }
    if (k < 0.42) return { text: replaceAt(headChars, at, pick(ANY_CHARS)) + row.tail + row.phase, kind: 'arbitrary character' };
    if (k < 0.48) return { text: headChars.filter((_c, i) => i !== at).join('') + row.tail + row.phase, kind: 'character left out' };
    if (k < 0.53) {
      const chars = [...headChars];
      chars.splice(at + 1, 0, pick(ANY_CHARS));
      return { text: chars.join('') + row.tail + row.phase, kind: 'character added' };
    }
    if (k < 0.58) return headChars.length >= 2 ? { text: headChars[1] + headChars[0] + headChars.slice(2).join('') + row.tail + row.phase, kind: 'characters swapped' } : null;
    if (k < 0.73) return { text: row.head + pick(SUFFIX_TYPOS[row.tail]) + row.phase, kind: 'mistyped suffix' };
    if (k < 0.85) return row.phase ? { text: row.head + otherSuffix(row), kind: 'phase left out' } : null;
    if (k < 0.92) {
      const options = HOMOPHONES[headChars[at]];
      return options && row.phase ? { text: replaceAt(headChars, at, pick(options)) + row.tail, kind: 'homophone + phase left out', before: row.head + row.tail } : null;
    }
    const options = HOMOPHONES[headChars[at]];
    const suffix = otherSuffix(row);
    return options ? { text: replaceAt(headChars, at, pick(options)) + suffix + row.phase, kind: 'homophone + other suffix', before: row.head + suffix + row.phase } : null;
  };

  while (out.length < INPUTS) {
    let r = random();
    let category: Category = 'exact';
    for (const [c, share] of plan) {
      if (r < share) {
        category = c;
        break;
      }
      r -= share;
    }
    const row = pick(rows);
    let text: string | null = null;
    let kind: string = category;
    let district = row.districtCode;
    let expected: Row | null = row;
    if (category === 'exact') {
      text = row.name;
    } else if (category === 'format') {
      // another listed suffix, or none, and formatting noise
      const tail = LISTED_SUFFIXES.includes(row.tail) && chance(0.5) ? pick(['', ...LISTED_SUFFIXES]) : row.tail;
      text = decorate(row.head + tail + row.phase);
      kind = tail === row.tail ? 'formatting' : 'formatting + other suffix';
    } else if (category === 'alias') {
      if (row.aliases.length === 0) continue;
      text = chance(0.5) ? row.aliases[0] : decorate(row.aliases[0]);
    } else if (category === 'typo') {
      const typo = typoOf(row);
      if (!typo) continue;
      text = typo.text;
      kind = typo.kind;
      if (parseCommunityName(text).normalized === row.normalizedName) continue; // not a typo to the matcher
      if (typo.before && clashesWithOther(row, typo.before)) continue; // without the slip it names another community
    } else if (category === 'unknown') {
      const phase = chance(0.3) ? `${pick(CN_PHASE.slice(1, 4))}期` : '';
      text = pick(UNKNOWN_HEADS) + pick(UNKNOWN_TAILS) + phase;
      expected = null;
      if (registered.get(district)!.has(parseCommunityName(text).normalized)) continue;
    } else {
      const others = districts.filter((d) => d !== row.districtCode && d.slice(0, 4) === row.districtCode.slice(0, 4));
      if (others.length === 0) continue;
      district = pick(others);
      text = row.name;
      expected = null;
      if (registered.get(district)!.has(row.normalizedName)) continue;
    }
    if (expected && clashesWithOther(expected, text)) continue;
    // A 三供一业 community is never routed automatically: manual is the right answer.
    const expectedCompany = expected && !expected.unclearOwner ? expected.companyId : null;
    let namedCompanyId: string | undefined;
    const n = random();
    if (n < 0.1) namedCompanyId = expected?.companyId ?? pick(companies);
    else if (n < 0.15) namedCompanyId = pick(companies);
    out.push({
      input: { communityName: text, districtCode: district, ...(namedCompanyId ? { namedCompanyId } : {}) },
      // Any variant of a 三供一业 community: manual dispatch is the right answer.
      category: expected?.unclearOwner ? 'unclear-owner' : category,
      kind: expected?.unclearOwner ? `${category}: ${kind}` : kind,
      expectedCommunity: expected?.id ?? null,
      expectedCompany,
    });
  }
  return out;
}

interface Tally { n: number; right: number; manual: number; wrong: number }
const tally = (): Tally => ({ n: 0, right: 0, manual: 0, wrong: 0 });
function count(t: Tally, routedCompany: string | null, expectedCompany: string | null): void {
  t.n++;
  if (routedCompany === null) t.manual++;
  else if (routedCompany === expectedCompany) t.right++;
  else t.wrong++;
}
const pct = (x: number, n: number) => (n === 0 ? 0 : Math.round((1000 * x) / n) / 10);
const shares = (t: Tally) => ({ n: t.n, routedRightPct: pct(t.right, t.n), manualPct: pct(t.manual, t.n), misroutedPct: pct(t.wrong, t.n), misrouted: t.wrong });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Plain Dice over padded character bigrams + trigrams of the normalized names (for comparison). */
function grams(s: string): Map<string, number> {
  const chars = ['^', ...s, '$'];
  const m = new Map<string, number>();
  for (const n of [2, 3]) for (let i = 0; i + n <= chars.length; i++) {
    const g = chars.slice(i, i + n).join('');
    m.set(g, (m.get(g) ?? 0) + 1);
  }
  return m;
}
function dice(a: Map<string, number>, b: Map<string, number>): number {
  let shared = 0;
  let total = 0;
  for (const [g, c] of a) { total += c; shared += Math.min(c, b.get(g) ?? 0); }
  for (const c of b.values()) total += c;
  return total === 0 ? 0 : (2 * shared) / total;
}

function main(): void {
  const rows = buildRows();
  const t0 = performance.now();
  const index = CommunityIndex.build(rows);
  const buildMs = performance.now() - t0;
  const inputs = generate(rows);
  const rowsByDistrict = new Map<string, Row[]>();
  for (const r of rows) rowsByDistrict.set(r.districtCode, [...(rowsByDistrict.get(r.districtCode) ?? []), r]);

  // Accuracy (one pass, decisions kept).
  const decisions: RoutingDecision[] = inputs.map((x) => index.route(x.input));
  const byCategory = new Map<string, Tally>();
  const byKind = new Map<string, Tally>();
  const methods: Record<string, number> = {};
  const namedCompany = { named: 0, correctedWhenRouted: 0, routedWithWrongNamed: 0, manualWithNamedFirst: 0, manualWithNamed: 0 };
  inputs.forEach((x, i) => {
    const d = decisions[i];
    const company = d.kind === 'company' ? d.companyId : null;
    for (const [map, key] of [[byCategory, x.category], [byKind, x.category === 'unclear-owner' ? 'unclear-owner' : `${x.category}: ${x.kind}`]] as const) {
      const t = map.get(key) ?? tally();
      count(t, company, x.expectedCompany);
      map.set(key, t);
    }
    methods[d.method] = (methods[d.method] ?? 0) + 1;
    const named = x.input.namedCompanyId;
    if (named) {
      namedCompany.named++;
      if (d.kind === 'company' && named !== d.companyId) {
        namedCompany.routedWithWrongNamed++;
        if (d.correctedNamedCompany === named) namedCompany.correctedWhenRouted++;
      }
      if (d.kind === 'manual' && (rowsByDistrict.get(x.input.districtCode) ?? []).some((r) => r.companyId === named)) {
        namedCompany.manualWithNamed++;
        if (d.candidates[0]?.companyId === named) namedCompany.manualWithNamedFirst++;
      }
    }
  });
  const expectedRoute = tally();
  const expectedManual = tally();
  inputs.forEach((x, i) => count(x.expectedCompany ? expectedRoute : expectedManual, decisions[i].kind === 'company' ? decisions[i].companyId : null, x.expectedCompany));

  // Threshold / margin grid from the same scores (rank), and the Dice comparison.
  const ranked = inputs.map((x) => index.rank(x.input, 2));
  const rowsIndex = new Map(rows.map((r) => [r.id, r]));
  const unclear = new Set(rows.filter((r) => r.unclearOwner).map((r) => r.id));
  // The index's wrong-district check, replayed: a similar match is not routed when the name is
  // exactly registered in another district of the same city.
  const registeredIn = new Map<string, Set<string>>();
  for (const r of rows) for (const s of [r.name, ...r.aliases]) {
    const key = parseCommunityName(s).normalized;
    registeredIn.set(key, (registeredIn.get(key) ?? new Set()).add(r.districtCode));
  }
  const vetoed = inputs.map((x) => {
    const places = registeredIn.get(parseCommunityName(x.input.communityName).normalized) ?? new Set<string>();
    return [...places].some((d) => d !== x.input.districtCode && d.slice(0, 4) === x.input.districtCode.slice(0, 4));
  });
  const decideWith = (top: Array<{ communityId: string; score: number }>, threshold: number, margin: number, veto: boolean): string | null => {
    const [best, second] = top;
    if (!best) return null;
    if (best.score === 1 && second?.score === 1) return null;
    const ok = best.score === 1 || (!veto && best.score >= threshold - 1e-9 && (!second || best.score - second.score >= margin - 1e-9));
    return ok && !unclear.has(best.communityId) ? rowsIndex.get(best.communityId)!.companyId : null;
  };
  const grid: Array<{ threshold: number; margin: number; routedRight: number; manual: number; misrouted: number }> = [];
  for (const threshold of [0.7, 0.75, 0.8, 0.825, 0.85, 0.875, 0.9]) {
    for (const margin of [0, 0.05, 0.1, 0.15]) {
      const t = tally();
      inputs.forEach((x, i) => count(t, decideWith(ranked[i], threshold, margin, vetoed[i]), x.expectedCompany));
      grid.push({ threshold, margin, routedRight: t.right, manual: t.manual, misrouted: t.wrong });
    }
  }
  const diceTop = inputs.map((x) => {
    const g = grams(parseCommunityName(x.input.communityName).normalized);
    return (rowsByDistrict.get(x.input.districtCode) ?? [])
      .map((r) => ({ communityId: r.id, score: Math.max(...[r.name, ...r.aliases].map((s) => dice(g, grams(parseCommunityName(s).normalized)))) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 2);
  });
  const diceGrid: Array<{ threshold: number; margin: number; routedRight: number; manual: number; misrouted: number }> = [];
  for (const threshold of [0.4, 0.5, 0.6, 0.7, 0.8]) {
    for (const margin of [0.05, 0.1, 0.15]) {
      const t = tally();
      inputs.forEach((x, i) => count(t, decideWith(diceTop[i], threshold, margin, vetoed[i]), x.expectedCompany));
      diceGrid.push({ threshold, margin, routedRight: t.right, manual: t.manual, misrouted: t.wrong });
    }
  }

  // Throughput.
  const runOnce = (fn: (x: BenchInput) => unknown, passes: number) => {
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    let sink = 0;
    for (let p = 0; p < passes; p++) for (const x of inputs) sink += fn(x) ? 1 : 0;
    const ms = performance.now() - start;
    const cpu = process.cpuUsage(cpu0);
    if (sink < 0) process.stdout.write('');
    return { decisionsPerSec: Math.round((passes * inputs.length) / (ms / 1000)), microsPerDecision: Math.round((100_000 * ms) / (passes * inputs.length)) / 100, wallMs: Math.round(ms), cpuShare: Math.round(((cpu.user + cpu.system) / 1000 / ms) * 100) / 100, loadavg1: Math.round(loadavg()[0] * 100) / 100 };
  };
  const routeIndex = (x: BenchInput) => index.route(x.input);
  runOnce(routeIndex, 1); // warm-up
  const runs = Array.from({ length: RUNS }, (_, i) => {
    const r = runOnce(routeIndex, PASSES);
    process.stdout.write(`run ${i + 1}: ${r.decisionsPerSec.toLocaleString('en')} decisions/s (${r.microsPerDecision} µs each, load ${r.loadavg1})\n`);
    return r;
  });
  const subsets = {
    exactOrAlias: inputs.filter((x, i) => decisions[i].method === 'exact' || decisions[i].method === 'alias'),
    similarOrManual: inputs.filter((x, i) => decisions[i].method === 'similar' || decisions[i].method === 'manual'),
  };
  const bySubset: Record<string, number> = {};
  for (const [name, subset] of Object.entries(subsets)) {
    const start = performance.now();
    for (let p = 0; p < PASSES; p++) for (const x of subset) index.route(x.input);
    bySubset[name] = Math.round((PASSES * subset.length) / ((performance.now() - start) / 1000));
  }
  const wrapperRuns = Array.from({ length: RUNS }, () =>
    runOnce((x) => routeCase(x.input, rowsByDistrict.get(x.input.districtCode) ?? []), 1),
  );

  const summary = {
    benchmark: 'routing decisions (issue 4): CommunityIndex.route on the demo registry, in process',
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    settings: { seed: SEED, inputs: inputs.length, runs: RUNS, passesPerRun: PASSES, threshold: ROUTING_CONFIDENCE_THRESHOLD, margin: ROUTING_MARGIN },
    registry: { communities: rows.length, districts: index.districtCount, aliases: rows.reduce((a, r) => a + r.aliases.length, 0), indexBuildMs: Math.round(buildMs * 10) / 10 },
    median: {
      decisionsPerSec: median(runs.map((r) => r.decisionsPerSec)),
      microsPerDecision: median(runs.map((r) => r.microsPerDecision)),
      routeCaseWrapperPerSec: median(wrapperRuns.map((r) => r.decisionsPerSec)),
    },
    decisionsPerSecBySubset: bySubset,
    runs,
    wrapperRuns,
    accuracy: {
      expectedToRoute: shares(expectedRoute),
      expectedManual: shares(expectedManual),
      byCategory: Object.fromEntries([...byCategory].map(([k, t]) => [k, shares(t)])),
      byKind: Object.fromEntries([...byKind].sort().map(([k, t]) => [k, shares(t)])),
      methods,
      namedCompany,
    },
    tuning: { grid, diceBigramTrigramGrid: diceGrid },
    misroutedExamples: inputs
      .map((x, i) => ({ x, d: decisions[i] }))
      .filter(({ x, d }) => d.kind === 'company' && d.companyId !== x.expectedCompany)
      .slice(0, 40)
      .map(({ x, d }) => ({ category: x.category, kind: x.kind, input: x.input.communityName, district: x.input.districtCode, expected: x.expectedCommunity ? rowsIndex.get(x.expectedCommunity)!.name : null, routedTo: d.kind === 'company' ? rowsIndex.get(d.communityId)?.name : null, reason: d.reason })),
    manualExamples: inputs
      .map((x, i) => ({ x, d: decisions[i] }))
      .filter(({ x, d }) => d.kind === 'manual' && x.expectedCompany)
      .slice(0, 30)
      .map(({ x, d }) => ({ kind: x.kind, input: x.input.communityName, expected: rowsIndex.get(x.expectedCommunity!)!.name, reason: d.reason })),
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/routing.json', `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify({ median: summary.median, bySubset, accuracy: { expectedToRoute: summary.accuracy.expectedToRoute, expectedManual: summary.accuracy.expectedManual, byCategory: summary.accuracy.byCategory } }, null, 2)}\n`);
}

main();
