import type { Rating } from '#shared';

export type ParsedReply =
  | { kind: 'rating'; rating: Rating; comment?: string }
  | { kind: 'unsubscribe' }
  | { kind: 'resubscribe' }
  | { kind: 'unrecognised' };

/** A comment longer than this is cut (the whole reply stays in `sms_message`). */
export const COMMENT_MAX_CHARS = 500;

const DIGITS: Record<string, Rating> = { '1': 'satisfied', '2': 'basically_satisfied', '3': 'dissatisfied' };

/*
 * Rating words. Order matters: the negated and hedged forms contain 满意 and are tried first.
 *   dissatisfied:         不满意, 非常/很/特别… 不满意, 不太/不大/不怎么/不是很/不算/不够 满意, 没(有)满意, 不满, 差评, 很差/太差…
 *   basically_satisfied:  基本(上)满意, 比较/还算/还比较/算是/勉强 满意 (hedged), 一般(般), 还行, 还可以, 凑合, 马马虎虎, 过得去
 *   satisfied:            满意, 非常/很/特别/十分/挺/蛮/超/太/相当/真/都 满意, 好评
 * 满意度 ("satisfaction level") is not the word 满意.
 */
const NEGATED_SATISFIED = /^(?:非常|很|特别|十分|极其|极|太|相当|超级|超|真)?(?:不太|不大|不怎么|不是很|不是太|不算|不够|不|没有|没)满意(?!度)|^不满(?![意足])|^(?:差评|很差|太差|非常差|特别差|极差|真差)/u;
const HEDGED_SATISFIED = /^(?:基本上?|比较|还算|还比较|算是|勉强)满意(?!度)/u;
/** Everyday middle words: only a rating when they stand alone (「一般都是晚上冷」 means "usually", not 一般). */
const MIDDLE_WORDS = /^(?:一般般|一般|还行|还可以|凑合|马马虎虎|过得去)(?=$|[\s\p{P}\p{S}]|[吧啦啊呀哈了嘛])/u;
const SATISFIED = /^(?:非常|很|特别|十分|挺|蛮|超级|超|太|相当|真|都)?满意(?!度)|^好评/u;

/** The 满意-family words anywhere in a comment (for contradictions like 「满意 不满意」); longest first. */
const RATING_WORD_ANYWHERE =
  /(?:非常|很|特别|十分|极其|极|太|相当|超级|超|真)?(?:不太|不大|不怎么|不是很|不是太|不算|不够|不|没有|没)满意(?!度)|不满(?![意足])|差评|(?:基本上?|比较|还算|还比较|算是|勉强)满意(?!度)|满意(?!度)|好评/gu;

/** A digit that counts something (1楼, 3号楼, 2天, 18度, 2位师傅) is not a rating. */
const QUANTITY = /^\s*(?:楼|层|号|栋|幢|座|单元|门|室|户|天|日|周|星期|礼拜|个|月|年|次|回|遍|趟|位|名|人|台|间|块|元|米|根|片|组|条|张|口|家|把|只|项|处|小时|分钟|分|秒|点|度|°|c\b|岁)/iu;

/** Characters that carry nothing: separators, punctuation, symbols and emoji. */
const NOISE = /^[\s\p{P}\p{S}\p{M}\p{Cf}]+/u;
/** Particles a resident adds after a word: 「满意了」「一般吧」「还行啊」. */
const PARTICLES = /^(?:的|了|吧|啊|呀|哈+|啦|哦|噢|呢|嘛|嗯)+(?=$|[\s\p{P}\p{S}])/u;

const UNSUBSCRIBE = /^(?:退订|退定|td|t|stop|unsubscribe|取消订阅|取消|退订短信)+$/u;
const RESUBSCRIBE = /^(?:订阅|恢复|恢复订阅|重新订阅)$/u;

/**
 * Reads a resident's SMS reply to a survey as people really write it (DOMAIN.md §3 step 5):
 * 「1」「１」「①」「1️⃣」「1 谢谢」「3，还是不热」「满意」「基本满意」「不太满意」「一般」, with
 * spaces, line breaks, punctuation or emoji around. What follows the rating is the comment.
 *
 * A reply that is not clearly one rating is `unrecognised` (the resident is asked again), never
 * guessed: two different ratings (「1 2」「满意 不满意」), a digit that belongs to a number or a
 * quantity (「13812345678」「18度」「1楼还是冷」「1.5」), a rating word that is not at the start.
 * 退订 / TD / T / STOP / 取消 unsubscribe; 订阅 / 恢复 subscribe again. docs/surveys.md has the rules.
 */
export function parseSurveyReply(text: string): ParsedReply {
  const s = normalise(text);
  const compact = s.replace(/[\s\p{P}\p{S}]/gu, '').toLowerCase();
  if (UNSUBSCRIBE.test(compact)) return { kind: 'unsubscribe' };
  if (RESUBSCRIBE.test(compact)) return { kind: 'resubscribe' };
  const first = readRating(s.replace(NOISE, ''));
  if (!first) return { kind: 'unrecognised' };
  let rest = first.rest;
  // 「1 满意」「满意，1」: the same rating twice is still that rating; a different one is a contradiction.
  for (;;) {
    rest = stripSeparators(rest);
    if (/^\d(?!\d)/u.test(rest) && !isCounted(rest.slice(1))) {
      if (DIGITS[rest[0]] !== first.rating) return { kind: 'unrecognised' };
      rest = rest.slice(1);
      continue;
    }
    const again = readWord(rest);
    if (again) {
      if (again.rating !== first.rating) return { kind: 'unrecognised' };
      rest = again.rest;
      continue;
    }
    break;
  }
  if (contradicts(rest, first.rating)) return { kind: 'unrecognised' };
  return withComment(first.rating, rest);
}

/** NFKC (full-width digits, letters and punctuation; ①), without keycap/variation marks and zero-width characters. */
function normalise(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\uFE0E\uFE0F\u20E3\u200B-\u200F\u2060\uFEFF\u0000]/gu, '')
    .replace(/滿/gu, '满')
    .trim();
}

function readRating(start: string): { rating: Rating; rest: string } | null {
  const digit = /^([1-3])(?!\d)/u.exec(start);
  if (digit) {
    const rest = start.slice(1);
    return isCounted(rest) ? null : { rating: DIGITS[digit[1]], rest };
  }
  return readWord(start);
}

function readWord(s: string): { rating: Rating; rest: string } | null {
  for (const [pattern, rating] of [
    [NEGATED_SATISFIED, 'dissatisfied'],
    [HEDGED_SATISFIED, 'basically_satisfied'],
    [MIDDLE_WORDS, 'basically_satisfied'],
    [SATISFIED, 'satisfied'],
  ] as Array<[RegExp, Rating]>) {
    const m = pattern.exec(s);
    if (m) return { rating, rest: s.slice(m[0].length) };
  }
  return null;
}

/** What follows a digit makes it part of a number (「1.5」「1,000」) or a count (「1楼」「2天」). */
function isCounted(rest: string): boolean {
  return /^[.,:/]\d/u.test(rest) || QUANTITY.test(rest);
}

function stripSeparators(s: string): string {
  let out = s;
  for (;;) {
    const next = out.replace(NOISE, '').replace(PARTICLES, '');
    if (next === out) return out;
    out = next;
  }
}

/** A 1/2/3 standing on its own in a comment (「1，不对，3」), or chosen (「还是选3吧」); not 「工号3」「暖气片1根」. */
const DIGIT_CHOICE = /(?:^|[^\p{L}\p{N}]|选|改成|改为|改|是)([1-3])(?!\p{N})/gu;

/** A different rating later in the comment: a 满意-family word, or a lone 1/2/3 that counts nothing. */
function contradicts(comment: string, rating: Rating): boolean {
  for (const m of comment.matchAll(RATING_WORD_ANYWHERE)) {
    const word = readWord(m[0]);
    if (word && word.rating !== rating) return true;
  }
  for (const m of comment.matchAll(DIGIT_CHOICE)) {
    const after = comment.slice(m.index + m[0].length);
    if (!isCounted(after) && DIGITS[m[1]] !== rating) return true;
  }
  return false;
}

function withComment(rating: Rating, rest: string): ParsedReply {
  const comment = rest.trim();
  // Only punctuation, symbols or emoji left: no comment.
  if (!/[\p{L}\p{N}]/u.test(comment)) return { kind: 'rating', rating };
  const chars = Array.from(comment);
  return { kind: 'rating', rating, comment: chars.length > COMMENT_MAX_CHARS ? chars.slice(0, COMMENT_MAX_CHARS).join('') : comment };
}
