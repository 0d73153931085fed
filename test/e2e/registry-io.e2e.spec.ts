import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import ExcelJS from 'exceljs';
import { DataSource } from 'typeorm';
import { findLiaoningDivision } from '#shared';
import { startEmbeddedSuite } from '../../apps/embedded/src/suite.js';
import type { EmbeddedSuite } from '../../apps/embedded/src/suite.js';
import { buildDemoRegistry } from '../../apps/dispatch/src/registry/demo-registry.js';
import { eventually } from '../support/eventually.js';
import { call, readResponse } from '../support/http.js';
import { hotlineComplaint } from '../support/thin-loop.js';

/*
 * Registry import/export by CSV and XLSX (dispatch), on the embedded suite with the demo registry:
 * round trips, a community added by CSV that complaints then reach, all-or-nothing imports with a
 * row/column report, region limits, roles, malformed files, dry runs.
 */

const ANY_PORT = { INTAKE_PORT: '0', DISPATCH_PORT: '0', SMS_SURVEY_PORT: '0', KPI_PORT: '0', LOG_LEVEL: 'silent', OUTBOX_POLL_MS: '100' };
const CSV = 'text/csv';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const BOM = [0xef, 0xbb, 0xbf];
const COMMUNITY_HEADER = '小区编号（id）,小区名称（name）,区县代码（districtCode）,换热站编号（stationId）,供热企业编号（companyId）,责任主体不明（unclearOwner）,别名（aliases）';

const demo = buildDemoRegistry();
const SHENYANG_DISTRICTS = new Set(findLiaoningDivision('210100')!.city.districts.map((d) => d.code));
/** A county-level authority of Shenyang (its own district only). */
const SHENYANG_COUNTY = demo.authorities.find((a) => a.cityCode === '210100' && a.level === 'county')!;

describe('registry import/export by CSV and XLSX (dispatch, embedded suite)', () => {
  let suite: EmbeddedSuite;
  let dataDir: string;
  let shenyang: string;
  let county: string;
  let province: string;
  let company: string;
  let operator: string;

  const url = (path: string) => `${suite.urls.dispatch}/api/v1/registry${path}`;

  async function download(token: string, path: string): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
    const res = await fetch(url(path), { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
  }

  async function upload(token: string, path: string, body: Buffer | string, type: string): Promise<{ status: number; body: any }> {
    const res = await fetch(url(path), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body });
    return readResponse(res);
  }

  /** CSV text of an export, without the BOM. */
  const csvText = (bytes: Buffer) => bytes.subarray(3).toString('utf8');
  const csvFile = (...lines: string[]) => Buffer.from(`\ufeff${lines.join('\r\n')}\r\n`, 'utf8');

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'heating-registry-io-'));
    suite = await startEmbeddedSuite({ dataDir, env: { ...process.env, ...ANY_PORT } });
    shenyang = await suite.tokens.sign({ sub: 'sy-staff', role: 'authority', unitId: 'AU210100' }, 600);
    county = await suite.tokens.sign({ sub: 'county-staff', role: 'authority', unitId: SHENYANG_COUNTY.id }, 600);
    province = await suite.tokens.sign({ sub: 'prov', role: 'province' }, 600);
    company = await suite.tokens.sign({ sub: 'duty-HC0001', role: 'company', unitId: 'HC0001' }, 600);
    operator = await suite.tokens.sign({ sub: 'op-1', role: 'operator' }, 600);
  }, 120_000);

  afterAll(async () => {
    await suite?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('export', () => {
    it('CSV is a download: UTF-8 with BOM, a Chinese header with keys, the authority’s region only', async () => {
      const r = await download(shenyang, '/communities');
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename="communities-210100-\d{8}\.csv"; filename\*=UTF-8''/);
      expect(decodeURIComponent(r.headers.get('content-disposition')!.split("UTF-8''")[1])).toMatch(/^小区-沈阳市-\d{8}\.csv$/);
      expect([...r.bytes.subarray(0, 3)]).toEqual(BOM);
      const lines = csvText(r.bytes).trimEnd().split('\r\n');
      expect(lines[0]).toBe(COMMUNITY_HEADER);
      const shenyangCommunities = demo.communities.filter((m) => SHENYANG_DISTRICTS.has(m.districtCode));
      expect(lines).toHaveLength(1 + shenyangCommunities.length);
      expect(lines.slice(1).every((l) => SHENYANG_DISTRICTS.has(l.split(',')[2]))).toBe(true);
    });

    it('a county authority exports only its own district', async () => {
      const r = await download(county, '/stations');
      const rows = csvText(r.bytes).trimEnd().split('\r\n').slice(1);
      expect(rows.length).toBe(demo.stations.filter((s) => s.districtCode === SHENYANG_COUNTY.regionCode).length);
      expect(rows.every((l) => l.split(',')[3] === SHENYANG_COUNTY.regionCode)).toBe(true);
    });

    it('XLSX is a real workbook with one sheet named after the kind', async () => {
      const r = await download(province, '/companies?format=xlsx');
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe(XLSX);
      expect(r.headers.get('content-disposition')).toMatch(/filename="companies-210000-\d{8}\.xlsx"/);
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(r.bytes as unknown as ExcelJS.Buffer);
      expect(workbook.worksheets.map((w) => w.name)).toEqual(['供热企业']);
      expect(workbook.worksheets[0].rowCount).toBe(1 + demo.companies.length);
    });

    it('an unknown format is 400, an unknown kind 404, both in Chinese', async () => {
      const format = await call('GET', url('/communities?format=pdf'), shenyang);
      expect([format.status, format.body.code, format.body.field]).toEqual([400, 'EXPORT_FORMAT_UNSUPPORTED', 'format']);
      const kind = await call('GET', url('/heaters'), shenyang);
      expect([kind.status, kind.body.code]).toEqual([404, 'REGISTRY_KIND_UNKNOWN']);
      expect(kind.body.message).toMatch(/communities（小区）/);
    });
  });

  describe('round trip: an export re-imports unchanged', () => {
    it('CSV: every row unchanged, nothing written', async () => {
      const exported = await download(shenyang, '/communities');
      const r = await upload(shenyang, '/communities/import', exported.bytes, CSV);
      expect(r.status).toBe(200);
      const rows = csvText(exported.bytes).trimEnd().split('\r\n').length - 1;
      expect(r.body).toEqual({ kind: 'communities', dryRun: false, rows, created: 0, updated: 0, unchanged: rows });
    });

    it('XLSX: every row unchanged', async () => {
      const exported = await download(shenyang, '/stations?format=xlsx');
      const r = await upload(shenyang, '/stations/import', exported.bytes, XLSX);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ kind: 'stations', created: 0, updated: 0 });
      expect(r.body.unchanged).toBe(r.body.rows);
      expect(r.body.rows).toBe(demo.stations.filter((s) => SHENYANG_DISTRICTS.has(s.districtCode)).length);
    });

    it('the whole registry as one workbook (three sheets): every row of every sheet unchanged', async () => {
      const exported = await download(shenyang, '');
      expect(exported.status).toBe(200);
      const r = await upload(shenyang, '/import', exported.bytes, XLSX);
      expect(r.status).toBe(200);
      expect(Object.keys(r.body.kinds)).toEqual(['companies', 'stations', 'communities']);
      expect([r.body.created, r.body.updated, r.body.unchanged]).toEqual([0, 0, r.body.rows]);
    });
  });

  describe('a community added by CSV', () => {
    it('is created, and a complaint naming it in its district reaches its company', async () => {
      const file = csvFile(COMMUNITY_HEADER, 'CM90001,直通车测试家园,210102,HC0001-S1,HC0001,否,直通车测试东院；直通车东院');
      const r = await upload(shenyang, '/communities/import', file, CSV);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ kind: 'communities', dryRun: false, rows: 1, created: 1, updated: 0, unchanged: 0 });

      const filed = await call('POST', `${suite.urls.intake}/api/v1/complaints`, operator, hotlineComplaint('13900001111', '直通车东院'));
      expect(filed.status).toBe(201);
      const db = suite.apps.dispatch.get(DataSource);
      const routed = await eventually(async () => {
        const [row] = await db.query('SELECT company_id, community_id FROM dispatch_case WHERE case_number = $1', [filed.body.caseNumber]);
        return row;
      }, 30_000, 'the case at dispatch');
      expect(routed).toEqual({ company_id: 'HC0001', community_id: 'CM90001' });
    });

    it('is exported with its aliases and 否 as written', async () => {
      const lines = csvText((await download(shenyang, '/communities')).bytes).split('\r\n');
      expect(lines).toContain('CM90001,直通车测试家园,210102,HC0001-S1,HC0001,否,直通车测试东院；直通车东院');
    });

    it('changing it again counts as updated', async () => {
      const file = csvFile(COMMUNITY_HEADER, 'CM90001,直通车测试家园,210102,HC0001-S2,HC0001,是,直通车测试东院');
      const r = await upload(shenyang, '/communities/import', file, CSV);
      expect(r.body).toMatchObject({ created: 0, updated: 1, unchanged: 0 });
    });
  });

  describe('all or nothing', () => {
    it('a file with two bad rows is 422 listing both by row and column, and nothing is written', async () => {
      const before = csvText((await download(province, '/communities')).bytes);
      const file = csvFile(
        COMMUNITY_HEADER,
        'CM90010,全部或全无一号院,210102,HC0001-S1,HC0001,否,',
        'CM90011,全部或全无二号院,999999,HC0001-S1,HC0001,否,',
        'CM90012,全部或全无三号院,210102,HC0001-S9,HC0001,否,',
      );
      const r = await upload(province, '/communities/import', file, CSV);
      expect(r.status).toBe(422);
      expect(r.body.code).toBe('IMPORT_REJECTED');
      expect(r.body.message).toMatch(/^导入未执行：第 3 行“区县代码（districtCode）”.*等共 2 处错误/);
      expect(r.body.errorCount).toBe(2);
      expect(r.body.errors).toEqual([
        { row: 3, column: '区县代码（districtCode）', value: '999999', message: expect.stringMatching(/不是辽宁省的区县代码/) },
        { row: 4, column: '换热站编号（stationId）', value: 'HC0001-S9', message: expect.stringMatching(/换热站 HC0001-S9 不存在/) },
      ]);
      expect(csvText((await download(province, '/communities')).bytes)).toBe(before);
    });

    it('row numbers are those of the sheet: header = 1, blank rows counted', async () => {
      const file = csvFile(COMMUNITY_HEADER, '', '', 'CM90013,,210102,HC0001-S1,HC0001,否,');
      const r = await upload(province, '/communities/import', file, CSV);
      expect(r.body.errors).toEqual([{ row: 4, column: '小区名称（name）', value: '', message: '小区名称不能为空' }]);
    });

    it('dryRun=true checks and counts without writing', async () => {
      const file = csvFile(COMMUNITY_HEADER, 'CM90020,试导入花园,210102,HC0001-S1,HC0001,否,');
      const first = await upload(shenyang, '/communities/import?dryRun=true', file, CSV);
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ kind: 'communities', dryRun: true, rows: 1, created: 1, updated: 0, unchanged: 0 });
      const again = await upload(shenyang, '/communities/import?dryRun=true', file, CSV);
      expect(again.body.created).toBe(1);
      expect(csvText((await download(shenyang, '/communities')).bytes)).not.toContain('CM90020');
    });

    it('dryRun with bad rows answers the same 422 report, marked as a dry run', async () => {
      const file = csvFile(COMMUNITY_HEADER, 'CM90021,试导入坏行,210100,HC0001-S1,HC0001,否,');
      const r = await upload(shenyang, '/communities/import?dryRun=true', file, CSV);
      expect(r.status).toBe(422);
      expect(r.body.dryRun).toBe(true);
      expect(r.body.errors[0]).toMatchObject({ row: 2, column: '区县代码（districtCode）', value: '210100' });
    });
  });

  describe('access', () => {
    it('an authority’s rows outside its region are row errors, and nothing is written', async () => {
      const dalian = demo.stations.find((s) => s.districtCode.startsWith('2102'))!;
      const file = csvFile(
        '换热站编号（id）,换热站名称（name）,供热企业编号（companyId）,区县代码（districtCode）',
        `${dalian.id},${dalian.name}（改名）,${dalian.companyId},${dalian.districtCode}`,
      );
      const r = await upload(shenyang, '/stations/import', file, CSV);
      expect(r.status).toBe(422);
      expect(r.body.errors).toEqual([
        expect.objectContaining({ row: 2, column: '换热站编号（id）', message: expect.stringMatching(/不在本单位辖区（沈阳市）内，无权修改/) }),
        expect.objectContaining({ row: 2, column: '区县代码（districtCode）', message: expect.stringMatching(/不在本单位辖区（沈阳市）内，无权导入/) }),
      ]);
    });

    it('a county authority cannot import into another district of its city', async () => {
      const file = csvFile(COMMUNITY_HEADER, 'CM90030,越权花园,210102,HC0001-S1,HC0001,否,');
      const r = await upload(county, '/communities/import', file, CSV);
      expect(r.status).toBe(422);
      expect(r.body.errors[0].message).toMatch(/不在本单位辖区/);
    });

    it('a company gets 403 for export and import', async () => {
      const exported = await call('GET', url('/communities'), company);
      expect([exported.status, exported.body.code]).toEqual([403, 'FORBIDDEN']);
      const imported = await upload(company, '/communities/import', csvFile(COMMUNITY_HEADER), CSV);
      expect([imported.status, imported.body.code]).toEqual([403, 'FORBIDDEN']);
    });

    it('an authority token whose unit is not in the registry gets 403', async () => {
      const ghost = await suite.tokens.sign({ sub: 'x', role: 'authority', unitId: 'AU999999' }, 60);
      expect((await call('GET', url('/companies'), ghost)).status).toBe(403);
    });
  });

  describe('malformed files are a clear 400/413/415 in Chinese, never a 500', () => {
    const garbage = Buffer.from([0x00, 0x9f, 0x13, 0xff, 0x00, 0x42, 0x7a, 0x00, 0xd3, 0x01, 0x02, 0x03]);

    it('garbage bytes as CSV → 400 IMPORT_NOT_TEXT', async () => {
      const r = await upload(shenyang, '/communities/import', garbage, CSV);
      expect([r.status, r.body.code]).toEqual([400, 'IMPORT_NOT_TEXT']);
      expect(r.body.message).toMatch(/二进制/);
    });

    it('garbage bytes as XLSX → 400 IMPORT_NOT_XLSX', async () => {
      const r = await upload(shenyang, '/communities/import', garbage, XLSX);
      expect([r.status, r.body.code]).toEqual([400, 'IMPORT_NOT_XLSX']);
    });

    it('an empty body → 400 IMPORT_FILE_EMPTY', async () => {
      const r = await upload(shenyang, '/communities/import', Buffer.alloc(0), CSV);
      expect([r.status, r.body.code]).toEqual([400, 'IMPORT_FILE_EMPTY']);
    });

    it('missing header columns → 400 naming them', async () => {
      const r = await upload(shenyang, '/communities/import', csvFile('小区编号（id）,小区名称（name）', 'CM1,x'), CSV);
      expect([r.status, r.body.code]).toEqual([400, 'IMPORT_HEADER_INVALID']);
      expect(r.body.message).toMatch(/缺少列：区县代码（districtCode）/);
    });

    it('a stations workbook sent to the communities address → 400 IMPORT_WRONG_SHEET naming the right one', async () => {
      const stations = await download(shenyang, '/stations?format=xlsx');
      const r = await upload(shenyang, '/communities/import', stations.bytes, XLSX);
      expect([r.status, r.body.code]).toEqual([400, 'IMPORT_WRONG_SHEET']);
      expect(r.body.message).toMatch(/\/api\/v1\/registry\/stations\/import/);
    });

    it('an XLSX sent as text/csv → 400 naming the right Content-Type', async () => {
      const exported = await download(shenyang, '/stations?format=xlsx');
      const r = await upload(shenyang, '/stations/import', exported.bytes, CSV);
      expect([r.status, r.body.code]).toEqual([400, 'IMPORT_CONTENT_MISMATCH']);
    });

    it('JSON to the import address → 415 naming the file types', async () => {
      const r = await call('POST', url('/communities/import'), shenyang, { rows: [] });
      expect([r.status, r.body.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
      expect(r.body.message).toContain('text/csv');
    });

    it('a file over 10 MB → 413 naming the limit', async () => {
      const r = await upload(shenyang, '/communities/import', Buffer.alloc(10 * 1024 * 1024 + 1, 0x41), CSV);
      expect([r.status, r.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
      expect(r.body.message).toMatch(/10 MB/);
    });
  });

  it('the endpoints are documented in OpenAPI with their file bodies', async () => {
    const doc = (await call('GET', `${suite.urls.dispatch}/docs/openapi.json`)).body;
    const importOp = doc.paths['/api/v1/registry/{kind}/import'].post;
    expect(Object.keys(importOp.requestBody.content)).toEqual([CSV, XLSX]);
    expect(Object.keys(importOp.responses)).toEqual(expect.arrayContaining(['200', '400', '415', '422']));
    expect(Object.keys(doc.paths['/api/v1/registry/{kind}'].get.responses['200'].content)).toEqual([CSV, XLSX]);
  });
});
