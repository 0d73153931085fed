import { describe, expect, it } from '@jest/globals';
import { parseSurveyReply } from './parse-survey-reply.js';

/*
 * The survey SMS asks: 回复 1 满意，2 基本满意，3 不满意 (DOMAIN.md §3 step 5). Residents answer
 * the way people text: full-width digits, words instead of digits, a comment after the rating,
 * emoji. A misread rating goes straight into a company's satisfaction rate, so a reply that is
 * not clearly a rating must come back unrecognised (the resident is asked again), never guessed.
 */
const rating = (r: string, comment?: string) => (comment === undefined ? { kind: 'rating', rating: r } : { kind: 'rating', rating: r, comment });
const UNRECOGNISED = { kind: 'unrecognised' };

describe('1, 2, 3 are 满意, 基本满意, 不满意', () => {
  it('「1」 is 满意, 「2」 is 基本满意, 「3」 is 不满意', () => {
    expect(parseSurveyReply('1')).toEqual(rating('satisfied'));
    expect(parseSurveyReply('2')).toEqual(rating('basically_satisfied'));
    expect(parseSurveyReply('3')).toEqual(rating('dissatisfied'));
  });

  it('full-width 「１」「２」「３」 read like 1, 2, 3', () => {
    expect(parseSurveyReply('１')).toEqual(rating('satisfied'));
    expect(parseSurveyReply('２')).toEqual(rating('basically_satisfied'));
    expect(parseSurveyReply('３')).toEqual(rating('dissatisfied'));
  });

  it('a digit with a full stop 「1.」「1。」 is still the digit', () => {
    expect(parseSurveyReply('1.')).toEqual(rating('satisfied'));
    expect(parseSurveyReply('1。')).toEqual(rating('satisfied'));
  });
});

describe('the words 满意, 基本满意, 不满意 (and their everyday variants) are ratings', () => {
  it('「满意」 is 满意, 「基本满意」 is 基本满意, 「不满意」 is 不满意', () => {
    expect(parseSurveyReply('满意')).toEqual(rating('satisfied'));
    expect(parseSurveyReply('基本满意')).toEqual(rating('basically_satisfied'));
    expect(parseSurveyReply('不满意')).toEqual(rating('dissatisfied'));
  });

  it('「非常不满意」 and 「不太满意」 are 不满意, not 满意 (they contain 满意)', () => {
    expect(parseSurveyReply('非常不满意')).toEqual(rating('dissatisfied'));
    expect(parseSurveyReply('不太满意')).toEqual(rating('dissatisfied'));
    expect(parseSurveyReply('很不满意')).toEqual(rating('dissatisfied'));
  });

  it('「一般」 and 「还行」 are 基本满意', () => {
    expect(parseSurveyReply('一般')).toEqual(rating('basically_satisfied'));
    expect(parseSurveyReply('还行')).toEqual(rating('basically_satisfied'));
  });

  it('「非常满意」 and 「很满意」 are 满意', () => {
    expect(parseSurveyReply('非常满意')).toEqual(rating('satisfied'));
    expect(parseSurveyReply('很满意')).toEqual(rating('satisfied'));
  });
});

describe('what follows the rating is kept as the resident\'s comment', () => {
  it('a reply 「1 谢谢」 is 满意 with the comment 谢谢', () => {
    expect(parseSurveyReply('1 谢谢')).toEqual(rating('satisfied', '谢谢'));
  });

  it('a reply 「3，还是不热」 is 不满意 with the comment 还是不热', () => {
    expect(parseSurveyReply('3，还是不热')).toEqual(rating('dissatisfied', '还是不热'));
  });

  it('the separator may be a comma, a full stop, a colon, a dash, a line break or nothing at all', () => {
    for (const reply of ['3,还是不热', '３，还是不热', '3。还是不热', '3:还是不热', '3 - 还是不热', '3\n还是不热', '3还是不热']) {
      expect(parseSurveyReply(reply)).toEqual(rating('dissatisfied', '还是不热'));
    }
  });

  it('a word rating keeps its comment too: 「不满意，还是不热」, 「满意！谢谢」', () => {
    expect(parseSurveyReply('不满意，还是不热')).toEqual(rating('dissatisfied', '还是不热'));
    expect(parseSurveyReply('满意！谢谢')).toEqual(rating('satisfied', '谢谢'));
  });

  it('a rating with only punctuation or emoji after it has no comment', () => {
    expect(parseSurveyReply('1。')).not.toHaveProperty('comment');
    expect(parseSurveyReply('不满意😡')).toEqual(rating('dissatisfied'));
    expect(parseSurveyReply('1😊')).toEqual(rating('satisfied'));
  });
});

describe('spaces, emoji and punctuation before the rating are ignored', () => {
  it('「  1」, 「😊1」, 「【1】」, 「“3”」 are read as their digit', () => {
    expect(parseSurveyReply('  1')).toEqual(rating('satisfied'));
    expect(parseSurveyReply('😊1')).toEqual(rating('satisfied'));
    expect(parseSurveyReply('【1】')).toEqual(rating('satisfied'));
    expect(parseSurveyReply('“3”')).toEqual(rating('dissatisfied'));
  });

  it('「 ，不满意」 is 不满意', () => {
    expect(parseSurveyReply(' ，不满意')).toEqual(rating('dissatisfied'));
  });
});

describe('a number that is not 1, 2 or 3 on its own is not a rating', () => {
  it('「13」 and 「10」 are not 1', () => {
    expect(parseSurveyReply('13')).toEqual(UNRECOGNISED);
    expect(parseSurveyReply('10')).toEqual(UNRECOGNISED);
  });

  it('a phone number 「13812345678」 is not a rating', () => {
    expect(parseSurveyReply('13812345678')).toEqual(UNRECOGNISED);
  });

  it('「4」 and 「0」 are outside the scale: unrecognised', () => {
    expect(parseSurveyReply('4')).toEqual(UNRECOGNISED);
    expect(parseSurveyReply('0')).toEqual(UNRECOGNISED);
  });

  it('a temperature 「18」 or 「12度还是冷」 is not a rating', () => {
    expect(parseSurveyReply('18')).toEqual(UNRECOGNISED);
    expect(parseSurveyReply('12度还是冷')).toEqual(UNRECOGNISED);
  });
});

describe('a digit that counts something (1楼, 3号楼, 2天, 1度) is not a rating', () => {
  it('「1楼还是冷」 (the first floor is still cold) is not 满意', () => {
    expect(parseSurveyReply('1楼还是冷')).toEqual(UNRECOGNISED);
  });

  it('「3号楼还是不热」, 「2天了还不热」, 「2单元不热」, 「3 号楼」 are not ratings', () => {
    for (const reply of ['3号楼还是不热', '2天了还不热', '2单元不热', '3 号楼', '1层冷', '1次都没来', '2度']) {
      expect(parseSurveyReply(reply)).toEqual(UNRECOGNISED);
    }
  });

  it('a rating followed by a comment that starts differently is still a rating: 「1 谢谢师傅」', () => {
    expect(parseSurveyReply('1 谢谢师傅')).toEqual(rating('satisfied', '谢谢师傅'));
  });
});

describe('退订 / TD / STOP unsubscribe, in any case', () => {
  it('「退订」, 「TD」, 「td」, 「Td」, 「STOP」, 「stop」, 「T」 unsubscribe', () => {
    for (const reply of ['退订', 'TD', 'td', 'Td', 'STOP', 'stop', 'Stop', 'T', 'unsubscribe']) {
      expect(parseSurveyReply(reply)).toEqual({ kind: 'unsubscribe' });
    }
  });

  it('with spaces or punctuation around: 「退订。」, 「 TD 」, 「STOP!」, 「退 订」', () => {
    for (const reply of ['退订。', ' TD ', 'STOP!', '退 订', 'ＴＤ']) {
      expect(parseSurveyReply(reply)).toEqual({ kind: 'unsubscribe' });
    }
  });

  it('a sentence that merely contains TD or 退订 is not an unsubscribe', () => {
    expect(parseSurveyReply('怎么退订暖气')).not.toEqual({ kind: 'unsubscribe' });
    expect(parseSurveyReply('1 TD')).toEqual(rating('satisfied', 'TD'));
  });
});

describe('an empty or meaningless reply is unrecognised', () => {
  it('「」 and 「   」 are unrecognised', () => {
    expect(parseSurveyReply('')).toEqual(UNRECOGNISED);
    expect(parseSurveyReply('   ')).toEqual(UNRECOGNISED);
  });

  it('「👍」, 「好」, 「回复1」 are unrecognised rather than guessed', () => {
    expect(parseSurveyReply('👍')).toEqual(UNRECOGNISED);
    expect(parseSurveyReply('好')).toEqual(UNRECOGNISED);
    expect(parseSurveyReply('回复1')).toEqual(UNRECOGNISED);
  });

  it('a Chinese numeral 「三」 is asked again rather than guessed', () => {
    expect(parseSurveyReply('三')).toEqual(UNRECOGNISED);
  });
});
