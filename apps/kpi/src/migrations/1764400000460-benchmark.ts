import type { MigrationInterface, QueryRunner } from 'typeorm';

const DIMENSIONS = ['basic_requirements', 'heating_quality', 'service_quality', 'facilities', 'safety', 'energy_efficiency', 'smart_heating', 'user_evaluation'];
const ENTERED = DIMENSIONS.filter((d) => d !== 'user_evaluation');
const list = (xs: string[]) => xs.map((x) => `'${x}'`).join(', ');

/**
 * 标杆企业 (benchmark enterprise) rating: the weights of the eight dimensions per heating season
 * (set by the province, sum 100, checked by the service), and assessors' scores per company,
 * season and dimension with their evidence. Scores are appended, never changed: the latest (highest seq)
 * counts, earlier ones stay as the history.
 */
export class Benchmark1764400000460 implements MigrationInterface {
  name = 'Benchmark1764400000460';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE benchmark_weight (
      season text NOT NULL CHECK (season ~ '^[0-9]{4}-[0-9]{4}$'),
      dimension text NOT NULL CHECK (dimension IN (${list(DIMENSIONS)})),
      weight int NOT NULL CHECK (weight BETWEEN 0 AND 100),
      updated_at timestamptz NOT NULL,
      updated_by text NOT NULL,
      PRIMARY KEY (season, dimension)
    )`);
    await q.query(`CREATE TABLE benchmark_assessment (
      id uuid PRIMARY KEY,
      seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
      season text NOT NULL CHECK (season ~ '^[0-9]{4}-[0-9]{4}$'),
      company_id text NOT NULL,
      dimension text NOT NULL CHECK (dimension IN (${list(ENTERED)})),
      score numeric(4, 1) NOT NULL CHECK (score BETWEEN 0 AND 100),
      evidence text NOT NULL CHECK (length(btrim(evidence)) > 0),
      assessed_by text NOT NULL,
      assessed_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX benchmark_assessment_latest ON benchmark_assessment (season, company_id, dimension, seq DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE benchmark_assessment`);
    await q.query(`DROP TABLE benchmark_weight`);
  }
}
