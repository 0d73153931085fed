import { escapeHtml as e } from '../bulletins/bulletin-html.js';
import { shanghaiTime } from '../bulletins/bulletin-document.js';
import type { CompanyReport } from './benchmark.service.js';

/** A company's 标杆企业 report as a printable Chinese page (inline CSS, no script, all data escaped). */
export function renderCompanyReportHtml(r: CompanyReport, generatedAt: Date): string {
  const rating = r.rating;
  const standing = rating.rank !== null ? `第 ${rating.rank} 名（共 ${r.rankedCompanies} 家参与排名）` : `评定不完整，不参与排名：缺少 ${rating.missing.join('、')}`;
  const rows = rating.dimensions
    .map(
      (d) =>
        `<tr><td>${e(d.label)}</td><td class="num">${e(d.weight)}</td><td class="num">${d.score === null ? '—' : e(d.score.toFixed(1))}</td><td class="num">${d.weighted === null ? '—' : e(d.weighted.toFixed(1))}</td><td>${e(d.source === 'data' ? '考核数据' : '评审录入')}</td><td>${e(d.evidence ?? '尚未评分')}</td><td>${d.assessedAt ? `${e(d.assessedBy ?? '')}<br>${e(shanghaiTime(d.assessedAt))}` : ''}</td></tr>`,
    )
    .join('');
  const history = r.history
    .map((h) => `<tr><td>${e(shanghaiTime(h.assessedAt))}</td><td>${e(h.label)}</td><td class="num">${e(h.score.toFixed(1))}</td><td>${e(h.evidence)}</td><td>${e(h.assessedBy)}</td></tr>`)
    .join('');
  const ue = rating.userEvaluation;
  return `<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>标杆企业评定报告 ${e(rating.companyId)} ${e(r.season)} 供暖季</title>
<style>
body{font-family:"Noto Sans SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif;color:#222;max-width:1000px;margin:0 auto;padding:24px;font-size:14px;line-height:1.5}
h1{font-size:24px;text-align:center;color:#b71c1c;margin:8px 0}
h2{font-size:17px;border-left:5px solid #b71c1c;padding-left:8px;margin:24px 0 8px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}
th,td{border:1px solid #bbb;padding:4px 6px;vertical-align:top}
th{background:#f3e9e9}
td.num{text-align:right;white-space:nowrap}
.total{font-size:20px;text-align:center;margin:8px 0}
.muted{color:#777;font-size:12px}
@media print{body{max-width:none;padding:0;font-size:10.5pt}@page{size:A4;margin:14mm}tr{break-inside:avoid}h2{break-after:avoid}}
</style></head><body>
<h1>标杆企业评定报告</h1>
<p class="total">供热企业 <b>${e(rating.companyId)}</b> · ${e(r.season)} 供暖季<br>总分 <b>${rating.total === null ? '—' : e(rating.total.toFixed(1))}</b> · ${e(standing)}</p>
<h2>一、各维度得分</h2>
<table><thead><tr><th>维度</th><th>权重</th><th>得分</th><th>加权得分</th><th>来源</th><th>依据</th><th>评分人 / 时间</th></tr></thead><tbody>${rows}</tbody></table>
<p class="muted">权重${e(r.weights.source === 'default' ? '为默认值（省级尚未设定本季权重）' : `由 ${r.weights.updatedBy ?? ''} 于 ${shanghaiTime(r.weights.updatedAt!)} 设定`)}。</p>
<h2>二、用户评议（来自考核数据）</h2>
<table><tbody>
<tr><td>统计月份</td><td>${e(r.months[0])} 至 ${e(r.months[r.months.length - 1])}（按工单分转时间，北京时间）</td></tr>
<tr><td>分转件数</td><td>${e(ue.dispatched)}</td></tr>
<tr><td>已评价件数</td><td>${e(ue.rated)}</td></tr>
<tr><td>满意率</td><td>${ue.satisfactionRate === null ? '无数据' : `${e(ue.satisfactionRate.toFixed(1))}%`}</td></tr>
<tr><td>办结率</td><td>${ue.completionRate === null ? '无数据' : `${e(ue.completionRate.toFixed(1))}%`}</td></tr>
<tr><td>说明</td><td>${e(ue.note)}</td></tr>
</tbody></table>
<h2>三、评分记录</h2>
${history ? `<table><thead><tr><th>时间</th><th>维度</th><th>得分</th><th>依据</th><th>评分人</th></tr></thead><tbody>${history}</tbody></table>` : '<p>本季尚无评分记录。</p>'}
<h2>四、评定规则</h2>
<ol>${r.rules.map((t) => `<li>${e(t)}</li>`).join('')}</ol>
<p class="muted">生成于 ${e(shanghaiTime(generatedAt.toISOString()))}。</p>
</body></html>
`;
}
