import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { DASHBOARD_CLIENT_JS } from './dashboard-client.js';
import { DASHBOARD_CSS, dashboardHtml } from './dashboard-page.js';

export interface DashboardAsset {
  body: Buffer;
  gzip?: Buffer;
  contentType: string;
  /** immutable: named by version, cached for a year; week: the font (it only changes with the package); revalidate: the page's own script and style. */
  cache: 'immutable' | 'week' | 'revalidate';
}

export interface DashboardAssets {
  html: string;
  /** File name → the file, read (and gzipped) the first time it is asked for. */
  files: Map<string, () => DashboardAsset>;
}

const once = <T>(load: () => T): (() => T) => {
  let value: T | undefined;
  return () => (value ??= load());
};

let assets: DashboardAssets | undefined;

/**
 * The page, its script and style, ECharts' own browser build (echarts/dist/echarts.min.js, the
 * version in package.json; ~1.1 MB, ~0.36 MB gzipped) and Noto Sans SC (the font the bulletins
 * embed; a browser fetches it only for characters no installed font has). Each is read once per
 * process, when first asked for.
 */
export function dashboardAssets(): DashboardAssets {
  if (assets) return assets;
  const require = createRequire(import.meta.url);
  const echartsVersion = (require('echarts/package.json') as { version: string }).version;
  const echartsFile = `echarts-${echartsVersion}.min.js`;
  const file = (read: () => Buffer, contentType: string, cache: DashboardAsset['cache'], gzip = true) =>
    once((): DashboardAsset => {
      const body = read();
      return { body, gzip: gzip ? gzipSync(body) : undefined, contentType, cache };
    });
  assets = {
    html: dashboardHtml(echartsFile),
    files: new Map([
      [echartsFile, file(() => readFileSync(require.resolve('echarts/dist/echarts.min.js')), 'text/javascript; charset=utf-8', 'immutable')],
      ['dashboard.js', file(() => Buffer.from(DASHBOARD_CLIENT_JS, 'utf8'), 'text/javascript; charset=utf-8', 'revalidate')],
      ['dashboard.css', file(() => Buffer.from(DASHBOARD_CSS, 'utf8'), 'text/css; charset=utf-8', 'revalidate', false)],
      ['NotoSansSC-Regular.ttf', file(() => readFileSync(require.resolve('@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf')), 'font/ttf', 'week')],
    ]),
  };
  return assets;
}
