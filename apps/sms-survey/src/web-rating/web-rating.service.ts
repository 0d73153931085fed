import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CLOCK, RATINGS } from '#shared';
import type { Clock, Rating } from '#shared';
import { SurveyLifecycle } from '../surveys/survey-lifecycle.js';
import { Survey } from '../surveys/survey.entity.js';
import { COMMENT_MAX_WEB_CHARS } from './rating-pages.js';
import { SurveyLink } from './survey-link.entity.js';
import { SurveyLinks } from './survey-links.js';

/** What a rating link shows: the form, a result, or why it no longer works. */
export type WebRatingView =
  | { kind: 'form'; caseNumber: string; round: number }
  | { kind: 'invalid'; caseNumber: string; round: number; error: string; comment: string }
  | { kind: 'thanks'; caseNumber: string; rating: Rating }
  | { kind: 'already_rated'; caseNumber: string; rating: Rating | null }
  | { kind: 'closed'; caseNumber: string }
  | { kind: 'not_found' };

/**
 * The web side of a survey (`GET/POST /r/{token}`). Opening the link changes nothing (link
 * previewers fetch it); only the form's POST rates, once, exactly like an SMS reply: survey rated
 * (via 'web'), survey.rated published in the same transaction. After that, by either channel,
 * every link of the survey answers 410.
 */
@Injectable()
export class WebRatingService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly links: SurveyLinks,
    private readonly lifecycle: SurveyLifecycle,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async view(token: string): Promise<WebRatingView> {
    const em = this.dataSource.manager;
    const link = await this.links.find(em, token);
    if (!link) return { kind: 'not_found' };
    const survey = await em.findOneBy(Survey, { id: link.surveyId });
    if (!survey) return { kind: 'not_found' };
    return this.isOpen(survey) ? { kind: 'form', caseNumber: survey.caseNumber, round: survey.round } : this.ended(survey);
  }

  async submit(token: string, body: unknown): Promise<WebRatingView> {
    return this.dataSource.transaction(async (em) => {
      const link = await this.links.find(em, token);
      if (!link) return { kind: 'not_found' } as const;
      const survey = await em.findOne(Survey, { where: { id: link.surveyId }, lock: { mode: 'pessimistic_write' } });
      if (!survey) return { kind: 'not_found' } as const;
      if (!this.isOpen(survey)) {
        if (survey.status === 'awaiting_reply') await this.lifecycle.expire(em, survey.id);
        return this.ended(survey);
      }
      const input = readForm(body);
      if ('error' in input) return { kind: 'invalid', caseNumber: survey.caseNumber, round: survey.round, error: input.error, comment: input.comment };
      if (!(await this.lifecycle.rate(em, survey, input.rating, input.comment, 'web'))) {
        return this.ended((await em.findOneBy(Survey, { id: survey.id }))!);
      }
      await em.update(SurveyLink, { tokenHash: link.tokenHash }, { usedAt: this.clock.now() });
      return { kind: 'thanks', caseNumber: survey.caseNumber, rating: input.rating } as const;
    });
  }

  private isOpen(survey: Survey): boolean {
    return survey.status === 'awaiting_reply' && survey.expiresAt !== null && survey.expiresAt.getTime() > this.clock.now().getTime();
  }

  private ended(survey: Survey): WebRatingView {
    return survey.status === 'rated'
      ? { kind: 'already_rated', caseNumber: survey.caseNumber, rating: survey.rating }
      : { kind: 'closed', caseNumber: survey.caseNumber };
  }
}

/** The form: rating=satisfied|basically_satisfied|dissatisfied, comment optional, ≤ 200 characters. */
export function readForm(body: unknown): { rating: Rating; comment: string | null } | { error: string; comment: string } {
  const fields = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const rawComment = typeof fields.comment === 'string' ? fields.comment.replace(/\u0000/g, '').trim() : '';
  if (fields.comment !== undefined && typeof fields.comment !== 'string') return { error: '意见格式不正确，请重新填写', comment: '' };
  if (Array.from(rawComment).length > COMMENT_MAX_WEB_CHARS) {
    return { error: `意见最多 ${COMMENT_MAX_WEB_CHARS} 字，请删减后再提交`, comment: Array.from(rawComment).slice(0, COMMENT_MAX_WEB_CHARS).join('') };
  }
  const rating = fields.rating;
  if (typeof rating !== 'string' || !(RATINGS as readonly string[]).includes(rating)) {
    return { error: '请点击“满意”“基本满意”或“不满意”中的一项', comment: rawComment };
  }
  return { rating: rating as Rating, comment: rawComment || null };
}
