import { maskedForReport } from './phone-scan.js';

/*
 * Phone numbers at rest (docs/security.md): finds mainland mobile numbers stored in clear in any
 * column of any table of a database, jsonb payloads included. A number is 1[3-9]\d{9}, alone or
 * after +86/0086, and not a run of digits inside a longer token (a uuid, a hex hash, a
 * ciphertext), so ids and hashes are never mistaken for numbers.
 */

const STORED_MOBILE = /(?<![0-9A-Za-z])(?:\+?86|0086)?1[3-9]\d{9}(?![0-9A-Za-z])/g;

type Query = (sql: string, params?: unknown[]) => Promise<Array<Record<string, any>>>;

/** Every `table.column` holding a number in clear, with how many rows and one masked example; empty when none. */
export async function columnsWithPlaintextPhones(query: Query): Promise<string[]> {
  const tables = await query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const found = new Map<string, { rows: number; example: string }>();
  for (const { table_name: table } of tables) {
    const rows = await query(`SELECT to_jsonb(t)::text AS row FROM "${table}" t`);
    for (const { row } of rows) {
      if (!row.match(STORED_MOBILE)) continue;
      for (const [column, value] of Object.entries(JSON.parse(row) as Record<string, unknown>)) {
        const numbers = (typeof value === 'string' ? value : JSON.stringify(value) ?? '').match(STORED_MOBILE);
        if (!numbers) continue;
        const key = `${table}.${column}`;
        const seen = found.get(key) ?? { rows: 0, example: maskedForReport(numbers[0]) };
        found.set(key, { ...seen, rows: seen.rows + 1 });
      }
    }
  }
  return [...found].map(([column, { rows, example }]) => `${column}: ${rows} row(s), e.g. ${example}`);
}
