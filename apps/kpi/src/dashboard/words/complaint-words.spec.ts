import { describe, expect, it } from '@jest/globals';
import { addWords, complaintWords, topWords } from './complaint-words.js';
import type { WordCounts } from './complaint-words.js';

describe('the words of a complaint text (Chinese word segmentation, Intl.Segmenter)', () => {
  it('heating terms the segmenter splits are joined again: 换|热|站 → 换热站, 暖气|片 → 暖气片', () => {
    expect(complaintWords('换热站一直不管，暖气片漏水')).toEqual(expect.arrayContaining(['换热站', '暖气片', '漏水']));
  });

  it('function words, generic complaint words and numbers are not words of the list', () => {
    const words = complaintWords('我家卧室只有15度，希望尽快解决问题，谢谢');
    expect(words).toContain('卧室');
    for (const w of ['我家', '15', '度', '希望', '尽快', '问题', '谢谢']) expect(words).not.toContain(w);
  });

  it('single characters are dropped except telling ones (冷, 漏 …)', () => {
    expect(complaintWords('家里太冷了')).toEqual(['冷']);
  });

  it('a word counts once per complaint, however often the text repeats it', () => {
    expect(complaintWords('暖气不热，暖气不热，暖气不热').filter((w) => w === '暖气')).toHaveLength(1);
  });

  it('a phone number in the text is never a word', () => {
    expect(complaintWords('请回电 13812345678 暖气不热').join('')).not.toMatch(/\d{4}/);
  });
});

describe('the most frequent words of the day', () => {
  it('are counted in complaints and listed most frequent first, ties in a stable order', () => {
    const counts: WordCounts = new Map();
    addWords(counts, complaintWords('暖气不热，室温不达标'));
    addWords(counts, complaintWords('暖气不热'));
    addWords(counts, complaintWords('室温不达标，要求退费'));
    expect(topWords(counts, 3)).toEqual([
      { word: '不热', count: 2 },
      { word: '不达标', count: 2 },
      { word: '室温', count: 2 },
    ]);
    expect(topWords(counts, 10).map((w) => w.word)).toEqual(['不热', '不达标', '室温', '暖气', '退费']);
  });
});
