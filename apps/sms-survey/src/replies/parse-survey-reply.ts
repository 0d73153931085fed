import type { Rating } from '#shared';

export type ParsedReply =
  | { kind: 'rating'; rating: Rating; comment?: string }
  | { kind: 'unsubscribe' }
  | { kind: 'unrecognised' };

const WORDS: Array<[RegExp, Rating]> = [
  // Longest first: 不满意 contains 满意, 基本满意 contains 满意.
  [/^(非常不满意|很不满意|不满意|不太满意|差评)/, 'dissatisfied'],
  [/^(基本满意|一般|还行|还可以)/, 'basically_satisfied'],
  [/^(非常满意|很满意|满意|好评)/, 'satisfied'],
];
const DIGITS: Record<string, Rating> = { '1': 'satisfied', '2': 'basically_satisfied', '3': 'dissatisfied' };
/** A digit that counts something (1楼, 3号楼, 2天, 18度) is not a rating: 「1楼还是冷」 is no 满意. */
const QUANTITY = /^\s*(?:楼|层|号|栋|座|单元|室|户|天|日|周|月|年|次|个|小时|分钟|点|度|°)/u;

/**
 * Reads a resident's SMS reply as people really write it: 「1」「１」「1 谢谢」「3，还是不热」
 * 「满意」「基本满意」「不满意」「一般」, with spaces, punctuation or emoji around. What follows the
 * rating is kept as the resident's comment. 退订 / TD / STOP unsubscribes.
 */
export function parseSurveyReply(text: string): ParsedReply {
  const s = text.normalize('NFKC').trim();
  if (/^(退订|td|t|stop|unsubscribe)$/i.test(s.replace(/[\s\p{P}]/gu, ''))) return { kind: 'unsubscribe' };
  const start = s.replace(/^[\s\p{P}\p{S}]+/u, '');
  const digit = /^([123])(?!\d)(.*)$/su.exec(start);
  if (digit) return QUANTITY.test(digit[2]) ? { kind: 'unrecognised' } : withComment(DIGITS[digit[1]], digit[2]);
  for (const [pattern, rating] of WORDS) {
    const m = pattern.exec(start);
    if (m) return withComment(rating, start.slice(m[0].length));
  }
  return { kind: 'unrecognised' };
}

function withComment(rating: Rating, rest: string): ParsedReply {
  const comment = rest.replace(/^[\s\p{P}\p{S}]+/u, '').trim();
  return comment ? { kind: 'rating', rating, comment } : { kind: 'rating', rating };
}
