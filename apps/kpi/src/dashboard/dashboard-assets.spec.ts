import { Script } from 'node:vm';
import { describe, expect, it } from '@jest/globals';
import { dashboardAssets } from './dashboard-assets.js';

describe('the live page is served whole by kpi (no CDN: it must work on a government intranet)', () => {
  const assets = dashboardAssets();

  it('the page loads only its own script, its style and the bundled ECharts, all under /dashboard/assets/', () => {
    const sources = [...assets.html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(sources).toEqual(['/dashboard/assets/dashboard.css', '/dashboard/assets/echarts-6.1.0.min.js', '/dashboard/assets/dashboard.js']);
    for (const s of sources) expect(assets.files.has(s.replace('/dashboard/assets/', ''))).toBe(true);
    expect(assets.html).not.toMatch(/https?:\/\//);
    const css = assets.files.get('dashboard.css')!().body.toString('utf8');
    expect([...css.matchAll(/url\("([^"]+)"\)/g)].map((m) => m[1])).toEqual(['/dashboard/assets/NotoSansSC-Regular.ttf']);
    expect(assets.files.has('NotoSansSC-Regular.ttf')).toBe(true);
  });

  it('the page is in Chinese', () => {
    expect(assets.html).toContain('<html lang="zh-CN">');
    expect(assets.html).toContain('监测预警大屏');
  });

  it('ECharts is its own browser build, kept gzipped too', () => {
    const echarts = assets.files.get('echarts-6.1.0.min.js')!();
    expect(echarts.body.length).toBeGreaterThan(500_000);
    expect(echarts.gzip!.length).toBeLessThan(echarts.body.length / 2);
    expect(echarts.cache).toBe('immutable');
  });

  it('the page script is valid JavaScript and puts data into the page as text only (no innerHTML)', () => {
    const js = assets.files.get('dashboard.js')!().body.toString('utf8');
    expect(() => new Script(js)).not.toThrow();
    expect(js).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
  });
});
