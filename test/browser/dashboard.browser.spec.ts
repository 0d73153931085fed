import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { startEmbeddedSuite } from '../../apps/embedded/src/suite.js';
import type { EmbeddedSuite } from '../../apps/embedded/src/suite.js';
import { DashboardHub } from '../../apps/kpi/src/dashboard/dashboard-hub.js';
import { call } from '../support/http.js';
import { hotlineComplaint } from '../support/thin-loop.js';
import { launchChromium } from './support/chromium.js';
import type { Chromium } from './support/chromium.js';

/*
 * The live monitoring page in a real browser: Debian's Chromium driven by playwright-core, against
 * the whole embedded suite (four services, PGlite, in-process bus, the system clock). Complaints
 * are filed through intake's API as a hotline operator would; the page must show them within 2 s,
 * show a warning when one community surges, let the district's authority acknowledge it on its own
 * page, catch up after its stream was cut, and leave a screenshot in test-artifacts/.
 */

const ANY_PORT = { INTAKE_PORT: '0', DISPATCH_PORT: '0', SMS_SURVEY_PORT: '0', KPI_PORT: '0', LOG_LEVEL: 'error' };
const ARTIFACTS = join(process.cwd(), 'test-artifacts');

describe('live monitoring page in Chromium (playwright-core)', () => {
  let suite: EmbeddedSuite;
  let dataDir: string;
  let browser: Chromium;
  let province: Page;
  let operator: string;
  let room = 100;
  let phone = 13_900_000_100;

  /** Files a too-cold complaint in 金地小区 (和平区, 沈阳) through intake's hotline API; answers its case number. */
  async function file(community = '金地小区'): Promise<string> {
    const c = hotlineComplaint(String(phone++), community);
    const r = await call('POST', `${suite.urls.intake}/api/v1/complaints`, operator, { ...c, address: { ...c.address, room: String(room++) } });
    expect(r.status).toBe(201);
    return r.body.caseNumber;
  }

  async function openPage(token: string): Promise<Page> {
    const page = await browser.context.newPage();
    await page.goto(`${suite.urls.kpi}/dashboard#token=${token}`);
    await page.waitForSelector('#status[data-state="live"]', { timeout: 15_000 });
    await page.waitForFunction('Number(document.body.getAttribute("data-version")) > 0');
    return page;
  }

  beforeAll(async () => {
    // The browser first: without Chromium this fails at once, with the message saying what to install.
    browser = await launchChromium();
    dataDir = mkdtempSync(join(tmpdir(), 'heating-browser-'));
    suite = await startEmbeddedSuite({ dataDir, env: { ...process.env, ...ANY_PORT } });
    operator = await suite.tokens.sign({ sub: 'op-1', role: 'operator' }, 3600);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await suite?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('the page asks for a token, refuses a bad one in Chinese, and with the province’s shows Liaoning’s 14 cities live', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${suite.urls.kpi}/dashboard`);
    await page.waitForSelector('#login-form', { state: 'visible' });
    expect(await page.title()).toBe('供热直通车 · 监测预警大屏');
    await page.fill('#token-input', 'not-a-token');
    await page.click('#login-form button[type="submit"]');
    await page.waitForFunction('document.getElementById("login-message").textContent.includes("令牌")');
    await page.close();

    province = await openPage(await suite.tokens.sign({ sub: 'prov', role: 'province' }, 3600));
    expect(await province.textContent('#scope')).toBe('辽宁省（全省）');
    expect(await province.locator('#tiles .tile').count()).toBe(14);
    expect(await province.textContent('#tiles [data-code="210200"] .tile-name')).toBe('大连市');
    expect(await province.locator('#chart-category canvas').count()).toBeGreaterThan(0); // ECharts drew, from kpi's own copy
  }, 60_000);

  it('a complaint filed through intake’s API appears on the page within 2 s', async () => {
    const t0 = Date.now();
    const caseNumber = await file();
    await province.waitForSelector(`.recent-row[data-case-number="${caseNumber}"]`, { timeout: 2_000 });
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeLessThan(2_000);
    expect(await province.textContent(`#tiles [data-code="210100"] .tile-today`)).toBe('1');
  }, 30_000);

  it('a surge (5 households of one community within 30 minutes) raises a warning row that says why; the district’s authority acknowledges it and the province sees that live', async () => {
    for (let i = 0; i < 4; i++) await file();
    const row = province.locator('.warning-row[data-rule="surge"]', { hasText: '金地小区' }).first();
    await row.waitFor({ timeout: 5_000 });
    expect(await row.locator('.warning-reason').textContent()).toContain('过去30分钟内 金地小区（小区） 有 5 户反映室温不达标');
    expect(await province.getAttribute('#tiles [data-code="210100"]', 'class')).toContain('alarm');

    const heping = await openPage(await suite.tokens.sign({ sub: 'hp-duty', role: 'authority', unitId: 'AU210102', regionCode: '210102' }, 3600));
    expect(await heping.textContent('#scope')).toBe('沈阳市和平区');
    const own = heping.locator('.warning-row[data-rule="surge"]', { hasText: '金地小区' }).first();
    await own.locator('button.ack').click();
    await heping.waitForSelector('.warning-row[data-rule="surge"][data-acknowledged="true"]', { timeout: 3_000 });
    await province.waitForSelector('.warning-row[data-rule="surge"][data-acknowledged="true"]', { timeout: 3_000 });
    expect(await province.locator('.warning-row[data-acknowledged="true"] .warning-ack').first().textContent()).toContain('authority:hp-duty');
    await heping.close();
  }, 60_000);

  it('after its stream is cut the page reconnects with a new ticket and catches up, without rendering a picture twice', async () => {
    const stats = 'JSON.parse(JSON.stringify({ ...window.__dashboard, renderMs: undefined }))';
    const before: { connects: number; version: number } = await province.evaluate(stats);
    suite.apps.kpi.get(DashboardHub).closeStreams();
    const caseNumber = await file('翠湖小区');
    await province.waitForSelector(`.recent-row[data-case-number="${caseNumber}"]`, { timeout: 10_000 });
    await province.waitForSelector('#status[data-state="live"]');
    const after: { connects: number; version: number; ignored: number } = await province.evaluate(stats);
    expect(after.connects).toBeGreaterThan(before.connects);
    expect(after.version).toBeGreaterThan(before.version);
    expect(after.ignored).toBe(0); // the server never sent a picture the page already had
  }, 30_000);

  it('a screenshot of the page is saved for people to look at (test-artifacts/dashboard.png)', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, 'dashboard.png');
    const png = await province.screenshot({ path, fullPage: true });
    expect(png.length).toBeGreaterThan(20_000);
  }, 30_000);
});
