/** kpi's own settings (process environment), validated when the module is registered. */
export interface KpiSettings {
  /** Units with fewer cases dispatched in the month are listed as 样本不足 on the red/black list, never ranked. */
  redBlackMinDispatched: number;
}

export const KPI_SETTINGS = Symbol('KPI_SETTINGS');

export const DEFAULT_RED_BLACK_MIN_DISPATCHED = 10;

export function readKpiSettings(env: NodeJS.ProcessEnv): KpiSettings {
  const raw = env.KPI_RED_BLACK_MIN_DISPATCHED;
  if (raw === undefined || raw === '') return { redBlackMinDispatched: DEFAULT_RED_BLACK_MIN_DISPATCHED };
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 100_000) {
    throw new Error(`KPI_RED_BLACK_MIN_DISPATCHED must be a whole number between 1 and 100000 (got "${raw}")`);
  }
  return { redBlackMinDispatched: n };
}
