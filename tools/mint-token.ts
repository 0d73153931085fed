/*
 * Mints a signed bearer token for a person or system (`npm run token -- --role operator --sub op-001`).
 * Reads AUTH_SECRET from the environment, or the embedded suite's .data/auth-secret.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ROLES, TokenService } from '#shared';
import type { Role } from '#shared';

const USAGE = `Usage: npm run token -- --role <${ROLES.join('|')}> --sub <id> [--unit <company or authority id>] [--region <GB/T 2260 code>] [--phone <mobile>] [--days <n>]

Examples:
  npm run token -- --role operator --sub op-001
  npm run token -- --role company --sub duty-1 --unit HC0001
  npm run token -- --role authority --sub au-1 --unit AU210100 --region 210100`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    sub: { type: 'string' },
    unit: { type: 'string' },
    region: { type: 'string' },
    phone: { type: 'string' },
    days: { type: 'string', default: '30' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const role = values.role as Role | undefined;
if (!role || !ROLES.includes(role)) fail(`--role must be one of ${ROLES.join(', ')}`);
if (!values.sub) fail('--sub (who the token is for) is required');
if ((role === 'company' || role === 'authority') && !values.unit) fail(`--unit is required for role ${role}`);
if (role === 'resident' && !values.phone) fail('--phone is required for role resident');
const days = Number(values.days);
if (!Number.isFinite(days) || days <= 0 || days > 365) fail('--days must be between 1 and 365');

const secretFile = `${process.env.DATA_DIR ?? '.data'}/auth-secret`;
const secret = process.env.AUTH_SECRET ?? (existsSync(secretFile) ? readFileSync(secretFile, 'utf8').trim() : undefined);
if (!secret) fail(`AUTH_SECRET is not set and ${secretFile} does not exist (start the embedded suite once, or set AUTH_SECRET)`);

const token = await new TokenService(secret).sign(
  { sub: values.sub, role, unitId: values.unit, regionCode: values.region, phone: values.phone },
  Math.round(days * 24 * 3600),
);
process.stdout.write(`${token}\n`);
