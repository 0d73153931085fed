import { describe, expect, it } from '@jest/globals';
import { alreadyRatedPage, closedPage, escapeHtml, notFoundPage, ratingForm, thanksPage } from './rating-pages.js';
import { readForm } from './web-rating.service.js';

describe('rating pages escape everything they show', () => {
  it('& < > " \' ` are escaped', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&\``)).toBe('&#60;a href=&#34;x&#34; onclick=&#39;y&#39;&#62;&#38;&#96;');
  });

  it('a case number or comment carrying markup is shown as text', () => {
    const html = ratingForm('GR-<script>alert(1)</script>', '请选择', '</textarea><script>x</script>');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;');
  });

  it('the form posts to its own address with the three ratings as buttons and a 200-character comment field', () => {
    const html = ratingForm('GR-20261129-000123');
    expect(html).toContain('<form method="post">');
    for (const [value, label] of [['satisfied', '满意'], ['basically_satisfied', '基本满意'], ['dissatisfied', '不满意']]) {
      expect(html).toContain(`name="rating" value="${value}" class="${value}">${label}</button>`);
    }
    expect(html).toContain('maxlength="200"');
    expect(html).toContain('工单 GR-20261129-000123');
  });

  it('a later round (after a rectification) asks about the rectified result; round 1 about the handling', () => {
    expect(ratingForm('GR-20261129-000123', undefined, '', 2)).toContain('<h1>问题已整改，请再次评价</h1>');
    expect(ratingForm('GR-20261129-000123')).toContain('<h1>请评价本次供热问题的办理</h1>');
  });

  it('every page is a Chinese HTML document without scripts or external resources', () => {
    for (const html of [ratingForm('GR-1'), thanksPage('GR-1', 'satisfied'), alreadyRatedPage('GR-1', null), closedPage('GR-1'), notFoundPage()]) {
      expect(html).toMatch(/^<!doctype html>\n<html lang="zh-CN">/);
      expect(html).not.toMatch(/<script|src=|href=/);
    }
  });
});

describe('the rating form is read strictly', () => {
  it('a known rating with an optional comment is accepted; the comment is trimmed, empty means none', () => {
    expect(readForm({ rating: 'satisfied' })).toEqual({ rating: 'satisfied', comment: null });
    expect(readForm({ rating: 'dissatisfied', comment: '  还是冷  ' })).toEqual({ rating: 'dissatisfied', comment: '还是冷' });
    expect(readForm({ rating: 'basically_satisfied', comment: '   ' })).toEqual({ rating: 'basically_satisfied', comment: null });
  });

  it('a comment of exactly 200 characters is accepted, 201 is refused', () => {
    expect(readForm({ rating: 'satisfied', comment: '好'.repeat(200) })).toMatchObject({ rating: 'satisfied' });
    expect(readForm({ rating: 'satisfied', comment: '好'.repeat(201) })).toMatchObject({ error: expect.stringContaining('200') });
  });

  it('no body, an unknown rating, a repeated field or a non-text comment is refused', () => {
    for (const body of [undefined, null, 'satisfied', {}, { rating: '1' }, { rating: 'SATISFIED' }, { rating: ['satisfied', 'satisfied'] }, { rating: 'satisfied', comment: ['a'] }]) {
      expect(readForm(body)).toHaveProperty('error');
    }
  });
});
