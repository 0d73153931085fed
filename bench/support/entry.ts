import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/*
 * Whether a module is the script node was started with (`node bench/dist/bench/x.js`), so that a
 * benchmark can be both a command and a library: bench/season-replay.ts imports the measuring
 * functions of bench/messaging-hop.ts, bench/intake-load.ts and bench/dispatch-latency.ts without
 * running their commands.
 */
export function isEntryPoint(importMetaUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(importMetaUrl));
  } catch {
    return false;
  }
}
