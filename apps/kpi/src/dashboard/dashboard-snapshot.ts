import { CATEGORIES, CATEGORY_LABELS, liaoningDivisions } from '#shared';
import type { Category } from '#shared';
import type { WarningView } from '../warnings/warning-view.js';
import { covers, scopeLabel } from './dashboard-scope.js';
import type { DashboardScope } from './dashboard-scope.js';
import { cityName, districtName, isOverdue, shanghaiDay, shanghaiHour } from './live-board.js';
import type { LiveBoard, LiveCase, LiveIncident } from './live-board.js';
import { addWords, topWords } from './words/complaint-words.js';
import type { WordCounts } from './words/complaint-words.js';

/** What the live page shows for one scope (the body of a stream message, without its version). */
export interface DashboardBody {
  day: string;
  scope: { key: string; kind: DashboardScope['kind']; label: string };
  intake: {
    total: number;
    complaints: number;
    consultations: number;
    byCategory: Array<{ category: Category; label: string; count: number }>;
    byHour: number[];
  };
  cases: { open: number; overdue: number; awaitingDispatch: number };
  tiles: { kind: 'city' | 'district'; items: Tile[] };
  hotCommunities: Array<{ name: string; district: string; households: number; cases: number }>;
  hotStations: Array<{ stationId: string; name: string; cases: number }>;
  words: Array<{ word: string; count: number }>;
  monthToDate: MonthToDate | null;
  incidents: LiveIncident[];
  warnings: { active: number; items: WarningView[] };
  recent: Array<{ caseNumber: string; receivedAt: string; city: string; district: string; community: string; category: string; type: string; excerpt: string }>;
}

export interface Tile {
  code: string;
  name: string;
  today: number;
  open: number;
  overdue: number;
  warnings: number;
  /** 0 (nothing today) … 4 (the busiest tile): today's intake relative to the busiest tile. */
  level: number;
}

/** Month-to-date indicators of the scope's unit (the province: all cities together). */
export interface MonthToDate {
  month: string;
  unit: string;
  dispatched: number;
  indicators: Record<'feedbackRate' | 'handlingDays' | 'onTimeDispatchRate' | 'completionRate' | 'satisfactionRate', number | null>;
}

export const LIST_SIZES = { hot: 10, words: 40, recent: 15, warnings: 50 };

const TYPE_LABELS: Record<string, string> = { complaint: '投诉', report: '举报', consultation: '咨询' };

/** A warning stays on the page until acknowledged, and for a day after it was raised. */
const WARNING_SHOWN_MS = 24 * 3600 * 1000;

/** The page's picture of one scope, now. Pure: the board, the scope, the time and the month-to-date figures in. */
export function buildDashboardBody(board: LiveBoard, scope: DashboardScope, key: string, now: number, monthToDate: MonthToDate | null): DashboardBody {
  const day = shanghaiDay(now);
  const all = scope.kind === 'province';
  const today: LiveCase[] = [];
  for (const c of board.byDay.get(day) ?? []) if (all || covers(scope, c)) today.push(c);
  const open: LiveCase[] = [];
  let overdue = 0;
  let awaitingDispatch = 0;
  for (const c of board.open) {
    if (!all && !covers(scope, c)) continue;
    open.push(c);
    if (isOverdue(c)) overdue++;
    if (c.dispatchedAt === undefined) awaitingDispatch++;
  }

  const byCategory = new Map<Category, number>();
  const byHour = new Array<number>(24).fill(0);
  const communities = new Map<string, { name: string; district: string; households: Set<string>; cases: number }>();
  const stations = new Map<string, { name: string; cases: number }>();
  const words: WordCounts = new Map();
  let consultations = 0;
  const recent = new NewestCases(LIST_SIZES.recent);
  for (const c of today) {
    if (c.category) byCategory.set(c.category, (byCategory.get(c.category) ?? 0) + 1);
    byHour[c.hour ?? shanghaiHour(c.receivedAt!)]++;
    if (c.kind === 'consultation' || c.type === 'consultation') {
      consultations++;
      continue;
    }
    recent.offer(c);
    addWords(words, c.words);
    if (c.communityKey) {
      let m = communities.get(c.communityKey);
      if (!m) communities.set(c.communityKey, (m = { name: c.communityName!, district: c.placeName ?? '', households: new Set(), cases: 0 }));
      m.cases++;
      m.households.add(c.household!);
    }
    if (c.stationId) {
      const s = stations.get(c.stationId) ?? { name: c.stationName ?? c.stationId, cases: 0 };
      s.cases++;
      stations.set(c.stationId, s);
    }
  }

  const warnings = [...board.warnings.values()]
    .filter((w) => covers(scope, w) && (w.acknowledgedAt === null || now - Date.parse(w.raisedAt) < WARNING_SHOWN_MS))
    .sort((a, b) => Number(a.acknowledgedAt !== null) - Number(b.acknowledgedAt !== null) || codeOrder(b.raisedAt, a.raisedAt) || codeOrder(a.id, b.id));

  return {
    day,
    scope: { key, kind: scope.kind, label: scopeLabel(scope) },
    intake: {
      total: today.length,
      complaints: today.length - consultations,
      consultations,
      byCategory: CATEGORIES.map((category) => ({ category, label: CATEGORY_LABELS[category], count: byCategory.get(category) ?? 0 })),
      byHour,
    },
    cases: { open: open.length, overdue, awaitingDispatch },
    tiles: tilesOf(scope, today, open, warnings),
    hotCommunities: topK(
      [...communities.values()].map((m) => ({ name: m.name, district: m.district, households: m.households.size, cases: m.cases })),
      LIST_SIZES.hot,
      (a, b) => b.households - a.households || b.cases - a.cases || codeOrder(a.name, b.name),
    ),
    hotStations: topK(
      [...stations.entries()].map(([stationId, s]) => ({ stationId, name: s.name, cases: s.cases })),
      LIST_SIZES.hot,
      (a, b) => b.cases - a.cases || codeOrder(a.stationId, b.stationId),
    ),
    words: topWords(words, LIST_SIZES.words),
    monthToDate,
    incidents: [...board.incidents.values()]
      .filter((i) => (i.status === 'proposed' || i.status === 'open') && covers(scope, i))
      .sort((a, b) => codeOrder(b.updatedAt, a.updatedAt)),
    warnings: { active: warnings.filter((w) => w.acknowledgedAt === null).length, items: warnings.slice(0, LIST_SIZES.warnings) },
    recent: recent.cases.map((c) => ({
        caseNumber: c.caseNumber,
        receivedAt: new Date(c.receivedAt!).toISOString(),
        city: cityName(c.cityCode),
        district: districtName(c.districtCode),
        community: c.communityName ?? '',
        category: c.category ? CATEGORY_LABELS[c.category] : '',
        type: TYPE_LABELS[c.type ?? 'complaint'] ?? '',
        excerpt: c.excerpt ?? '',
      })),
  };
}

/** Plain code-unit order: stable and fast (a collator is neither needed nor cheap for thousands of names). */
const codeOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The first `k` items in `order`, without sorting them all (a day can hold thousands of communities). */
function topK<T>(items: T[], k: number, order: (a: T, b: T) => number): T[] {
  const best: T[] = [];
  for (const item of items) {
    if (best.length === k && order(item, best[k - 1]) >= 0) continue;
    let i = best.length;
    while (i > 0 && order(item, best[i - 1]) < 0) i--;
    best.splice(i, 0, item);
    if (best.length > k) best.pop();
  }
  return best;
}

/** The newest complaints, kept while scanning (no sort of the whole day). */
class NewestCases {
  readonly cases: LiveCase[] = [];
  constructor(private readonly size: number) {}

  offer(c: LiveCase): void {
    const list = this.cases;
    if (list.length === this.size && !newer(c, list[list.length - 1])) return;
    let i = list.length;
    while (i > 0 && newer(c, list[i - 1])) i--;
    list.splice(i, 0, c);
    if (list.length > this.size) list.pop();
  }
}

const newer = (a: LiveCase, b: LiveCase): boolean => a.receivedAt! > b.receivedAt! || (a.receivedAt === b.receivedAt && a.caseNumber > b.caseNumber);

let divisions: ReturnType<typeof liaoningDivisions> | undefined;

/** The province: Liaoning's 14 cities; a city: its districts; a county: itself; an authority without a region: the cities of its cases. */
function tilesOf(scope: DashboardScope, today: LiveCase[], open: LiveCase[], warnings: WarningView[]): DashboardBody['tiles'] {
  const cities = (divisions ??= liaoningDivisions());
  let kind: 'city' | 'district' = 'city';
  let places: Array<{ code: string; name: string }>;
  if (scope.kind === 'province') places = cities.map((c) => ({ code: c.code, name: c.name }));
  else if (scope.kind === 'city') {
    kind = 'district';
    places = cities.find((c) => c.code === scope.cityCode)?.districts ?? [];
  } else if (scope.kind === 'county') {
    kind = 'district';
    places = [{ code: scope.districtCode, name: districtName(scope.districtCode) }];
  } else {
    const codes = new Set([...today, ...open].map((c) => c.cityCode).filter((c): c is string => Boolean(c)));
    places = cities.filter((c) => codes.has(c.code)).map((c) => ({ code: c.code, name: c.name }));
  }
  const codeOf = (p: { cityCode?: string | null; districtCode?: string | null }) => (kind === 'city' ? p.cityCode : p.districtCode);
  const items = new Map<string, Tile>(places.map((p) => [p.code, { code: p.code, name: p.name, today: 0, open: 0, overdue: 0, warnings: 0, level: 0 }]));
  for (const c of today) {
    const t = items.get(codeOf(c) ?? '');
    if (t) t.today++;
  }
  for (const c of open) {
    const t = items.get(codeOf(c) ?? '');
    if (!t) continue;
    t.open++;
    if (isOverdue(c)) t.overdue++;
  }
  for (const w of warnings) {
    const t = w.acknowledgedAt === null ? items.get(codeOf(w) ?? '') : undefined;
    if (t) t.warnings++;
  }
  const max = Math.max(0, ...[...items.values()].map((t) => t.today));
  for (const t of items.values()) t.level = t.today === 0 ? 0 : Math.ceil((4 * t.today) / max);
  return { kind, items: [...items.values()] };
}
