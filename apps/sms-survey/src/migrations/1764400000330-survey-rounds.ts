import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Survey rounds (docs/surveys.md, "Rounds"): a case is surveyed once when it closes (round 1) and
 * again after each rectification of a 不满意 rating (survey.requested: round 2, 3 …). One survey per
 * (case, round) replaces one survey per case; `follows_survey_id` names the rated survey a later
 * round follows up, and a survey is followed up at most once.
 */
export class SurveyRounds1764400000330 implements MigrationInterface {
  name = 'SurveyRounds1764400000330';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE survey
      ADD COLUMN round smallint NOT NULL DEFAULT 1 CONSTRAINT survey_round_positive CHECK (round >= 1),
      ADD COLUMN follows_survey_id uuid CONSTRAINT survey_follows_once UNIQUE REFERENCES survey (id)`);
    // The UNIQUE of case_id in 1764400000300 (PostgreSQL named it survey_case_id_key).
    await q.query(`ALTER TABLE survey DROP CONSTRAINT survey_case_id_key`);
    await q.query(`ALTER TABLE survey ADD CONSTRAINT survey_case_round UNIQUE (case_id, round)`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Fails (nothing is deleted) while a case has more than one round: those surveys are real ratings.
    await q.query(`ALTER TABLE survey DROP CONSTRAINT survey_case_round`);
    await q.query(`ALTER TABLE survey ADD CONSTRAINT survey_case_id_key UNIQUE (case_id)`);
    await q.query(`ALTER TABLE survey DROP COLUMN follows_survey_id, DROP COLUMN round`);
  }
}
