import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { COMMENT_MAX_CHARS, parseSurveyReply } from './parse-survey-reply.js';
import type { ParsedReply } from './parse-survey-reply.js';

/*
 * The survey SMS asks: 请回复数字评价：1满意 2基本满意 3不满意 (DOMAIN.md §3 step 5). Residents answer
 * the way people text: full-width digits, words instead of digits, a comment after the rating,
 * emoji, line breaks. A misread rating goes straight into a company's satisfaction rate, so a
 * reply that is not clearly one rating comes back unrecognised (the resident is asked again),
 * never guessed. docs/surveys.md lists the readings.
 */
const satisfied = (comment?: string): ParsedReply => ({ kind: 'rating', rating: 'satisfied', ...(comment ? { comment } : {}) });
const basically = (comment?: string): ParsedReply => ({ kind: 'rating', rating: 'basically_satisfied', ...(comment ? { comment } : {}) });
const dissatisfied = (comment?: string): ParsedReply => ({ kind: 'rating', rating: 'dissatisfied', ...(comment ? { comment } : {}) });
const UNRECOGNISED: ParsedReply = { kind: 'unrecognised' };
const UNSUBSCRIBE: ParsedReply = { kind: 'unsubscribe' };
const RESUBSCRIBE: ParsedReply = { kind: 'resubscribe' };

const REPLIES: Array<[rule: string, reply: string, reading: ParsedReply]> = [
  // digits
  ['「1」 is 满意', '1', satisfied()],
  ['「2」 is 基本满意', '2', basically()],
  ['「3」 is 不满意', '3', dissatisfied()],
  ['full-width 「１」 reads like 1', '１', satisfied()],
  ['full-width 「３」 reads like 3', '３', dissatisfied()],
  ['a circled 「②」 reads like 2', '②', basically()],
  ['a keycap emoji 「1️⃣」 reads like 1', '1️⃣', satisfied()],
  ['a digit with a full stop 「1。」 has no comment', '1。', satisfied()],
  ['leading and trailing spaces and line breaks are ignored', '  \n 2 \n', basically()],
  ['an ideographic space before the digit is ignored', '\u30003', dissatisfied()],
  ['emoji before the digit are ignored', '😊1', satisfied()],
  ['emoji after the digit are not a comment', '1👍👍', satisfied()],
  ['brackets and quotes around the digit are ignored', '【1】', satisfied()],
  ['Chinese quotes around the digit are ignored', '“3”', dissatisfied()],
  // comments
  ['「1 谢谢」 is 满意 with the comment 谢谢', '1 谢谢', satisfied('谢谢')],
  ['「3，还是不热」 is 不满意 with the comment 还是不热', '3，还是不热', dissatisfied('还是不热')],
  ['「３，还是不热」 with a full-width digit and comma', '３，还是不热', dissatisfied('还是不热')],
  ['a line break separates rating and comment', '3\n暖气还是凉的', dissatisfied('暖气还是凉的')],
  ['no separator at all: 「3还是不热」', '3还是不热', dissatisfied('还是不热')],
  ['a dash separates rating and comment', '2 - 温度刚够', basically('温度刚够')],
  ['a comment with a temperature: 「3 才16度」', '3 才16度', dissatisfied('才16度')],
  ['a comment with a decimal temperature keeps it', '3，卧室17.5度', dissatisfied('卧室17.5度')],
  ['a comment with emoji keeps them', '1 谢谢师傅🙏', satisfied('谢谢师傅🙏')],
  ['a comment that mentions 2 workers is not a second rating', '1 谢谢2位师傅', satisfied('谢谢2位师傅')],
  ['the same rating twice 「1 满意」 is that rating', '1 满意', satisfied()],
  ['the same rating twice 「不满意，3」 is that rating', '不满意，3', dissatisfied()],
  ['「1 TD」 is a rating whose comment is TD, not an unsubscribe', '1 TD', satisfied('TD')],
  // words
  ['「满意」 is 满意', '满意', satisfied()],
  ['「非常满意」 is 满意', '非常满意', satisfied()],
  ['「很满意！谢谢」 is 满意 with a comment', '很满意！谢谢', satisfied('谢谢')],
  ['「好评」 is 满意', '好评', satisfied()],
  ['「基本满意」 is 基本满意', '基本满意', basically()],
  ['「比较满意」 (hedged) is 基本满意', '比较满意', basically()],
  ['「一般」 is 基本满意 (the common reading)', '一般', basically()],
  ['「一般般吧」 is 基本满意', '一般般吧', basically()],
  ['「还行，就是来得晚」 is 基本满意 with a comment', '还行，就是来得晚', basically('就是来得晚')],
  ['「凑合」 is 基本满意', '凑合', basically()],
  ['「不满意」 is 不满意', '不满意', dissatisfied()],
  ['「非常不满意」 is 不满意, not 满意', '非常不满意', dissatisfied()],
  ['「很不满意」 is 不满意', '很不满意', dissatisfied()],
  ['「不太满意」 (a negation) is 不满意', '不太满意', dissatisfied()],
  ['「不是很满意，还是冷」 is 不满意 with a comment', '不是很满意，还是冷', dissatisfied('还是冷')],
  ['「差评」 is 不满意', '差评', dissatisfied()],
  ['「不满意😡」: an emoji after the word is not a comment', '不满意😡', dissatisfied()],
  ['「 ，不满意」: punctuation before the word is ignored', ' ，不满意', dissatisfied()],
  ['traditional characters 「滿意」 read like 满意', '滿意', satisfied()],
  // ambiguous: asked again, never guessed
  ['「1 2」 names two ratings: unrecognised', '1 2', UNRECOGNISED],
  ['「1、3」 names two ratings: unrecognised', '1、3', UNRECOGNISED],
  ['「满意 不满意」 names two ratings: unrecognised', '满意 不满意', UNRECOGNISED],
  ['「1，不对，3」 corrects itself: unrecognised', '1，不对，3', UNRECOGNISED],
  ['「3 服务满意但还是不热」 mixes two ratings: unrecognised', '3 服务满意但还是不热', UNRECOGNISED],
  // numbers that are not ratings
  ['「13」 is not 1', '13', UNRECOGNISED],
  ['a phone number is not a rating', '13812345678', UNRECOGNISED],
  ['「18度」 is a temperature, not 1', '18度', UNRECOGNISED],
  ['「1.5」 is a number, not 1', '1.5', UNRECOGNISED],
  ['「1楼还是冷」 is the first floor, not 满意', '1楼还是冷', UNRECOGNISED],
  ['「3号楼还是不热」 is building 3, not 不满意', '3号楼还是不热', UNRECOGNISED],
  ['「2天了还不热」 counts days, not 基本满意', '2天了还不热', UNRECOGNISED],
  ['「3 号楼」 with a space is still building 3', '3 号楼', UNRECOGNISED],
  ['「4」 is outside the scale', '4', UNRECOGNISED],
  ['「0」 is outside the scale', '0', UNRECOGNISED],
  ['a Chinese numeral 「三」 is asked again', '三', UNRECOGNISED],
  // other words that are not ratings
  ['「一般都是晚上冷」 (一般 = usually) is not a rating', '一般都是晚上冷', UNRECOGNISED],
  ['「满意度太低」 (satisfaction level) is not 满意', '满意度太低', UNRECOGNISED],
  ['「好」 is not a rating', '好', UNRECOGNISED],
  ['「👍」 alone is not a rating', '👍', UNRECOGNISED],
  ['「回复1」 is asked again', '回复1', UNRECOGNISED],
  ['「谢谢」 alone is not a rating', '谢谢', UNRECOGNISED],
  ['an empty reply is unrecognised', '', UNRECOGNISED],
  ['a reply of spaces is unrecognised', '   ', UNRECOGNISED],
  // unsubscribe and subscribe again
  ['「退订」 unsubscribes', '退订', UNSUBSCRIBE],
  ['「TD」 unsubscribes', 'TD', UNSUBSCRIBE],
  ['「td」 in lower case unsubscribes', 'td', UNSUBSCRIBE],
  ['full-width 「ＴＤ」 unsubscribes', 'ＴＤ', UNSUBSCRIBE],
  ['「STOP!」 unsubscribes', 'STOP!', UNSUBSCRIBE],
  ['「退 订。」 with a space and a full stop unsubscribes', '退 订。', UNSUBSCRIBE],
  ['「取消」 unsubscribes', '取消', UNSUBSCRIBE],
  ['「怎么退订暖气」 is a question, not an unsubscribe', '怎么退订暖气', UNRECOGNISED],
  ['「订阅」 subscribes again', '订阅', RESUBSCRIBE],
  ['「恢复」 subscribes again', '恢复', RESUBSCRIBE],
];

describe('a reply is read the way residents write it', () => {
  it.each(REPLIES)('%s', (_rule, reply, reading) => {
    expect(parseSurveyReply(reply)).toEqual(reading);
  });
});

describe('limits', () => {
  it(`a comment longer than ${COMMENT_MAX_CHARS} characters is cut to ${COMMENT_MAX_CHARS}; the rating stands`, () => {
    const parsed = parseSurveyReply(`3，${'还是不热'.repeat(300)}`);
    expect(parsed).toMatchObject({ kind: 'rating', rating: 'dissatisfied' });
    expect(Array.from((parsed as { comment: string }).comment)).toHaveLength(COMMENT_MAX_CHARS);
  });

  it('any text at all is read without throwing, as one of the four kinds', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        expect(['rating', 'unsubscribe', 'resubscribe', 'unrecognised']).toContain(parseSurveyReply(text).kind);
      }),
    );
  });

  it('a reply naming two different digits 1–3 is never read as a rating', () => {
    fc.assert(
      fc.property(fc.constantFrom('1', '2', '3'), fc.constantFrom('1', '2', '3'), fc.constantFrom(' ', '，', '、', '\n', ' / '), (a, b, sep) => {
        fc.pre(a !== b);
        expect(parseSurveyReply(`${a}${sep}${b}`)).toEqual(UNRECOGNISED);
      }),
    );
  });
});
