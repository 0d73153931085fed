import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import { satisfactionHistogram, SATISFACTION_BUCKETS } from './bulletin-charts.js';
import { SCOPE_LABELS } from './bulletin-diff.js';
import { BULLETIN_TITLE, publisherLabel, changeValueText, COUNTS_LEGEND, countsBehind, formatValue, monthLabel, shanghaiTime, versionLabel } from './bulletin-document.js';
import type { BulletinDocument } from './bulletin-document.js';
import type { BulletinSnapshot, ListEntry, RankedUnit, UnitFigures } from './bulletin-snapshot.js';

/*
 * The bulletin as an A4 PDF (pdfkit): the same sections as the HTML page, tables drawn cell by
 * cell, bar charts drawn as rectangles. Chinese text needs an embedded font: Noto Sans SC
 * (OFL-1.1, static TrueType from the @expo-google-fonts/noto-sans-sc package); pdfkit embeds only
 * the glyphs used, so a bulletin stays small.
 */

const require = createRequire(import.meta.url);
let fonts: { regular: Buffer; bold: Buffer } | undefined;

/** The font files, read once per process. */
export function bulletinFonts(): { regular: Buffer; bold: Buffer } {
  fonts ??= {
    regular: readFileSync(require.resolve('@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf')),
    bold: readFileSync(require.resolve('@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf')),
  };
  return fonts;
}

const MARGIN = { top: 42, bottom: 42, left: 36, right: 36 };
const RED = '#b71c1c';
const GREY = '#777777';
const LINE = '#bbbbbb';

type Align = 'left' | 'right' | 'center';
interface Col {
  header: string;
  width: number;
  align?: Align;
}
/** A cell: its text, and an optional second line in small grey type (the counts behind a figure). */
type Cell = string | { text: string; sub?: string };

class PdfWriter {
  readonly doc: PDFKit.PDFDocument;
  readonly width: number;

  constructor(doc: PDFKit.PDFDocument) {
    this.doc = doc;
    this.width = doc.page.width - MARGIN.left - MARGIN.right;
  }

  get bottom(): number {
    return this.doc.page.height - MARGIN.bottom;
  }

  ensure(height: number): void {
    if (this.doc.y + height > this.bottom) this.doc.addPage();
  }

  /** Sets font, size and colour (the size is kept: short left-aligned text needs no measuring). */
  use(font: 'regular' | 'bold', size: number, color = '#000000'): void {
    this.doc.font(font).fontSize(size).fillColor(color);
    this.size = size;
  }

  private size = 12;

  /** One line of text at (x, y), clipped to `width` with an ellipsis, aligned in it. */
  textAt(text: string, x: number, y: number, width: number, align: Align = 'left'): void {
    const doc = this.doc;
    let t = text;
    let dx = 0;
    // No glyph is wider than 1 em: a short left-aligned text is drawn without measuring it.
    if (align !== 'left' || t.length * this.size > width) {
      let w = doc.widthOfString(t);
      if (w > width) {
        while (t.length > 1 && doc.widthOfString(`${t}…`) > width) t = t.slice(0, -1);
        t = `${t}…`;
        w = doc.widthOfString(t);
      }
      dx = align === 'right' ? width - w : align === 'center' ? (width - w) / 2 : 0;
    }
    doc.text(t, x + dx, y, { lineBreak: false });
  }

  heading(text: string): void {
    this.ensure(60);
    const doc = this.doc;
    doc.moveDown(0.6);
    const y = doc.y;
    doc.rect(MARGIN.left, y + 2, 4, 14).fill(RED);
    this.use('bold', 13);
    doc.text(text, MARGIN.left + 10, y, { lineBreak: false });
    doc.x = MARGIN.left;
    doc.y = y + 22;
  }

  subheading(text: string): void {
    this.ensure(40);
    const doc = this.doc;
    this.use('bold', 10);
    doc.text(text, MARGIN.left, doc.y, { lineBreak: false });
    doc.x = MARGIN.left;
    doc.y += 16;
  }

  paragraph(text: string, size = 9, color = '#222222'): void {
    const doc = this.doc;
    this.use('regular', size, color);
    const height = doc.heightOfString(text, { width: this.width });
    this.ensure(height + 4);
    doc.text(text, MARGIN.left, doc.y, { width: this.width, lineGap: 1 });
    doc.x = MARGIN.left;
    doc.y += 3;
  }

  table(cols: Col[], rows: Cell[][], opts: { headFill?: string } = {}): void {
    const doc = this.doc;
    const twoLines = rows.some((r) => r.some((c) => typeof c !== 'string' && c.sub !== undefined));
    const rowH = twoLines ? 19 : 13;
    const headH = 15;
    const drawHead = () => {
      let x = MARGIN.left;
      const y = doc.y;
      doc.rect(MARGIN.left, y, this.width, headH).fill(opts.headFill ?? '#f3e9e9');
      this.use('bold', 7.5);
      for (const c of cols) {
        this.textAt(c.header, x + 2, y + 3, c.width - 4, 'center');
        x += c.width;
      }
      doc.lineWidth(0.5).strokeColor(LINE).rect(MARGIN.left, y, this.width, headH).stroke();
      doc.y = y + headH;
    };
    this.ensure(headH + rowH);
    drawHead();
    for (const row of rows) {
      if (doc.y + rowH > this.bottom) {
        doc.addPage();
        drawHead();
      }
      const y = doc.y;
      let x = MARGIN.left;
      row.forEach((cell, i) => {
        const col = cols[i];
        const text = typeof cell === 'string' ? cell : cell.text;
        const sub = typeof cell === 'string' ? undefined : cell.sub;
        this.use('regular', 7.5);
        this.textAt(text, x + 2, y + 2, col.width - 4, col.align);
        if (sub) {
          this.use('regular', 6, GREY);
          this.textAt(sub, x + 2, y + 11, col.width - 4, col.align);
        }
        x += col.width;
      });
      doc.lineWidth(0.3).strokeColor(LINE).moveTo(MARGIN.left, y + rowH).lineTo(MARGIN.left + this.width, y + rowH).stroke();
      doc.y = y + rowH;
    }
    doc.x = MARGIN.left;
    doc.y += 6;
  }

  /** Horizontal bars, one per label; null values show "无数据". */
  barChart(title: string, items: Array<{ label: string; value: number | null; text: string }>, max: number, color: string): void {
    const doc = this.doc;
    const barH = 11;
    const height = 22 + items.length * (barH + 4);
    this.ensure(height);
    this.use('bold', 9);
    this.textAt(title, MARGIN.left, doc.y, this.width, 'center');
    let y = doc.y + 18;
    const labelW = 70;
    const valueW = 50;
    const plotW = this.width - labelW - valueW - 10;
    const x0 = MARGIN.left + labelW + 5;
    doc.lineWidth(0.5).strokeColor(LINE).moveTo(x0, y - 2).lineTo(x0, y + items.length * (barH + 4)).stroke();
    for (const it of items) {
      this.use('regular', 7.5);
      this.textAt(it.label, MARGIN.left, y + 1.5, labelW, 'right');
      if (it.value !== null && it.value > 0) doc.rect(x0, y, (plotW * Math.min(it.value, max)) / max, barH).fill(color);
      doc.fillColor(it.value === null ? GREY : '#000000');
      const end = it.value === null ? x0 : x0 + (plotW * Math.min(it.value, max)) / max;
      this.textAt(it.text, end + 4, y + 1.5, valueW, 'left');
      y += barH + 4;
    }
    doc.x = MARGIN.left;
    doc.y = y + 8;
  }
}

function indicatorCell(u: UnitFigures, s: BulletinSnapshot, i: number, rank?: number | null): Cell {
  const d = s.definitions[i];
  const rankText = rank === undefined ? '' : rank === null ? ' · 不排名' : ` · 第${rank}名`;
  return { text: formatValue(u.values[d.key], d.unit), sub: `${countsBehind(u, d.key)}${rankText}` };
}

function rankingRows(s: BulletinSnapshot, units: RankedUnit[], withArea: boolean): Cell[][] {
  return units.map((u) => [
    String(u.ranks.satisfactionRate ?? '—'),
    withArea ? { text: u.id, sub: u.name } : u.id,
    u.eligible ? String(u.counts.dispatched) : { text: String(u.counts.dispatched), sub: '不足排名件数' },
    ...s.definitions.map((d, i) => indicatorCell(u, s, i, u.ranks[d.key])),
  ]);
}

function listRows(entries: ListEntry[]): Cell[][] {
  if (entries.length === 0) return [['', '本月没有符合条件的单位', '', '', '', '']];
  return entries.map((x) => [String(x.position), x.id, x.name, formatValue(x.satisfactionRate, '%'), formatValue(x.completionRate, '%'), String(x.dispatched)]);
}

/** Renders the bulletin; resolves with the PDF's bytes. */
export function renderBulletinPdf(bulletin: BulletinDocument): Promise<Buffer> {
  const s = bulletin.snapshot;
  const { regular, bold } = bulletinFonts();
  const doc = new PDFDocument({
    size: 'A4',
    margins: MARGIN,
    bufferPages: true,
    info: {
      Title: `${BULLETIN_TITLE}（${monthLabel(s.month)}）${versionLabel(bulletin.version)}`,
      Author: '供热直通车',
      Subject: `${monthLabel(s.month)}供热企业与主管单位考核通报`,
      CreationDate: new Date(s.generatedAt),
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('regular', regular);
  doc.registerFont('bold', bold);
  const w = new PdfWriter(doc);
  const W = w.width;

  // Title block.
  w.use('bold', 20, RED);
  w.textAt(BULLETIN_TITLE, MARGIN.left, MARGIN.top, W, 'center');
  w.use('regular', 12);
  w.textAt(`${monthLabel(s.month)} · ${versionLabel(bulletin.version)}`, MARGIN.left, MARGIN.top + 30, W, 'center');
  doc.y = MARGIN.top + 54;
  if (bulletin.version === null) w.paragraph('草稿：本月尚未结束或尚未发布，数据仍会变化，不作为考核依据。', 9, RED);
  w.paragraph(
    [
      `统计月份：${monthLabel(s.month)}（按工单分转时间，北京时间）`,
      `版本：${versionLabel(bulletin.version)}${bulletin.changes ? `（更新自第 ${bulletin.changes.sinceVersion} 版）` : ''}`,
      `生成时间：${shanghaiTime(s.generatedAt)}　发布：${publisherLabel(bulletin.createdBy)}`,
      `参与排名：供热企业 ${s.companies.filter((u) => u.eligible).length} 家（共 ${s.companies.length} 家有工单），主管单位 ${s.authorities.filter((u) => u.eligible).length} 个（共 ${s.authorities.length} 个有工单）`,
    ].join('\n'),
    8.5,
  );

  if (bulletin.changes && bulletin.version !== null) {
    const ch = bulletin.changes;
    w.heading(`本版更新：与第 ${ch.sinceVersion} 版相比的变化`);
    w.paragraph(`第 ${ch.sinceVersion} 版发布后又收到了属于本月的工单事件，以下 ${ch.units.length} 个单位的数据发生变化。`);
    const rows: Cell[][] = ch.units.flatMap((u) =>
      u.fields.map((f) => [SCOPE_LABELS[u.scope], u.name && u.name !== u.id ? `${u.id} ${u.name}` : u.id, f.label, changeValueText(f, f.old), changeValueText(f, f.new)]),
    );
    w.table(
      [
        { header: '范围', width: 50 },
        { header: '单位', width: W - 50 - 130 - 160 },
        { header: '项目', width: 130 },
        { header: `第 ${ch.sinceVersion} 版`, width: 80, align: 'right' },
        { header: `第 ${bulletin.version} 版`, width: 80, align: 'right' },
      ],
      rows.length > 0 ? rows : [['', '数据没有变化', '', '', '']],
    );
  }

  // 一、全省概况
  const p = s.province;
  w.heading('一、全省概况');
  w.paragraph(
    `本月全省分转工单 ${p.counts.dispatched} 件，已反馈 ${p.counts.withFeedback} 件，办结 ${p.counts.closed} 件，群众评价 ${p.counts.rated} 件（满意 ${p.counts.satisfied}、基本满意 ${p.counts.basicallySatisfied}、不满意 ${p.counts.dissatisfied}），复议通过 ${p.counts.approvedReconsiderations} 件。`,
  );
  w.table(
    [
      { header: '指标', width: 80 },
      { header: '数值', width: 70, align: 'right' },
      { header: '计算依据', width: 100, align: 'right' },
      { header: '含义', width: W - 250 },
    ],
    s.definitions.map((d) => [d.label, formatValue(p.values[d.key], d.unit), countsBehind(p, d.key), COUNTS_LEGEND[d.key]]),
  );

  // 二、各市情况
  w.heading('二、各市情况');
  w.barChart(
    '各市满意率（%）',
    s.cities.map((c) => ({ label: c.name, value: c.values.satisfactionRate, text: formatValue(c.values.satisfactionRate, '%') })),
    100,
    '#c0392b',
  );
  const indW = (W - 70 - 45) / 5;
  w.table(
    [{ header: '城市', width: 70 }, { header: '分转件数', width: 45, align: 'right' }, ...s.definitions.map((d) => ({ header: d.label, width: indW, align: 'right' as const }))],
    s.cities.map((c) => [c.name, String(c.counts.dispatched), ...s.definitions.map((_, i) => indicatorCell(c, s, i))]),
  );

  // 三、红榜与黑榜
  w.heading('三、红榜与黑榜');
  w.paragraph(s.rules.text[2], 8.5);
  const listCols = (idLabel: string): Col[] => [
    { header: '名次', width: 40, align: 'center' },
    { header: idLabel, width: 90 },
    { header: '辖区', width: W - 40 - 90 - 210 },
    { header: '满意率', width: 70, align: 'right' },
    { header: '办结率', width: 70, align: 'right' },
    { header: '分转件数', width: 70, align: 'right' },
  ];
  w.subheading(`供热企业红榜（满意率前 ${s.rules.listSize.company} 名）`);
  w.table(listCols('企业编号'), listRows(s.redList.company), { headFill: '#fdecea' });
  w.subheading(`供热企业黑榜（满意率后 ${s.rules.listSize.company} 名）`);
  w.table(listCols('企业编号'), listRows(s.blackList.company), { headFill: '#e8e8e8' });
  w.subheading(`主管单位红榜（满意率前 ${s.rules.listSize.authority} 名）`);
  w.table(listCols('主管单位编号'), listRows(s.redList.authority), { headFill: '#fdecea' });
  w.subheading(`主管单位黑榜（满意率后 ${s.rules.listSize.authority} 名）`);
  w.table(listCols('主管单位编号'), listRows(s.blackList.authority), { headFill: '#e8e8e8' });

  // 四、五、排名
  const rankCols = (idLabel: string): Col[] => {
    const fixed = 34 + 70 + 42;
    return [
      { header: '名次', width: 34, align: 'center' },
      { header: idLabel, width: 70 },
      { header: '分转件数', width: 42, align: 'right' },
      ...s.definitions.map((d) => ({ header: d.label, width: (W - fixed) / 5, align: 'right' as const })),
    ];
  };
  w.heading('四、供热企业排名');
  w.paragraph(`按满意率名次排列；每格依次为指标值、计算依据与该项指标的名次。${s.rules.text[0]}`, 8);
  if (s.companies.length === 0) w.paragraph('本月没有数据。');
  else w.table(rankCols('企业编号'), rankingRows(s, s.companies, false));
  w.heading('五、供热主管单位排名');
  if (s.authorities.length === 0) w.paragraph('本月没有数据。');
  else w.table(rankCols('主管单位编号'), rankingRows(s, s.authorities, true));

  // 六、满意率分布
  w.heading('六、满意率分布');
  const companiesHist = satisfactionHistogram(s.companies);
  const authoritiesHist = satisfactionHistogram(s.authorities);
  const maxCount = Math.max(1, ...companiesHist, ...authoritiesHist);
  w.barChart(
    '参与排名的供热企业（家）',
    SATISFACTION_BUCKETS.map((b, i) => ({ label: `满意率 ${b.label}%`, value: companiesHist[i], text: `${companiesHist[i]} 家` })),
    maxCount,
    '#2c6fbb',
  );
  w.barChart(
    '参与排名的主管单位（个）',
    SATISFACTION_BUCKETS.map((b, i) => ({ label: `满意率 ${b.label}%`, value: authoritiesHist[i], text: `${authoritiesHist[i]} 个` })),
    maxCount,
    '#e3a21a',
  );

  // 七、说明
  w.heading('七、指标说明与排名规则');
  for (const d of s.definitions) w.paragraph(`${d.label}：${d.formula}。计算依据：${COUNTS_LEGEND[d.key]}。`, 8.5);
  s.rules.text.forEach((t, i) => w.paragraph(`${i + 1}. ${t}`, 8.5));
  w.paragraph('数值保留一位小数；分母为 0 时记为“无数据”，不计为 0% 或 100%。已发布的版本不再修改；数据更新时发布新版本。', 8.5);

  // Footer on every page: title, version, page n of m (written into the bottom margin).
  const range = doc.bufferedPageRange();
  for (let i = 0; i < range.count; i++) {
    doc.switchToPage(range.start + i);
    const bottomMargin = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    w.use('regular', 7, GREY);
    w.textAt(
      `${BULLETIN_TITLE} · ${monthLabel(s.month)} · ${versionLabel(bulletin.version)}　　第 ${i + 1} 页 / 共 ${range.count} 页`,
      MARGIN.left,
      doc.page.height - MARGIN.bottom + 14,
      W,
      'center',
    );
    doc.page.margins.bottom = bottomMargin;
  }
  doc.end();
  return done;
}
