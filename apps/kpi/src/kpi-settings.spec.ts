import { describe, expect, it } from '@jest/globals';
import { readKpiSettings } from './kpi-settings.js';

describe('kpi settings are checked at start-up, naming every wrong variable', () => {
  it('defaults: a push at most every 500 ms, surges of 5 households in 30 minutes at 3 × the 7-day baseline', () => {
    const s = readKpiSettings({}, 'embedded');
    expect(s.redBlackMinDispatched).toBe(10);
    expect(s.dashboard).toMatchObject({ pushIntervalMs: 500, syncIntervalMs: 0, horizonDays: 30, ticketTtlSeconds: 60 });
    expect(s.dashboard.warnings).toEqual({
      surge: { windowMinutes: 30, minHouseholds: 5, minHouseholdsDistrict: 20, ratio: 3, baselineDays: 7 },
      overdueWave: { windowMinutes: 60, minCases: 5 },
      satisfactionDip: { lastRatings: 20, dropPoints: 15, minMonthRatings: 40 },
      cooldownMinutes: 60,
    });
  });

  it('in production the board reads the other replicas’ events every 2 s; 0 turns that off', () => {
    expect(readKpiSettings({}, 'production').dashboard.syncIntervalMs).toBe(2000);
    expect(readKpiSettings({ DASHBOARD_SYNC_MS: '0' }, 'production').dashboard.syncIntervalMs).toBe(0);
  });

  it('settings are read from the environment, decimals where a ratio is meant', () => {
    const s = readKpiSettings({ WARNING_SURGE_RATIO: '2.5', WARNING_SURGE_MIN_HOUSEHOLDS: '8', DASHBOARD_PUSH_MS: '250' }, 'embedded');
    expect(s.dashboard.warnings.surge).toMatchObject({ ratio: 2.5, minHouseholds: 8 });
    expect(s.dashboard.pushIntervalMs).toBe(250);
  });

  it('wrong values are all named in one error', () => {
    expect(() => readKpiSettings({ WARNING_SURGE_MIN_HOUSEHOLDS: '1', DASHBOARD_PUSH_MS: 'fast', KPI_RED_BLACK_MIN_DISPATCHED: '0' }, 'embedded')).toThrow(
      /WARNING_SURGE_MIN_HOUSEHOLDS must be a whole number between 2 and 10000 \(got "1"\)[\s\S]*DASHBOARD_PUSH_MS[\s\S]*/,
    );
    expect(() => readKpiSettings({ KPI_RED_BLACK_MIN_DISPATCHED: '0' }, 'embedded')).toThrow(/KPI_RED_BLACK_MIN_DISPATCHED must be a whole number between 1 and 100000 \(got "0"\)/);
  });

  it('settings that contradict each other are refused', () => {
    expect(() => readKpiSettings({ WARNING_SATISFACTION_LAST_RATINGS: '50', WARNING_SATISFACTION_MIN_MONTH_RATINGS: '40' }, 'embedded')).toThrow(/must be greater than WARNING_SATISFACTION_LAST_RATINGS/);
    expect(() => readKpiSettings({ DASHBOARD_HORIZON_DAYS: '7' }, 'embedded')).toThrow(/DASHBOARD_HORIZON_DAYS \(7\) must be greater than WARNING_SURGE_BASELINE_DAYS \(7\)/);
  });
});
