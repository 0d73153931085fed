import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { round } from './stats.js';

/*
 * CPU accounting from /proc: who used the 2 cores during a measurement. Our own processes are
 * named by pid; PostgreSQL and RabbitMQ by their command; everything else is `foreign:<command>`.
 */

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface CpuSnapshot {
  at: number;
  total: number;
  perPid: Map<number, { group: string; ticks: number }>;
}

export function cpuSnapshot(pids: Record<string, number | undefined>): CpuSnapshot {
  const byPid = new Map<number, string>();
  for (const [group, pid] of Object.entries(pids)) if (pid) byPid.set(pid, group);
  const perPid = new Map<number, { group: string; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // fields[0] is field 3 (state); utime = field 14, stime = field 15
    const ticks = Number(fields[11]) + Number(fields[12]);
    const group = byPid.get(pid) ?? (comm === 'postgres' ? 'postgres' : comm === 'beam.smp' ? 'rabbitmq' : `foreign:${comm}`);
    perPid.set(pid, { group, ticks });
  }
  const cpuLine = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const busy = cpuLine[0] + cpuLine[1] + cpuLine[2] + cpuLine[5] + cpuLine[6] + (cpuLine[7] ?? 0);
  return { at: Date.now(), total: busy, perPid };
}

/**
 * Cores used per group between two snapshots (1.0 = one core fully busy); `other` is everything
 * not ours, PostgreSQL or RabbitMQ, `machineBusy` the whole machine. PostgreSQL backends may be
 * attributed to a service by pid (`postgresBackends`). `topForeign` names the busiest foreign commands.
 */
export function cpuBreakdown(
  a: CpuSnapshot,
  b: CpuSnapshot,
  postgresBackends: Map<number, string> = new Map(),
): { cores: Record<string, number>; topForeign: Record<string, number> } {
  const seconds = (b.at - a.at) / 1000;
  const groups: Record<string, number> = {};
  const foreign: Record<string, number> = {};
  let known = 0;
  for (const [pid, now] of b.perPid) {
    const used = Math.max(0, now.ticks - (a.perPid.get(pid)?.ticks ?? 0));
    if (now.group.startsWith('foreign:')) {
      foreign[now.group.slice(8)] = (foreign[now.group.slice(8)] ?? 0) + used;
      continue;
    }
    const group = (now.group === 'postgres' && postgresBackends.get(pid)) || now.group;
    groups[group] = (groups[group] ?? 0) + used;
    known += used;
  }
  const cores: Record<string, number> = {};
  for (const [g, t] of Object.entries(groups)) cores[g] = round(t / CLK_TCK / seconds);
  cores.other = round(Math.max(0, b.total - a.total - known) / CLK_TCK / seconds);
  cores.machineBusy = round((b.total - a.total) / CLK_TCK / seconds);
  const topForeign = Object.fromEntries(
    Object.entries(foreign)
      .sort((x, y) => y[1] - x[1])
      .slice(0, 4)
      .filter(([, t]) => t > 0)
      .map(([comm, t]) => [comm, round(t / CLK_TCK / seconds)]),
  );
  return { cores, topForeign };
}

/** Cores used per group (ours, postgres, rabbitmq, other, machineBusy) between two snapshots. */
export function cpuUsage(a: CpuSnapshot, b: CpuSnapshot, postgresBackends?: Map<number, string>): Record<string, number> {
  return cpuBreakdown(a, b, postgresBackends).cores;
}

export interface QuietOptions {
  /** Longest wait for an idle machine. */
  waitMs: number;
  /** Idle means fewer cores busy than this (measured over 1 s). */
  belowCores: number;
  log: (message: string) => void;
  /** Called every second, e.g. to give up at the benchmark's deadline. */
  check?: () => void;
}

/**
 * Waits until the machine is idle (nothing of ours runs between measurements, so any load then is
 * someone else's). Returns the seconds waited, or -1 if it never became idle within `waitMs`.
 */
export async function waitForQuiet(options: QuietOptions): Promise<number> {
  const start = Date.now();
  let warned = false;
  while (Date.now() - start < options.waitMs) {
    options.check?.();
    const a = cpuSnapshot({});
    await sleep(1_000);
    const { cores, topForeign } = cpuBreakdown(a, cpuSnapshot({}));
    if (cores.machineBusy < options.belowCores) return round((Date.now() - start) / 1000, 1);
    if (!warned) options.log(`machine busy (${cores.machineBusy} cores used by others${Object.keys(topForeign).length ? `: ${JSON.stringify(topForeign)}` : ''}), waiting for it to be idle`);
    warned = true;
  }
  options.log('machine never became idle; measuring anyway (flagged)');
  return -1;
}
