import * as echarts from 'echarts';
import type { BulletinSnapshot, RankedUnit } from './bulletin-snapshot.js';

/*
 * Charts of the HTML bulletin, rendered on the server by ECharts' SSR mode (no DOM, no browser):
 * each is a self-contained <svg> string. ECharts escapes the text it writes into the SVG.
 */

const FONT = '"Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif';

function renderSvg(option: echarts.EChartsCoreOption, width: number, height: number): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, textStyle: { fontFamily: FONT }, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** 各市满意率 (bars; a city without ratings shows no bar and "无数据"). */
export function citySatisfactionChart(s: BulletinSnapshot): string {
  const cities = s.cities;
  return renderSvg(
    {
      title: { text: '各市满意率（%）', left: 'center', textStyle: { fontSize: 14, fontFamily: FONT } },
      grid: { left: 48, right: 16, top: 40, bottom: 64 },
      xAxis: { type: 'category', data: cities.map((c) => c.name), axisLabel: { rotate: 40, fontSize: 11, interval: 0 } },
      yAxis: { type: 'value', min: 0, max: 100 },
      series: [
        {
          type: 'bar',
          data: cities.map((c) => c.values.satisfactionRate ?? 0),
          itemStyle: { color: '#c0392b' },
          label: {
            show: true,
            position: 'top',
            fontSize: 10,
            formatter: (p: { dataIndex: number }) => {
              const v = cities[p.dataIndex].values.satisfactionRate;
              return v === null ? '无数据' : v.toFixed(1);
            },
          },
        },
      ],
    },
    720,
    320,
  );
}

/** Buckets of the satisfaction rate over ranked units. */
export const SATISFACTION_BUCKETS: Array<{ label: string; from: number; to: number }> = [
  { label: '<80', from: -Infinity, to: 80 },
  { label: '80–85', from: 80, to: 85 },
  { label: '85–90', from: 85, to: 90 },
  { label: '90–95', from: 90, to: 95 },
  { label: '≥95', from: 95, to: Infinity },
];

export function satisfactionHistogram(units: RankedUnit[]): number[] {
  const counts = SATISFACTION_BUCKETS.map(() => 0);
  for (const u of units) {
    const v = u.values.satisfactionRate;
    if (!u.eligible || v === null) continue;
    counts[SATISFACTION_BUCKETS.findIndex((b) => v >= b.from && v < b.to)]++;
  }
  return counts;
}

/** 满意率分布: how many ranked companies and authorities fall in each band. */
export function satisfactionDistributionChart(s: BulletinSnapshot): string {
  return renderSvg(
    {
      title: { text: '参与排名单位的满意率分布（家）', left: 'center', textStyle: { fontSize: 14, fontFamily: FONT } },
      legend: { top: 24 },
      grid: { left: 48, right: 16, top: 60, bottom: 36 },
      xAxis: { type: 'category', data: SATISFACTION_BUCKETS.map((b) => `${b.label}%`) },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        { name: '供热企业', type: 'bar', data: satisfactionHistogram(s.companies), itemStyle: { color: '#2c6fbb' }, label: { show: true, position: 'top', fontSize: 10 } },
        { name: '主管单位', type: 'bar', data: satisfactionHistogram(s.authorities), itemStyle: { color: '#e3a21a' }, label: { show: true, position: 'top', fontSize: 10 } },
      ],
    },
    720,
    300,
  );
}
