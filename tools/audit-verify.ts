/*
 * Verifies the hash-chained audit trail of every case in dispatch (`npm run audit:verify`): a
 * rewritten, deleted or inserted step of a case's action log is reported with the case number and
 * the entry. Exit code 0 when intact, 1 when a break is found (or on error), 2 on bad usage.
 * Production: the dispatch database from DISPATCH_DATABASE_URL or DATABASE_URL. Embedded:
 * --embedded opens DATA_DIR/dispatch (default .data/dispatch); stop the embedded suite first.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { verifyAuditTrail } from '../apps/dispatch/src/audit/audit-verifier.js';
import { DISPATCH_SCHEMA } from '../apps/dispatch/src/dispatch-schema.js';
import { openServiceDatabase } from './support/service-database.js';

const USAGE = `Usage: npm run audit:verify [-- --embedded] [-- --case GR-… …]

  DISPATCH_DATABASE_URL=postgres://… npm run audit:verify   the production dispatch database (or DATABASE_URL)
  npm run audit:verify -- --embedded                        the embedded suite's data folder (DATA_DIR, default .data), suite stopped
  --case GR-20261129-000123                                  only these cases (repeatable)`;

const { values } = parseArgs({
  options: { embedded: { type: 'boolean' }, case: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const dataSource = await openServiceDatabase({ service: 'dispatch', urlVariable: 'DISPATCH_DATABASE_URL', embedded: values.embedded === true, schema: DISPATCH_SCHEMA, usage: USAGE });
try {
  const report = await dataSource.transaction('REPEATABLE READ', (em) => verifyAuditTrail(em, { caseNumbers: values.case }));
  for (const p of report.problems) {
    process.stdout.write(`${p.caseNumber}\t${p.actionId ?? '-'}\t${p.kind}\t${p.message}\n`);
  }
  const summary = { cases: report.cases, entries: report.entries, problems: report.problems.length, intact: report.problems.length === 0 };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  if (report.problems.length > 0) process.exitCode = 1;
} catch (error) {
  process.stderr.write(`audit verification failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await dataSource.destroy();
}
