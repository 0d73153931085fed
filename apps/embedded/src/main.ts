import 'reflect-metadata';
import { ConfigError } from '#shared';
import { startEmbeddedSuite } from './suite.js';

const reset = process.argv.includes('--reset');
const dataDir = process.env.DATA_DIR ?? '.data';

try {
  const suite = await startEmbeddedSuite({ dataDir, reset });
  const day = 24 * 3600;
  const operator = await suite.tokens.sign({ sub: 'demo-operator', role: 'operator' }, 30 * day);
  const province = await suite.tokens.sign({ sub: 'demo-province', role: 'province' }, 30 * day);
  const company = await suite.tokens.sign({ sub: 'demo-duty-HC0001', role: 'company', unitId: 'HC0001' }, 30 * day);
  const authority = await suite.tokens.sign({ sub: 'demo-shenyang', role: 'authority', unitId: 'AU210100' }, 30 * day);
  const lines = [
    '',
    '供热直通车 — embedded suite is up (PGlite + in-process bus, data in ' + dataDir + ')',
    '',
    ...Object.entries(suite.urls).map(
      ([name, url]) => `  ${name.padEnd(10)} ${url}   docs ${url}/docs   ready ${url}/health/ready`,
    ),
    '',
    '  Operator token (话务员, 30 days):',
    `    ${operator}`,
    '  Province token (省级/平台运维: SMS console, ops, all indicators):',
    `    ${province}`,
    '  Company token for HC0001 (和平区恒温供热有限公司):',
    `    ${company}`,
    '  Authority token for AU210100 (沈阳市供热管理办公室: manual dispatch, returns, incidents, bad ratings, registry):',
    `    ${authority}`,
    '',
    '  Live monitoring page (监测预警): ' + suite.urls.kpi + '/dashboard#token=' + province,
    '    (province view; use the authority token for Shenyang only)',
    '',
    '  Open311 (GeoReport v2) demo api_key: open311-demo-key-0001   ' + suite.urls.intake + '/open311/v2/services.xml',
    '',
    '  Try: curl -s -X POST ' + suite.urls.intake + '/api/v1/complaints -H "Authorization: Bearer $OPERATOR" \\',
    '         -H "Content-Type: application/json" -d @docs/examples/hotline-complaint.json',
    '  Start from empty: npm start -- --reset      Stop: Ctrl+C',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  const stop = async () => {
    await suite.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(78);
  }
  throw error;
}
