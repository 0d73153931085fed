/*
 * 热词 — the words of residents' complaint texts, for the live page's word list.
 *
 * Chinese has no spaces: words come from ICU's dictionary segmenter (Intl.Segmenter, in Node and
 * every browser), which cuts domain terms into pieces (换热站 → 换|热|站). Adjacent pieces that
 * make up a term of the heating domain are joined again; function words, generic complaint words
 * (反映, 问题, 希望 …), numbers and single characters (except a few telling ones: 冷, 冻, 漏) are
 * dropped. A word counts once per complaint: one long text cannot carry the list.
 */

const SEGMENTER = new Intl.Segmenter('zh', { granularity: 'word' });

/** Terms of the heating domain the segmenter splits; joined back from their pieces. */
export const DOMAIN_TERMS: readonly string[] = [
  '换热站',
  '热力公司',
  '供热公司',
  '暖气片',
  '暖气',
  '地暖',
  '室温',
  '不达标',
  '不热',
  '不暖和',
  '停热',
  '停暖',
  '停供',
  '供暖',
  '供热',
  '漏水',
  '跑水',
  '管网',
  '立管',
  '回水',
  '失水',
  '补水',
  '放风',
  '阀门',
  '开栓',
  '报停',
  '测温',
  '温度',
  '物业',
  '热费',
  '退费',
  '收费',
  '维修',
  '不作为',
  '没人管',
  '冻感冒',
  '水温',
];

const MAX_TERM_PIECES = 4;

/** Words that say nothing about what is wrong. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    '的 了 是 在 我 我们 我家 你 你们 他 她 它 他们 家 家里 和 与 及 并 也 都 就 还 又 很 太 非常 特别 比较 一直 已经 没有 不 没 有 ' +
    '这 那 这个 那个 这里 那里 这样 个 上 下 里 中 到 给 让 被 把 对 说 要 会 能 可以 可 什么 怎么 为什么 吗 呢 吧 啊 呀 哦 ' +
    '现在 今天 昨天 前天 目前 一个 一下 一些 问题 情况 反映 反应 希望 请 请求 要求 尽快 马上 帮忙 帮助 联系 谢谢 您好 你好 ' +
    '但是 但 而且 因为 所以 如果 然后 还是 或者 就是 只是 只有 只 才 再 又是 也没 都没 每天 天天 几天 多次 好几 几次 时候 之后 以后 以前 ' +
    '小区 号楼 单元 楼 室 号 层 户 住户 业主 居民 本人'
  ).split(' '),
);

/** Single characters worth keeping. */
const TELLING_SINGLES: ReadonlySet<string> = new Set(['冷', '冻', '凉', '漏', '臭', '吵', '堵']);

const TERMS: ReadonlySet<string> = new Set(DOMAIN_TERMS);
const HAS_LETTER = /[\p{Script=Han}\p{L}]/u;
const ALL_DIGITS = /^[\d\p{N}.]+$/u;

/** The telling words of one complaint text, each once, in order of appearance. */
export function complaintWords(text: string): string[] {
  const pieces: string[] = [];
  for (const s of SEGMENTER.segment(text)) if (s.isWordLike) pieces.push(s.segment.toLowerCase());
  const words: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < pieces.length; ) {
    let word = pieces[i];
    let used = 1;
    // The longest run of pieces that spells a domain term wins.
    let joined = pieces[i];
    for (let k = 1; k < MAX_TERM_PIECES && i + k < pieces.length; k++) {
      joined += pieces[i + k];
      if (TERMS.has(joined)) {
        word = joined;
        used = k + 1;
      }
    }
    i += used;
    if (!isTelling(word) || seen.has(word)) continue;
    seen.add(word);
    words.push(word);
  }
  return words;
}

function isTelling(word: string): boolean {
  if (STOP_WORDS.has(word) || ALL_DIGITS.test(word) || !HAS_LETTER.test(word)) return false;
  return [...word].length > 1 || TELLING_SINGLES.has(word);
}

/** Word → number of complaints using it. */
export type WordCounts = Map<string, number>;

export function addWords(counts: WordCounts, words: readonly string[]): void {
  for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
}

/** The `n` most frequent words, most frequent first; equal counts in Unicode order (stable). */
export function topWords(counts: WordCounts, n: number): Array<{ word: string; count: number }> {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, n)
    .map(([word, count]) => ({ word, count }));
}
