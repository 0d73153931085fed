import type { WarningThresholds } from '../kpi-settings.js';
import { OverdueWaveRule } from './overdue-wave-rule.js';
import { SatisfactionDipRule } from './satisfaction-dip-rule.js';
import { SurgeRule } from './surge-rule.js';
import { MINUTE_MS, warningKey } from './warning-signals.js';
import type { HouseholdSignal, WarningCandidate, WarningSignal } from './warning-signals.js';

/**
 * The early-warning rules together: each signal goes to the rule that reads it, and a candidate is
 * answered unless the same rule warned about the same subject within the cooldown (a surge that
 * goes on is one warning, not one per complaint). Pure: "now" comes with each call.
 */
export class WarningDetector {
  private readonly surges: Record<HouseholdSignal['subjectType'], SurgeRule>;
  private readonly overdue: OverdueWaveRule;
  private readonly satisfaction: SatisfactionDipRule;
  private readonly lastRaised = new Map<string, number>();
  private readonly cooldownMs: number;

  constructor(thresholds: WarningThresholds, historyStart: () => number) {
    this.surges = {
      station: new SurgeRule('station', thresholds.surge, historyStart),
      community: new SurgeRule('community', thresholds.surge, historyStart),
      district: new SurgeRule('district', thresholds.surge, historyStart),
    };
    this.overdue = new OverdueWaveRule(thresholds.overdueWave);
    this.satisfaction = new SatisfactionDipRule(thresholds.satisfactionDip);
    this.cooldownMs = thresholds.cooldownMinutes * MINUTE_MS;
  }

  /**
   * Feeds one signal. With `emit` false (the start-up replay of stored events) the rules only
   * learn: nothing is answered, the past was watched when it happened.
   */
  observe(signal: WarningSignal, now: number, emit = true): WarningCandidate | null {
    const candidate =
      signal.kind === 'household'
        ? this.surges[signal.subjectType].observe(signal, now)
        : signal.kind === 'overdue'
          ? this.overdue.observe(signal, now)
          : this.satisfaction.observe(signal, now);
    if (!candidate || !emit) return null;
    const key = warningKey(candidate);
    const last = this.lastRaised.get(key);
    if (last !== undefined && now - last < this.cooldownMs) return null;
    this.lastRaised.set(key, now);
    return candidate;
  }

  /** A warning raised earlier (stored, or by another replica) starts the cooldown of its rule and subject. */
  remember(candidate: Pick<WarningCandidate, 'rule' | 'subjectType' | 'subjectId'>, raisedAt: number): void {
    const key = warningKey(candidate);
    if ((this.lastRaised.get(key) ?? -Infinity) < raisedAt) this.lastRaised.set(key, raisedAt);
  }

  /** Forgets a cooldown that was taken for a candidate the store then refused (so a later signal may try again). */
  forget(candidate: Pick<WarningCandidate, 'rule' | 'subjectType' | 'subjectId'>, raisedAt: number): void {
    const key = warningKey(candidate);
    if (this.lastRaised.get(key) === raisedAt) this.lastRaised.delete(key);
  }
}
