import { citySatisfactionChart, satisfactionDistributionChart } from './bulletin-charts.js';
import { SCOPE_LABELS } from './bulletin-diff.js';
import type { BulletinChanges } from './bulletin-diff.js';
import { BULLETIN_TITLE, publisherLabel, changeValueText, COUNTS_LEGEND, countsBehind, formatValue, monthLabel, shanghaiTime, versionLabel } from './bulletin-document.js';
import type { BulletinDocument } from './bulletin-document.js';
import type { BulletinSnapshot, IndicatorDefinition, ListEntry, RankedUnit, UnitFigures } from './bulletin-snapshot.js';

/*
 * The bulletin as one printable Chinese HTML page: inline CSS (with @media print), charts as
 * inline SVG, no script, no external resource. Every text that comes from data is escaped.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const e = escapeHtml;

const CSS = `
*{box-sizing:border-box}
body{font-family:"Noto Sans SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif;color:#222;margin:0 auto;max-width:1100px;padding:24px;font-size:14px;line-height:1.5}
h1{font-size:26px;text-align:center;color:#b71c1c;margin:8px 0 4px;letter-spacing:2px}
.sub{text-align:center;font-size:16px;margin:0 0 12px}
.draft{border:2px dashed #b71c1c;color:#b71c1c;padding:8px;text-align:center;font-weight:bold}
h2{font-size:18px;border-left:5px solid #b71c1c;padding-left:8px;margin:28px 0 10px}
h3{font-size:15px;margin:16px 0 6px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}
th,td{border:1px solid #bbb;padding:3px 5px;vertical-align:top}
th{background:#f3e9e9;font-weight:600;text-align:center}
td.num{text-align:right;white-space:nowrap}
td .n{display:block;color:#777;font-size:11px}
td .r{display:block;color:#1f4e8c;font-size:11px}
.meta td:first-child{width:9em;background:#fafafa}
.muted{color:#777}
.red th{background:#fdecea}.black th{background:#e8e8e8}
.chart{text-align:center;margin:8px 0}
.chart svg{max-width:100%;height:auto}
ol.rules li{margin:2px 0}
footer{margin-top:32px;font-size:12px;color:#777;border-top:1px solid #ccc;padding-top:8px}
@media print{
  body{max-width:none;padding:0;font-size:10.5pt}
  @page{size:A4;margin:14mm 12mm}
  h2{break-after:avoid}
  table{page-break-inside:auto}
  tr{break-inside:avoid}
  thead{display:table-header-group}
  .chart{break-inside:avoid}
}
`;

function valueCell(u: UnitFigures, d: IndicatorDefinition, rank?: number | null): string {
  const rankText = rank === undefined ? '' : `<span class="r">${rank === null ? '不排名' : `第 ${rank} 名`}</span>`;
  return `<td class="num">${e(formatValue(u.values[d.key], d.unit))}<span class="n">${e(countsBehind(u, d.key))}</span>${rankText}</td>`;
}

function indicatorHeaders(s: BulletinSnapshot): string {
  return s.definitions.map((d) => `<th>${e(d.label)}</th>`).join('');
}

function provinceSection(s: BulletinSnapshot): string {
  const p = s.province;
  const rows = s.definitions
    .map(
      (d) =>
        `<tr><td>${e(d.label)}</td><td class="num">${e(formatValue(p.values[d.key], d.unit))}</td><td class="num">${e(countsBehind(p, d.key))}</td><td>${e(COUNTS_LEGEND[d.key])}</td></tr>`,
    )
    .join('');
  const c = p.counts;
  return `<section><h2>一、全省概况</h2>
<p>本月全省分转工单 <b>${e(c.dispatched)}</b> 件，已反馈 ${e(c.withFeedback)} 件，办结 ${e(c.closed)} 件，群众评价 ${e(c.rated)} 件（满意 ${e(c.satisfied)}、基本满意 ${e(c.basicallySatisfied)}、不满意 ${e(c.dissatisfied)}），复议通过 ${e(c.approvedReconsiderations)} 件。</p>
<table><thead><tr><th>指标</th><th>数值</th><th>计算依据</th><th>含义</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function citiesSection(s: BulletinSnapshot): string {
  const rows = s.cities
    .map((c) => `<tr><td>${e(c.name)}</td><td class="num">${e(c.counts.dispatched)}</td>${s.definitions.map((d) => valueCell(c, d)).join('')}</tr>`)
    .join('');
  return `<section><h2>二、各市情况</h2>
<div class="chart">${citySatisfactionChart(s)}</div>
<table><thead><tr><th>城市</th><th>分转件数</th>${indicatorHeaders(s)}</tr></thead><tbody>${rows}</tbody></table></section>`;
}

function listTable(title: string, cls: string, entries: ListEntry[], unitLabel: string): string {
  const body =
    entries.length === 0
      ? `<tr><td colspan="6" class="muted">本月没有符合条件的单位</td></tr>`
      : entries
          .map(
            (x) =>
              `<tr><td class="num">${e(x.position)}</td><td>${e(x.id)}</td><td>${e(x.name)}</td><td class="num">${e(formatValue(x.satisfactionRate, '%'))}</td><td class="num">${e(formatValue(x.completionRate, '%'))}</td><td class="num">${e(x.dispatched)}</td></tr>`,
          )
          .join('');
  return `<h3>${e(title)}</h3><table class="${cls}"><thead><tr><th>名次</th><th>${e(unitLabel)}</th><th>辖区</th><th>满意率</th><th>办结率</th><th>分转件数</th></tr></thead><tbody>${body}</tbody></table>`;
}

function listsSection(s: BulletinSnapshot): string {
  return `<section><h2>三、红榜与黑榜</h2>
<p>${e(s.rules.text[2])}</p>
${listTable(`供热企业红榜（满意率前 ${s.rules.listSize.company} 名）`, 'red', s.redList.company, '企业编号')}
${listTable(`供热企业黑榜（满意率后 ${s.rules.listSize.company} 名）`, 'black', s.blackList.company, '企业编号')}
${listTable(`主管单位红榜（满意率前 ${s.rules.listSize.authority} 名）`, 'red', s.redList.authority, '主管单位编号')}
${listTable(`主管单位黑榜（满意率后 ${s.rules.listSize.authority} 名）`, 'black', s.blackList.authority, '主管单位编号')}</section>`;
}

function rankingTable(s: BulletinSnapshot, units: RankedUnit[], idLabel: string, withArea: boolean): string {
  if (units.length === 0) return '<p class="muted">本月没有数据。</p>';
  const rows = units
    .map(
      (u) =>
        `<tr><td class="num">${e(u.ranks.satisfactionRate ?? '—')}</td><td>${e(u.id)}</td>${withArea ? `<td>${e(u.name)}</td>` : ''}<td class="num">${e(u.counts.dispatched)}${u.eligible ? '' : '<span class="n">不足排名件数</span>'}</td>${s.definitions
          .map((d) => valueCell(u, d, u.ranks[d.key]))
          .join('')}</tr>`,
    )
    .join('');
  return `<table><thead><tr><th>满意率名次</th><th>${e(idLabel)}</th>${withArea ? '<th>辖区</th>' : ''}<th>分转件数</th>${indicatorHeaders(s)}</tr></thead><tbody>${rows}</tbody></table>`;
}

function changesSection(changes: BulletinChanges | null, version: number | null): string {
  if (!changes || version === null) return '';
  const body =
    changes.units.length === 0
      ? '<p>与上一版相比数据没有变化。</p>'
      : `<table><thead><tr><th>范围</th><th>单位</th><th>项目</th><th>第 ${e(changes.sinceVersion)} 版</th><th>第 ${e(version)} 版</th></tr></thead><tbody>${changes.units
          .flatMap((u) =>
            u.fields.map(
              (f, i) =>
                `<tr>${i === 0 ? `<td rowspan="${u.fields.length}">${e(SCOPE_LABELS[u.scope])}</td><td rowspan="${u.fields.length}">${e(u.id)}${u.name && u.name !== u.id ? ` ${e(u.name)}` : ''}</td>` : ''}<td>${e(f.label)}</td><td class="num">${e(changeValueText(f, f.old))}</td><td class="num">${e(changeValueText(f, f.new))}</td></tr>`,
            ),
          )
          .join('')}</tbody></table>`;
  return `<section><h2>本版更新：与第 ${e(changes.sinceVersion)} 版相比的变化</h2>
<p>第 ${e(changes.sinceVersion)} 版发布后又收到了属于本月的工单事件（如迟到的评价、反馈或复议结果），以下单位的数据发生变化（共 ${e(changes.units.length)} 个单位）。</p>${body}</section>`;
}

function definitionsSection(s: BulletinSnapshot): string {
  return `<section><h2>七、指标说明与排名规则</h2>
<table><thead><tr><th>指标</th><th>计算公式</th><th>计算依据（表中小字）</th></tr></thead><tbody>${s.definitions
    .map((d) => `<tr><td>${e(d.label)}</td><td>${e(d.formula)}</td><td>${e(COUNTS_LEGEND[d.key])}</td></tr>`)
    .join('')}</tbody></table>
<ol class="rules">${s.rules.text.map((t) => `<li>${e(t)}</li>`).join('')}</ol>
<p>数值保留一位小数；分母为 0 时记为“无数据”，不计为 0% 或 100%。所有数据均可由工单事件重新计算。</p></section>`;
}

export function renderBulletinHtml(doc: BulletinDocument): string {
  const s = doc.snapshot;
  const title = `${BULLETIN_TITLE}（${monthLabel(s.month)}）`;
  return `<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)} ${e(versionLabel(doc.version))}</title><style>${CSS}</style></head>
<body>
<header><h1>${e(BULLETIN_TITLE)}</h1>
<p class="sub">${e(monthLabel(s.month))} · ${e(versionLabel(doc.version))}</p>
${doc.version === null ? '<p class="draft">草稿：本月尚未结束或尚未发布，数据仍会变化，不作为考核依据。</p>' : ''}
<table class="meta"><tbody>
<tr><td>统计月份</td><td>${e(monthLabel(s.month))}（按工单分转时间，北京时间）</td></tr>
<tr><td>版本</td><td>${e(versionLabel(doc.version))}${doc.changes ? `（更新自第 ${e(doc.changes.sinceVersion)} 版）` : ''}</td></tr>
<tr><td>生成时间</td><td>${e(shanghaiTime(s.generatedAt))}</td></tr>
<tr><td>发布</td><td>${e(publisherLabel(doc.createdBy))}</td></tr>
<tr><td>参与排名</td><td>供热企业 ${e(s.companies.filter((u) => u.eligible).length)} 家（共 ${e(s.companies.length)} 家有工单），主管单位 ${e(s.authorities.filter((u) => u.eligible).length)} 个（共 ${e(s.authorities.length)} 个有工单）</td></tr>
</tbody></table></header>
${changesSection(doc.changes, doc.version)}
${provinceSection(s)}
${citiesSection(s)}
${listsSection(s)}
<section><h2>四、供热企业排名</h2><p class="muted">每格依次为：指标值、计算依据、名次。${e(s.rules.text[0])}</p>${rankingTable(s, s.companies, '企业编号', false)}</section>
<section><h2>五、供热主管单位排名</h2>${rankingTable(s, s.authorities, '主管单位编号', true)}</section>
<section><h2>六、满意率分布</h2><div class="chart">${satisfactionDistributionChart(s)}</div></section>
${definitionsSection(s)}
<footer>${e(BULLETIN_TITLE)} · ${e(monthLabel(s.month))} · ${e(versionLabel(doc.version))} · 生成于 ${e(shanghaiTime(s.generatedAt))}。已发布的版本不再修改；数据更新时发布新版本。</footer>
</body></html>
`;
}
