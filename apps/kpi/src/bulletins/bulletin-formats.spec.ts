import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import ExcelJS from 'exceljs';
import type { UnitMonthCounts } from '../indicators/indicator-formulas.js';
import { ZERO_COUNTS } from './bulletin-data-source.js';
import type { UnitCountsRow } from './bulletin-data-source.js';
import { diffSnapshots } from './bulletin-diff.js';
import type { BulletinDocument } from './bulletin-document.js';
import { escapeHtml, renderBulletinHtml } from './bulletin-html.js';
import { renderBulletinPdf } from './bulletin-pdf.js';
import { buildSnapshot } from './bulletin-snapshot.js';
import { renderBulletinXlsx, SHEETS } from './bulletin-xlsx.js';

const counts = (c: Partial<UnitMonthCounts>): UnitMonthCounts => ({ ...ZERO_COUNTS, ...c });
const HOSTILE = '<script>alert("x")</script>&\'';

function rows(extraRated = 0): UnitCountsRow[] {
  const c1 = counts({ dispatched: 40, onTimeDispatched: 38, withFeedback: 39, feedbackDaysSum: 78.4, closed: 38, rated: 30 + extraRated, satisfied: 25 + extraRated, basicallySatisfied: 3, dissatisfied: 2 });
  const c2 = counts({ dispatched: 12, onTimeDispatched: 12, withFeedback: 12, feedbackDaysSum: 20, closed: 12, rated: 10, satisfied: 5, dissatisfied: 5 });
  return [
    { unitType: 'company', unitId: 'HC0001', counts: c1 },
    { unitType: 'company', unitId: HOSTILE, counts: c2 },
    { unitType: 'authority', unitId: 'AU210102', counts: c1 },
    { unitType: 'authority', unitId: 'AU210202', counts: c2 },
    { unitType: 'city', unitId: '210100', counts: c1 },
    { unitType: 'city', unitId: '210200', counts: c2 },
  ];
}

const v1 = buildSnapshot('2026-11', rows(), new Date('2026-12-01T06:00:00+08:00'));
const v2 = buildSnapshot('2026-11', rows(1), new Date('2026-12-04T09:30:00+08:00'));
const first: BulletinDocument = { snapshot: v1, version: 1, createdBy: 'system:schedule', changes: null };
const second: BulletinDocument = { snapshot: v2, version: 2, createdBy: 'province:prov-1', changes: diffSnapshots(v1, v2, 1) };

describe('HTML bulletin: one printable Chinese page, every data text escaped', () => {
  const html = renderBulletinHtml(second);

  it('escapeHtml escapes the five HTML-special characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('a unit id with markup is shown as text, never as markup', () => {
    expect(html).not.toContain(HOSTILE);
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
  });

  it('has the title, month, version, generation time (Asia/Shanghai) and the publisher', () => {
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('辽宁省供热直通车月度通报');
    expect(html).toContain('2026年11月');
    expect(html).toContain('第 2 版');
    expect(html).toContain('2026-12-04 09:30:00（北京时间）');
    expect(html).toContain('省级用户 prov-1');
  });

  it('carries inline CSS with print rules and charts as inline SVG, and loads nothing', () => {
    expect(html).toMatch(/<style>[\s\S]*@media print/);
    expect((html.match(/<svg /g) ?? []).length).toBe(2);
    expect(html).toContain('各市满意率');
    expect(html).not.toMatch(/<link |src=|<script/);
  });

  it('shows the counts behind each figure and names the ranking rule', () => {
    expect(html).toContain('29/31'); // HC0001 satisfaction in version 2: (26 + 3) / 31
    expect(html).toContain('不少于 10 件');
    expect(html).toContain('红榜');
    expect(html).toContain('黑榜');
  });

  it('version 2 lists the changes since version 1, old → new', () => {
    expect(html).toContain('本版更新：与第 1 版相比的变化');
    expect(html).toMatch(/已评价件数<\/td><td class="num">30<\/td><td class="num">31<\/td>/);
    expect(renderBulletinHtml(first)).not.toContain('本版更新');
  });

  it('a draft says it is a draft and not a basis for scoring', () => {
    const draft = renderBulletinHtml({ ...first, version: null });
    expect(draft).toContain('草稿');
    expect(draft).toContain('不作为考核依据');
  });
});

describe('XLSX bulletin: the six sheets with Chinese headers and number formats', () => {
  let wb: ExcelJS.Workbook;
  beforeAll(async () => {
    wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await renderBulletinXlsx(second)) as unknown as ArrayBuffer);
  });

  it('has the sheets 全省汇总, 各市, 企业排名, 主管单位排名, 红黑榜, 说明 (and 版本变化 from version 2 on)', async () => {
    expect(wb.worksheets.map((w) => w.name)).toEqual(['全省汇总', '各市', '企业排名', '主管单位排名', '红黑榜', '说明', '版本变化']);
    const v1wb = new ExcelJS.Workbook();
    await v1wb.xlsx.load((await renderBulletinXlsx(first)) as unknown as ArrayBuffer);
    expect(v1wb.worksheets.map((w) => w.name)).not.toContain(SHEETS.changes);
  });

  it('the ranking sheet has Chinese headers, the figures, ranks and counts of each company', () => {
    const ws = wb.getWorksheet(SHEETS.companies)!;
    const headers = (ws.getRow(1).values as unknown[]).slice(1);
    expect(headers.slice(0, 4)).toEqual(['企业编号', '参与排名', '反馈率（%）', '反馈率名次']);
    expect(headers).toContain('满意率（%）');
    expect(headers).toContain('分转件数');
    const hc1 = ws.getRow(2);
    expect(hc1.getCell(1).value).toBe('HC0001');
    const satisfactionCol = headers.indexOf('满意率（%）') + 1;
    expect(hc1.getCell(satisfactionCol).value).toBe(93.5);
    expect(hc1.getCell(satisfactionCol).numFmt).toBe('0.0');
    expect(hc1.getCell(headers.indexOf('分转件数') + 1).value).toBe(40);
    expect(hc1.getCell(headers.indexOf('分转件数') + 1).numFmt).toBe('#,##0');
    expect(ws.getRow(3).getCell(1).value).toBe(HOSTILE); // a cell holds text, nothing to escape
  });

  it('全省汇总 has the version and generation time; 说明 the formulas and rules', () => {
    const summary = wb.getWorksheet(SHEETS.province)!;
    const texts = summary.getSheetValues().flat().map(String).join('|');
    expect(texts).toContain('第 2 版');
    expect(texts).toContain('2026-12-04 09:30:00（北京时间）');
    const notes = wb.getWorksheet(SHEETS.notes)!.getSheetValues().flat().map(String).join('|');
    expect(notes).toContain('满意率 = (满意 + 基本满意) ÷ (已评价 − 复议通过) × 100');
    expect(notes).toContain('红榜/黑榜');
  });

  it('各市 lists all 14 cities; 版本变化 lists the changed counters', () => {
    expect(wb.getWorksheet(SHEETS.cities)!.rowCount).toBe(15);
    const changes = wb.getWorksheet(SHEETS.changes)!;
    expect((changes.getRow(1).values as unknown[]).slice(1)).toEqual(['范围', '编号', '名称', '项目', '第 1 版', '第 2 版']);
    const found = changes.getSheetValues().find((r) => Array.isArray(r) && r[2] === 'HC0001' && r[4] === '已评价件数') as unknown[];
    expect(found.slice(5)).toEqual([30, 31]);
  });
});

/** The /Title of the document info: a PDF literal string, UTF-16BE with a byte-order mark. */
function pdfInfoTitle(pdf: Buffer): string {
  const text = pdf.toString('latin1');
  const ref = /\/Title (\d+) 0 R/.exec(text)![1];
  const literal = new RegExp(`\\n${ref} 0 obj\\n\\(([\\s\\S]*?)\\)\\nendobj`).exec(text)![1];
  const named: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' };
  const raw = literal.replace(/\\([nrtbf()\\]|[0-7]{1,3})/g, (_, c: string) => (/^[0-7]/.test(c) ? String.fromCharCode(parseInt(c, 8)) : (named[c] ?? c)));
  return Buffer.from(raw, 'latin1').subarray(2).swap16().toString('utf16le');
}

describe('PDF bulletin: a valid PDF with embedded Chinese font', () => {
  let pdf: Buffer;
  beforeAll(async () => {
    pdf = await renderBulletinPdf(second);
  });

  it('is a PDF (header and end marker) with A4 pages', () => {
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.subarray(-6).toString('latin1')).toContain('%%EOF');
    const text = pdf.toString('latin1');
    expect((text.match(/\/Type \/Page\b(?!s)/g) ?? []).length).toBeGreaterThanOrEqual(2);
    expect(text).toContain('/MediaBox [0 0 595.28 841.89]');
  });

  it('its document info carries the Chinese title, month and version', () => {
    expect(pdfInfoTitle(pdf)).toBe('辽宁省供热直通车月度通报（2026年11月）第 2 版');
  });

  it('embeds Noto Sans SC (regular and bold) as subsets, with Unicode maps for text extraction', () => {
    const text = pdf.toString('latin1');
    expect(text).toMatch(/\/FontName \/[A-Z]{6}\+NotoSansSC-Regular/);
    expect(text).toMatch(/\/FontName \/[A-Z]{6}\+NotoSansSC-Bold/);
    expect(text).toContain('/ToUnicode');
    expect(text).toContain('/FontFile2');
  });

  it('its text reads back as Chinese: title, month, version, changes (pdftotext when installed)', () => {
    let extracted: string;
    try {
      const dir = mkdtempSync(join(tmpdir(), 'bulletin-pdf-'));
      try {
        writeFileSync(join(dir, 'b.pdf'), pdf);
        extracted = execFileSync('pdftotext', ['-enc', 'UTF-8', join(dir, 'b.pdf'), '-'], { encoding: 'utf8' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } catch {
      // No poppler-utils here: the document info's title is read back instead.
      expect(pdfInfoTitle(pdf)).toBe('辽宁省供热直通车月度通报（2026年11月）第 2 版');
      return;
    }
    expect(extracted).toContain('辽宁省供热直通车月度通报');
    expect(extracted).toContain('2026年11月');
    expect(extracted).toContain('第 2 版');
    expect(extracted).toContain('本版更新：与第 1 版相比的变化');
    expect(extracted).toContain('沈阳市');
  });
});
