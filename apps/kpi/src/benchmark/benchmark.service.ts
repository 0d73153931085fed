import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppError, CLOCK } from '#shared';
import type { Clock } from '#shared';
import { BULLETIN_DATA_SOURCE, ZERO_COUNTS } from '../bulletins/bulletin-data-source.js';
import type { BulletinDataSource } from '../bulletins/bulletin-data-source.js';
import {
  DEFAULT_WEIGHTS,
  DIMENSION_KEYS,
  DIMENSION_LABELS,
  DIMENSIONS,
  ENTERED_DIMENSIONS,
  rankCompanies,
  rateCompany,
  TOTAL_RULE,
  USER_EVALUATION_RULE,
} from './benchmark-scoring.js';
import type { CompanyRating, DimensionKey, DimensionScore, Season, Weights } from './benchmark-scoring.js';

export interface WeightsView {
  season: string;
  source: 'configured' | 'default';
  updatedAt: string | null;
  updatedBy: string | null;
  weights: Array<{ dimension: DimensionKey; label: string; weight: number; source: 'assessor' | 'data' }>;
}

export interface AssessmentInput {
  dimension: DimensionKey;
  score: number;
  evidence: string;
}

export interface AssessmentRecord extends DimensionScore {
  id: string;
  dimension: DimensionKey;
  label: string;
}

export interface RankingView {
  season: string;
  months: string[];
  rules: string[];
  weights: WeightsView;
  ranked: number;
  companies: CompanyRating[];
}

export interface CompanyReport {
  season: string;
  months: string[];
  rules: string[];
  weights: WeightsView;
  rating: CompanyRating;
  /** Companies with a rank this season (the denominator of "rank n of m"). */
  rankedCompanies: number;
  /** Every score ever entered for this company and season, newest first. */
  history: AssessmentRecord[];
}

interface AssessmentRow {
  id: string;
  company_id: string;
  dimension: DimensionKey;
  score: string | number;
  evidence: string;
  assessed_by: string;
  assessed_at: Date | string;
}

function record(r: AssessmentRow): AssessmentRecord {
  return {
    id: r.id,
    dimension: r.dimension,
    label: DIMENSION_LABELS[r.dimension],
    score: Number(r.score),
    evidence: r.evidence,
    assessedBy: r.assessed_by,
    assessedAt: new Date(r.assessed_at).toISOString(),
  };
}

/** 标杆企业 rating: season weights, assessors' scores with evidence, 用户评议 from the figures, the ranking. */
@Injectable()
export class BenchmarkService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(BULLETIN_DATA_SOURCE) private readonly source: BulletinDataSource,
  ) {}

  async weights(season: Season): Promise<WeightsView> {
    const rows: Array<{ dimension: DimensionKey; weight: number; updated_at: Date | string; updated_by: string }> = await this.dataSource.query(
      'SELECT dimension, weight, updated_at, updated_by FROM benchmark_weight WHERE season = $1',
      [season.id],
    );
    const configured = rows.length === DIMENSION_KEYS.length;
    const weights: Weights = configured ? (Object.fromEntries(rows.map((r) => [r.dimension, Number(r.weight)])) as Weights) : DEFAULT_WEIGHTS;
    return {
      season: season.id,
      source: configured ? 'configured' : 'default',
      updatedAt: configured ? new Date(rows[0].updated_at).toISOString() : null,
      updatedBy: configured ? rows[0].updated_by : null,
      weights: DIMENSIONS.map((d) => ({ dimension: d.key, label: d.label, weight: weights[d.key], source: d.entered ? 'assessor' : 'data' })),
    };
  }

  async setWeights(season: Season, weights: Weights, by: string): Promise<WeightsView> {
    const now = this.clock.now();
    await this.dataSource.transaction(async (em) => {
      await em.query('DELETE FROM benchmark_weight WHERE season = $1', [season.id]);
      for (const key of DIMENSION_KEYS) {
        await em.query('INSERT INTO benchmark_weight (season, dimension, weight, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5)', [season.id, key, weights[key], now, by]);
      }
    });
    return this.weights(season);
  }

  async assess(season: Season, companyId: string, scores: AssessmentInput[], by: string): Promise<AssessmentRecord[]> {
    const seen = new Set<string>();
    scores.forEach((s, i) => {
      if (!(ENTERED_DIMENSIONS as string[]).includes(s.dimension)) {
        throw new AppError('VALIDATION_FAILED', `${DIMENSION_LABELS[s.dimension] ?? s.dimension} 由考核数据自动计算，不能录入`, 400, `scores.${i}.dimension`);
      }
      if (seen.has(s.dimension)) throw new AppError('VALIDATION_FAILED', `同一次录入中“${DIMENSION_LABELS[s.dimension]}”出现了两次`, 400, `scores.${i}.dimension`);
      seen.add(s.dimension);
    });
    const now = this.clock.now();
    const rows: AssessmentRow[] = await this.dataSource.transaction(async (em) => {
      const out: AssessmentRow[] = [];
      for (const s of scores) {
        const [row] = await em.query(
          `INSERT INTO benchmark_assessment (id, season, company_id, dimension, score, evidence, assessed_by, assessed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, company_id, dimension, score, evidence, assessed_by, assessed_at`,
          [randomUUID(), season.id, companyId, s.dimension, s.score, s.evidence.trim(), by, now],
        );
        out.push(row);
      }
      return out;
    });
    return rows.map(record);
  }

  /** The latest score of each (company, dimension) this season. */
  private async currentScores(season: Season): Promise<Map<string, Partial<Record<DimensionKey, DimensionScore>>>> {
    const rows: AssessmentRow[] = await this.dataSource.query(
      `SELECT DISTINCT ON (company_id, dimension) id, company_id, dimension, score, evidence, assessed_by, assessed_at
         FROM benchmark_assessment WHERE season = $1
        ORDER BY company_id, dimension, seq DESC`,
      [season.id],
    );
    const byCompany = new Map<string, Partial<Record<DimensionKey, DimensionScore>>>();
    for (const r of rows) {
      const entry = byCompany.get(r.company_id) ?? {};
      const { score, evidence, assessedBy, assessedAt } = record(r);
      entry[r.dimension] = { score, evidence, assessedBy, assessedAt };
      byCompany.set(r.company_id, entry);
    }
    return byCompany;
  }

  /** Every company assessed this season or with cases in its months, rated and ranked. */
  async ranking(season: Season): Promise<RankingView> {
    const [weights, scores, counts] = await Promise.all([this.weights(season), this.currentScores(season), this.source.countsFor(season.months, ['company'])]);
    const w = Object.fromEntries(weights.weights.map((x) => [x.dimension, x.weight])) as Weights;
    const countsOf = new Map(counts.map((r) => [r.unitId, r.counts]));
    const ids = [...new Set([...scores.keys(), ...countsOf.keys()])];
    const companies = rankCompanies(ids.map((id) => rateCompany(id, w, scores.get(id) ?? {}, countsOf.get(id) ?? ZERO_COUNTS)));
    return { season: season.id, months: season.months, rules: [TOTAL_RULE, USER_EVALUATION_RULE], weights, ranked: companies.filter((c) => c.rank !== null).length, companies };
  }

  async companyReport(season: Season, companyId: string): Promise<CompanyReport> {
    const ranking = await this.ranking(season);
    const rating = ranking.companies.find((c) => c.companyId === companyId);
    if (!rating) throw new AppError('COMPANY_NOT_RATED', `供热企业 ${companyId} 在 ${season.id} 供暖季既没有评分也没有工单`, 404);
    const history: AssessmentRow[] = await this.dataSource.query(
      `SELECT id, company_id, dimension, score, evidence, assessed_by, assessed_at FROM benchmark_assessment
        WHERE season = $1 AND company_id = $2 ORDER BY seq DESC`,
      [season.id, companyId],
    );
    return {
      season: season.id,
      months: season.months,
      rules: ranking.rules,
      weights: ranking.weights,
      rating,
      rankedCompanies: ranking.ranked,
      history: history.map(record),
    };
  }
}
