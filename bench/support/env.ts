import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs as bench/dist/bench/support/env.js). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

/**
 * An integer setting from the environment, or `fallback` when unset or empty; anything else than
 * an integer of at least `min` stops the benchmark with the variable's name.
 */
export function intEnv<T extends number | undefined>(name: string, fallback: T, min = 1): number | T {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (Number.isInteger(n) && n >= min) return n;
  const what = min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer of at least ${min}`;
  throw new Error(`${name} must be ${what}`);
}
