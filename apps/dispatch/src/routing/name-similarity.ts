import { areConfusable } from './char-tables.js';
import { CONFUSABLE_SUBSTITUTION_COST, SUFFIX_CHAR_WEIGHT, TRANSPOSITION_COST } from './tuning.js';

/**
 * A name as characters (code points) with a weight each: core characters weigh 1, generic suffix
 * characters (小区, 花园 …) SUFFIX_CHAR_WEIGHT, so two names do not look alike merely because both
 * end in 小区.
 */
export interface WeightedChars {
  readonly codes: readonly number[];
  readonly weights: readonly number[];
  readonly total: number;
}

/** `core` at weight 1 followed by `suffix` at SUFFIX_CHAR_WEIGHT. */
export function weightedChars(core: string, suffix = ''): WeightedChars {
  const codes: number[] = [];
  const weights: number[] = [];
  let total = 0;
  for (const ch of core) {
    codes.push(ch.codePointAt(0)!);
    weights.push(1);
    total += 1;
  }
  for (const ch of suffix) {
    codes.push(ch.codePointAt(0)!);
    weights.push(SUFFIX_CHAR_WEIGHT);
    total += SUFFIX_CHAR_WEIGHT;
  }
  return { codes, weights, total };
}

let matrix = new Float64Array(32 * 32);

/**
 * Weighted optimal-string-alignment distance (Damerau–Levenshtein without repeated edits of one
 * substring): insert/delete cost the character's weight; substitution costs 1, or
 * CONFUSABLE_SUBSTITUTION_COST for a homophone/look-alike, times the heavier weight; swapping two
 * neighbours costs TRANSPOSITION_COST times the heaviest weight. Fills `matrix` (row-major,
 * (m + 1) columns) for explainEdit.
 */
function fill(a: WeightedChars, b: WeightedChars): number {
  const n = a.codes.length;
  const m = b.codes.length;
  const width = m + 1;
  if (matrix.length < (n + 1) * width) matrix = new Float64Array((n + 1) * width * 2);
  const d = matrix;
  d[0] = 0;
  for (let j = 1; j <= m; j++) d[j] = d[j - 1] + b.weights[j - 1];
  for (let i = 1; i <= n; i++) {
    const ai = a.codes[i - 1];
    const wa = a.weights[i - 1];
    const row = i * width;
    d[row] = d[row - width] + wa;
    for (let j = 1; j <= m; j++) {
      const bj = b.codes[j - 1];
      const wb = b.weights[j - 1];
      let best = d[row - width + j] + wa; // a's character not in b
      const ins = d[row + j - 1] + wb; // b's character not in a
      if (ins < best) best = ins;
      const heavier = wa > wb ? wa : wb;
      const sub = d[row - width + j - 1] + (ai === bj ? 0 : (areConfusable(ai, bj) ? CONFUSABLE_SUBSTITUTION_COST : 1) * heavier);
      if (sub < best) best = sub;
      if (i > 1 && j > 1 && ai !== bj && ai === b.codes[j - 2] && a.codes[i - 2] === bj) {
        const w = Math.max(heavier, a.weights[i - 2], b.weights[j - 2]);
        const swap = d[row - 2 * width + j - 2] + TRANSPOSITION_COST * w;
        if (swap < best) best = swap;
      }
      d[row + j] = best;
    }
  }
  return d[n * width + m];
}

/**
 * Similarity in [0, 1]: 1 − weighted edit distance / the heavier name's total weight. One
 * homophone in a two-character name gives 0.825, one arbitrary wrong character 0.5.
 */
export function nameSimilarity(a: WeightedChars, b: WeightedChars): number {
  const longer = a.total > b.total ? a.total : b.total;
  if (longer === 0) return 1;
  const sim = 1 - fill(a, b) / longer;
  return sim < 0 ? 0 : sim;
}

/** What it takes to turn the resident's spelling into the registered one (for the `why` text). */
export interface EditSummary {
  /** Characters replaced by a homophone / look-alike (锦秀 ↔ 锦绣). */
  confusable: number;
  /** Characters replaced by an unrelated one. */
  substituted: number;
  /** Registered characters the resident left out. */
  missing: number;
  /** Characters the resident added. */
  extra: number;
  /** Neighbouring characters swapped. */
  transposed: number;
}

/** The edits behind nameSimilarity(input, registered), read back from the alignment. */
export function explainEdit(input: WeightedChars, registered: WeightedChars): EditSummary {
  fill(input, registered);
  const d = matrix;
  const width = registered.codes.length + 1;
  const summary: EditSummary = { confusable: 0, substituted: 0, missing: 0, extra: 0, transposed: 0 };
  const close = (x: number, y: number) => Math.abs(x - y) < 1e-9;
  let i = input.codes.length;
  let j = registered.codes.length;
  while (i > 0 || j > 0) {
    const here = d[i * width + j];
    if (i > 0 && j > 0) {
      const ai = input.codes[i - 1];
      const bj = registered.codes[j - 1];
      const heavier = Math.max(input.weights[i - 1], registered.weights[j - 1]);
      if (ai === bj && close(here, d[(i - 1) * width + j - 1])) {
        i--; j--;
        continue;
      }
      if (ai !== bj) {
        const confusable = areConfusable(ai, bj);
        const cost = (confusable ? CONFUSABLE_SUBSTITUTION_COST : 1) * heavier;
        if (close(here, d[(i - 1) * width + j - 1] + cost)) {
          if (confusable) summary.confusable++;
          else summary.substituted++;
          i--; j--;
          continue;
        }
        if (i > 1 && j > 1 && ai === registered.codes[j - 2] && input.codes[i - 2] === bj) {
          const w = Math.max(heavier, input.weights[i - 2], registered.weights[j - 2]);
          if (close(here, d[(i - 2) * width + j - 2] + TRANSPOSITION_COST * w)) {
            summary.transposed++;
            i -= 2; j -= 2;
            continue;
          }
        }
      }
    }
    if (j === 0 || (i > 0 && close(here, d[(i - 1) * width + j] + input.weights[i - 1]))) {
      summary.extra++;
      i--;
    } else {
      summary.missing++;
      j--;
    }
  }
  return summary;
}
