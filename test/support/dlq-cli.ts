import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** What `npm run dlq -- …` printed and how it exited. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built admin command (`node dist/tools/dlq.js …`, what `npm run dlq` runs) against a
 * vhost. Asynchronous on purpose: the in-process services of the test keep running meanwhile.
 */
export function runDlq(amqpUrl: string, ...args: string[]): Promise<CliRun> {
  const script = join(process.cwd(), 'dist', 'tools', 'dlq.js');
  if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` before the infra tests`);
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { env: { PATH: process.env.PATH, AMQP_URL: amqpUrl }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
