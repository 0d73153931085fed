import ExcelJS from 'exceljs';
import { COUNT_LABELS, SCOPE_LABELS } from './bulletin-diff.js';
import { BULLETIN_TITLE, publisherLabel, COUNTS_LEGEND, monthLabel, shanghaiTime, versionLabel } from './bulletin-document.js';
import type { BulletinDocument } from './bulletin-document.js';
import { COUNT_KEYS } from './bulletin-data-source.js';
import type { BulletinSnapshot, ListEntry, RankedUnit, UnitFigures } from './bulletin-snapshot.js';

/*
 * The bulletin as a workbook: one sheet per part, Chinese headers, the counts next to every
 * indicator, number formats (counts as integers, rates in percent with one decimal), frozen headers.
 */

export const SHEETS = { province: '全省汇总', cities: '各市', companies: '企业排名', authorities: '主管单位排名', lists: '红黑榜', notes: '说明', changes: '版本变化' } as const;

const INT = '#,##0';
const ONE = '0.0';

interface Column {
  header: string;
  width: number;
  numFmt?: string;
}

function sheet(wb: ExcelJS.Workbook, name: string, columns: Column[]): ExcelJS.Worksheet {
  const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = columns.map((c) => ({ header: c.header, width: c.width, style: c.numFmt ? { numFmt: c.numFmt } : {} }));
  const head = ws.getRow(1);
  head.font = { bold: true };
  head.alignment = { vertical: 'middle', horizontal: 'center', wrapText: true };
  head.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFF3E9E9' } };
  return ws;
}

function indicatorColumns(s: BulletinSnapshot, withRanks: boolean): Column[] {
  return s.definitions.flatMap((d) => [
    { header: `${d.label}（${d.unit}）`, width: 12, numFmt: ONE },
    ...(withRanks ? [{ header: `${d.label}名次`, width: 9, numFmt: INT }] : []),
  ]);
}

const countColumns: Column[] = COUNT_KEYS.map((k) => ({ header: COUNT_LABELS[k], width: k === 'feedbackDaysSum' ? 14 : 11, numFmt: k === 'feedbackDaysSum' ? ONE : INT }));

function countCells(u: UnitFigures): number[] {
  return COUNT_KEYS.map((k) => u.counts[k]);
}

function valueCells(s: BulletinSnapshot, u: UnitFigures, ranks?: RankedUnit['ranks']): Array<number | null> {
  return s.definitions.flatMap((d) => [u.values[d.key], ...(ranks ? [ranks[d.key]] : [])]);
}

function rankingSheet(wb: ExcelJS.Workbook, s: BulletinSnapshot, name: string, units: RankedUnit[], idLabel: string, withArea: boolean): void {
  const ws = sheet(wb, name, [
    { header: idLabel, width: 14 },
    ...(withArea ? [{ header: '辖区', width: 16 }] : []),
    { header: '参与排名', width: 9 },
    ...indicatorColumns(s, true),
    ...countColumns,
  ]);
  for (const u of units) {
    ws.addRow([u.id, ...(withArea ? [u.name] : []), u.eligible ? '是' : '否', ...valueCells(s, u, u.ranks), ...countCells(u)]);
  }
  ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: ws.columnCount } };
}

function listRows(ws: ExcelJS.Worksheet, list: string, unitType: string, entries: ListEntry[]): void {
  for (const x of entries) ws.addRow([list, unitType, x.position, x.id, x.name, x.satisfactionRate, x.completionRate, x.dispatched, x.rated]);
}

export async function renderBulletinXlsx(doc: BulletinDocument): Promise<Buffer> {
  const s = doc.snapshot;
  const wb = new ExcelJS.Workbook();
  wb.creator = '供热直通车 kpi';
  wb.title = `${BULLETIN_TITLE} ${monthLabel(s.month)} ${versionLabel(doc.version)}`;
  // The document properties carry the figures' generation time.
  wb.created = new Date(s.generatedAt);
  wb.modified = new Date(s.generatedAt);

  const province = sheet(wb, SHEETS.province, [
    { header: '项目', width: 16 },
    { header: '数值', width: 14, numFmt: ONE },
    { header: '分子', width: 14, numFmt: INT },
    { header: '分母', width: 14, numFmt: INT },
    { header: '计算依据', width: 50 },
  ]);
  province.addRow(['通报', `${BULLETIN_TITLE}（${monthLabel(s.month)}）`]);
  province.addRow(['版本', versionLabel(doc.version)]);
  province.addRow(['生成时间', shanghaiTime(s.generatedAt)]);
  province.addRow(['发布', publisherLabel(doc.createdBy)]);
  province.addRow([]);
  const p = s.province;
  const fractions: Record<string, [number, number]> = {
    feedbackRate: [p.counts.withFeedback, p.counts.dispatched],
    handlingDays: [p.counts.feedbackDaysSum, p.counts.withFeedback],
    onTimeDispatchRate: [p.counts.onTimeDispatched, p.counts.dispatched],
    completionRate: [p.counts.closed, p.counts.dispatched],
    satisfactionRate: [p.counts.satisfied + p.counts.basicallySatisfied, Math.max(0, p.counts.rated - p.counts.approvedReconsiderations)],
  };
  for (const d of s.definitions) {
    const row = province.addRow([`${d.label}（${d.unit}）`, p.values[d.key], ...fractions[d.key], COUNTS_LEGEND[d.key]]);
    if (d.key === 'handlingDays') row.getCell(3).numFmt = ONE;
  }
  province.addRow([]);
  for (const k of COUNT_KEYS) province.addRow([COUNT_LABELS[k], null, p.counts[k]]).getCell(3).numFmt = k === 'feedbackDaysSum' ? ONE : INT;

  const cities = sheet(wb, SHEETS.cities, [{ header: '城市代码', width: 10 }, { header: '城市', width: 12 }, ...indicatorColumns(s, false), ...countColumns]);
  for (const c of s.cities) cities.addRow([c.id, c.name, ...valueCells(s, c), ...countCells(c)]);

  rankingSheet(wb, s, SHEETS.companies, s.companies, '企业编号', false);
  rankingSheet(wb, s, SHEETS.authorities, s.authorities, '主管单位编号', true);

  const lists = sheet(wb, SHEETS.lists, [
    { header: '榜单', width: 8 },
    { header: '单位类型', width: 10 },
    { header: '名次', width: 6, numFmt: INT },
    { header: '编号', width: 14 },
    { header: '辖区', width: 16 },
    { header: '满意率（%）', width: 12, numFmt: ONE },
    { header: '办结率（%）', width: 12, numFmt: ONE },
    { header: '分转件数', width: 10, numFmt: INT },
    { header: '已评价件数', width: 10, numFmt: INT },
  ]);
  listRows(lists, '红榜', '供热企业', s.redList.company);
  listRows(lists, '黑榜', '供热企业', s.blackList.company);
  listRows(lists, '红榜', '主管单位', s.redList.authority);
  listRows(lists, '黑榜', '主管单位', s.blackList.authority);

  const notes = sheet(wb, SHEETS.notes, [
    { header: '项目', width: 16 },
    { header: '说明', width: 100 },
  ]);
  for (const d of s.definitions) notes.addRow([d.label, `${d.formula}。计算依据：${COUNTS_LEGEND[d.key]}`]);
  s.rules.text.forEach((t, i) => notes.addRow([`规则 ${i + 1}`, t]));
  notes.addRow(['数值', '百分比指标以百分数表示（92.3 即 92.3%），保留一位小数；分母为 0 时为空（无数据），不计为 0 或 100。']);
  notes.addRow(['版本', '已发布的版本不再修改；本月数据因迟到的工单事件变化时发布新版本，并列出与上一版相比的变化。']);
  notes.getColumn(2).alignment = { wrapText: true, vertical: 'top' };

  if (doc.changes && doc.version !== null) {
    const changes = sheet(wb, SHEETS.changes, [
      { header: '范围', width: 10 },
      { header: '编号', width: 14 },
      { header: '名称', width: 16 },
      { header: '项目', width: 18 },
      { header: `第 ${doc.changes.sinceVersion} 版`, width: 12 },
      { header: `第 ${doc.version} 版`, width: 12 },
    ]);
    for (const u of doc.changes.units) for (const f of u.fields) changes.addRow([SCOPE_LABELS[u.scope], u.id, u.name, f.label, f.old, f.new]);
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}
