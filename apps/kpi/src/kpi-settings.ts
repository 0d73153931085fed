/** kpi's own settings (process environment), validated when the module is registered. */
export interface KpiSettings {
  /** Units with fewer cases dispatched in the month are listed as 样本不足 on the red/black list, never ranked. */
  redBlackMinDispatched: number;
  /** The live monitoring page and its early warnings (docs/dashboard.md). */
  dashboard: DashboardSettings;
}

/** The live page (监测大屏): how often it is pushed, how far back it looks, how its stream is authenticated. */
export interface DashboardSettings {
  /** A scope's page gets at most one update per this many milliseconds, however many events arrive (coalescing). */
  pushIntervalMs: number;
  /** Reads events stored by other replicas every this many milliseconds; 0: off (one replica, embedded). */
  syncIntervalMs: number;
  /** Cases with an event in the last N days are on the live board (open and overdue counts, baselines). */
  horizonDays: number;
  /** A stream ticket opens one stream within this many seconds. */
  ticketTtlSeconds: number;
  /** A stream is closed after this many minutes; the page gets a new ticket with its token (so an expired token stops the page). */
  streamMaxMinutes: number;
  warnings: WarningThresholds;
}

/** The early-warning rules' thresholds (docs/dashboard.md, "Warnings"). */
export interface WarningThresholds {
  surge: {
    windowMinutes: number;
    /** At least this many households under one station or in one community within the window. */
    minHouseholds: number;
    /** At least this many households in one district within the window. */
    minHouseholdsDistrict: number;
    /** …and at least this many times the mean of the same window on the previous `baselineDays` days. */
    ratio: number;
    baselineDays: number;
  };
  overdueWave: { windowMinutes: number; minCases: number };
  satisfactionDip: { lastRatings: number; dropPoints: number; minMonthRatings: number };
  /** A rule does not warn again about the same subject within this many minutes. */
  cooldownMinutes: number;
}

export const KPI_SETTINGS = Symbol('KPI_SETTINGS');
/** The dashboard part of KpiSettings, for the dashboard module's providers. */
export const DASHBOARD_SETTINGS = Symbol('DASHBOARD_SETTINGS');

export const DEFAULT_RED_BLACK_MIN_DISPATCHED = 10;

/** One whole-number (or decimal) setting: its variable, range and default. */
interface NumberSetting {
  name: string;
  min: number;
  max: number;
  fallback: number;
  decimal?: boolean;
  /** 0 is accepted as "off" besides [min, max]. */
  zeroIsOff?: boolean;
}

function readNumber(env: NodeJS.ProcessEnv, s: NumberSetting, problems: string[]): number {
  const raw = env[s.name];
  if (raw === undefined || raw === '') return s.fallback;
  const n = Number(raw);
  const shape = s.decimal ? /^\d+(\.\d+)?$/ : /^\d+$/;
  if (shape.test(raw) && ((s.zeroIsOff && n === 0) || (n >= s.min && n <= s.max))) return n;
  const kind = s.decimal ? 'a number' : 'a whole number';
  problems.push(`${s.name} must be ${kind} between ${s.min} and ${s.max}${s.zeroIsOff ? ' (or 0 for off)' : ''} (got "${raw}")`);
  return s.fallback;
}

/**
 * Reads and checks kpi's settings; throws naming every wrong variable. `mode` picks the defaults
 * that differ: the sync with other replicas is on in production (replicas share the queue, each
 * consumes only part of the events) and off in embedded mode (one process).
 */
export function readKpiSettings(env: NodeJS.ProcessEnv, mode: 'embedded' | 'production' = env.HEATING_MODE === 'production' ? 'production' : 'embedded'): KpiSettings {
  const problems: string[] = [];
  const n = (s: NumberSetting) => readNumber(env, s, problems);
  const redBlackMinDispatched = n({ name: 'KPI_RED_BLACK_MIN_DISPATCHED', min: 1, max: 100_000, fallback: DEFAULT_RED_BLACK_MIN_DISPATCHED });
  const surge = {
    windowMinutes: n({ name: 'WARNING_SURGE_WINDOW_MINUTES', min: 5, max: 1440, fallback: 30 }),
    minHouseholds: n({ name: 'WARNING_SURGE_MIN_HOUSEHOLDS', min: 2, max: 10_000, fallback: 5 }),
    minHouseholdsDistrict: n({ name: 'WARNING_SURGE_MIN_HOUSEHOLDS_DISTRICT', min: 2, max: 100_000, fallback: 20 }),
    ratio: n({ name: 'WARNING_SURGE_RATIO', min: 1, max: 100, fallback: 3, decimal: true }),
    baselineDays: n({ name: 'WARNING_SURGE_BASELINE_DAYS', min: 1, max: 28, fallback: 7 }),
  };
  const satisfactionDip = {
    lastRatings: n({ name: 'WARNING_SATISFACTION_LAST_RATINGS', min: 5, max: 1000, fallback: 20 }),
    dropPoints: n({ name: 'WARNING_SATISFACTION_DROP_POINTS', min: 1, max: 100, fallback: 15, decimal: true }),
    minMonthRatings: n({ name: 'WARNING_SATISFACTION_MIN_MONTH_RATINGS', min: 6, max: 100_000, fallback: 40 }),
  };
  if (satisfactionDip.minMonthRatings <= satisfactionDip.lastRatings) {
    problems.push(
      `WARNING_SATISFACTION_MIN_MONTH_RATINGS (${satisfactionDip.minMonthRatings}) must be greater than WARNING_SATISFACTION_LAST_RATINGS (${satisfactionDip.lastRatings}): the month must hold more ratings than the recent ones compared with it`,
    );
  }
  const horizonDays = n({ name: 'DASHBOARD_HORIZON_DAYS', min: 2, max: 90, fallback: 30 });
  if (horizonDays <= surge.baselineDays) {
    problems.push(`DASHBOARD_HORIZON_DAYS (${horizonDays}) must be greater than WARNING_SURGE_BASELINE_DAYS (${surge.baselineDays}): the baseline is read from the live board`);
  }
  const dashboard: DashboardSettings = {
    pushIntervalMs: n({ name: 'DASHBOARD_PUSH_MS', min: 100, max: 10_000, fallback: 500 }),
    syncIntervalMs: n({ name: 'DASHBOARD_SYNC_MS', min: 200, max: 60_000, fallback: mode === 'production' ? 2000 : 0, zeroIsOff: true }),
    horizonDays,
    ticketTtlSeconds: n({ name: 'DASHBOARD_TICKET_TTL_SECONDS', min: 10, max: 600, fallback: 60 }),
    streamMaxMinutes: n({ name: 'DASHBOARD_STREAM_MAX_MINUTES', min: 1, max: 1440, fallback: 30 }),
    warnings: {
      surge,
      overdueWave: {
        windowMinutes: n({ name: 'WARNING_OVERDUE_WINDOW_MINUTES', min: 5, max: 1440, fallback: 60 }),
        minCases: n({ name: 'WARNING_OVERDUE_MIN_CASES', min: 2, max: 10_000, fallback: 5 }),
      },
      satisfactionDip,
      cooldownMinutes: n({ name: 'WARNING_COOLDOWN_MINUTES', min: 1, max: 1440, fallback: 60 }),
    },
  };
  if (problems.length > 0) throw new Error(`Invalid kpi configuration:\n  - ${problems.join('\n  - ')}`);
  return { redBlackMinDispatched, dashboard };
}
