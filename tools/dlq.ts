/*
 * Dead-lettered messages, for the platform team on duty (`npm run dlq -- list|replay …`, docs/operations.md).
 * Connects to RabbitMQ at AMQP_URL (the same setting as the services, vhost included).
 *   list:   what is parked per service queue — id, type, reason, when, attempts — without consuming it.
 *   replay: moves chosen parked messages back onto their service's queue (after the cause is fixed);
 *           the consumer's inbox makes a message that had in fact been handled a no-op.
 * Never prints a message body; phone numbers in reasons are masked.
 */
import { parseArgs } from 'node:util';
import { connect } from 'amqplib';
import { listDeadLetters, maskPhonesInText, redactUrl, replayDeadLetters, SERVICE_QUEUES, serviceQueueNamed } from '#shared';
import type { ParkedMessage } from '#shared';

const USAGE = `Usage: npm run dlq -- <list|replay> [options]        (AMQP_URL=amqp://user:pass@host:5672/vhost)

  list   [--queue <q>] [--limit <n>] [--json]     parked messages per service queue (default: all four)
  replay  --queue <q> (--id <message id> … | --all) [--json]
                                                  put them back on the service's queue, fresh retry budget

  <q>: intake | dispatch | sms-survey | kpi (or heating.<service>, or its .dead-letter queue)

Examples:
  npm run dlq -- list
  npm run dlq -- list --queue heating.dispatch --json
  npm run dlq -- replay --queue heating.sms-survey --id 6c1f0d2e-…
  npm run dlq -- replay --queue heating.kpi --all`;

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(code);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    queue: { type: 'string' },
    id: { type: 'string', multiple: true },
    all: { type: 'boolean' },
    limit: { type: 'string', default: '100' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const [command, ...extra] = positionals;
if (command !== 'list' && command !== 'replay') fail(command ? `unknown command "${command}"` : 'say list or replay');
if (extra.length > 0) fail(`unexpected argument "${extra[0]}"`);
const url = process.env.AMQP_URL;
if (!url || !/^amqps?:\/\/.+/.test(url)) fail('AMQP_URL must be set to the broker the services use, e.g. amqp://user:pass@rabbitmq:5672/heating');

let queues = [...SERVICE_QUEUES];
if (values.queue !== undefined) {
  const queue = serviceQueueNamed(values.queue);
  if (!queue) fail(`--queue "${values.queue}" names no service queue; one of ${SERVICE_QUEUES.join(', ')}`);
  queues = [queue];
}
const limit = Number(values.limit);
if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) fail('--limit must be between 1 and 10000');
const ids = new Set(values.id ?? []);
if (command === 'replay') {
  if (values.queue === undefined) fail('replay needs --queue: say which service should handle the messages again');
  if (ids.size === 0 && !values.all) fail('replay needs --id <message id> (repeatable) or --all');
  if (ids.size > 0 && values.all) fail('give --id or --all, not both');
}

const out = (line: string) => process.stdout.write(`${maskPhonesInText(line)}\n`);
const row = (m: ParkedMessage) =>
  `  ${(m.messageId ?? '-').padEnd(38)} ${(m.type ?? '-').padEnd(24)} ${String(m.attempts).padStart(8)}  ${(m.deadLetteredAt ?? '-').padEnd(24)}  ${m.reason}` +
  (m.replays > 0 ? ` (replayed ${m.replays}×)` : '');
const header = `  ${'id'.padEnd(38)} ${'type'.padEnd(24)} ${'attempts'.padStart(8)}  ${'dead-lettered at'.padEnd(24)}  reason`;

let model;
try {
  model = await connect(url);
} catch (error) {
  process.stderr.write(`cannot connect to RabbitMQ at ${redactUrl(url)}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
// Channel errors (e.g. 404 for a queue never declared) reject the call that caused them; don't let them crash us too.
model.on('error', () => undefined);
const notDeclared = (error: unknown) => /404|NOT_FOUND/.test(error instanceof Error ? error.message : String(error));
try {
  if (command === 'list') {
    const report = [];
    for (const queue of queues) {
      // One channel per queue: a queue that was never declared closes its channel.
      const ch = await model.createChannel();
      ch.on('error', () => undefined);
      try {
        report.push({ queue, declared: true, ...(await listDeadLetters(ch, queue, limit)) });
        await ch.close();
      } catch (error) {
        if (!notDeclared(error)) throw error;
        report.push({ queue, declared: false, total: 0, items: [] as ParkedMessage[] });
      }
    }
    if (values.json) out(JSON.stringify(report, null, 2));
    else {
      for (const { queue, declared, total, items } of report) {
        if (!declared) {
          out(`${queue}: no dead-letter queue ${queue}.dead-letter in this vhost (has a service connected to it yet?)`);
          continue;
        }
        out(`${queue} (dead-letter queue ${queue}.dead-letter): ${total} parked${total > items.length ? `, first ${items.length} shown` : ''}`);
        if (items.length > 0) {
          out(header);
          items.forEach((m) => out(row(m)));
        }
      }
    }
  } else {
    const ch = await model.createConfirmChannel();
    ch.on('error', () => undefined);
    const [queue] = queues;
    const result = await replayDeadLetters(ch, queue, (m) => values.all === true || (m.messageId !== null && ids.has(m.messageId))).catch((error: unknown) => {
      if (notDeclared(error)) throw new Error(`${queue} or its dead-letter queue does not exist in this vhost (is AMQP_URL the services' vhost?)`);
      throw error;
    });
    await ch.close();
    const notFound = [...ids].filter((id) => !result.replayed.some((m) => m.messageId === id) && !result.failed.some((f) => f.message.messageId === id));
    if (values.json) out(JSON.stringify({ queue, ...result, notFound }, null, 2));
    else {
      out(`${queue}: replayed ${result.replayed.length}, left parked ${result.kept + result.failed.length}`);
      result.replayed.forEach((m) => out(`  replayed ${m.messageId ?? '-'} (${m.type ?? '-'})`));
      result.failed.forEach((f) => out(`  NOT replayed ${f.message.messageId ?? '-'} (${f.message.type ?? '-'}): ${f.error}`));
      notFound.forEach((id) => out(`  not found: no parked message with id ${id} in ${queue}.dead-letter`));
    }
    if (result.failed.length > 0 || notFound.length > 0) process.exitCode = 1;
  }
} catch (error) {
  process.stderr.write(`dlq ${command} failed: ${maskPhonesInText(error instanceof Error ? error.message : String(error))}\n`);
  process.exitCode = 1;
} finally {
  await model.close().catch(() => undefined);
}
