import { Body, Controller, Get, Logger, Param, Post, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { HtmlRefusalFilter, isDatabaseUnavailable, Public, RateLimit } from '#shared';
import {
  alreadyRatedPage,
  closedPage,
  notFoundPage,
  PAGE_HEADERS,
  ratingForm,
  thanksPage,
  unavailablePage,
} from './rating-pages.js';
import { WebRatingService } from './web-rating.service.js';
import type { WebRatingView } from './web-rating.service.js';

/**
 * The resident's one-time rating page, linked from the survey SMS: `GET /r/{token}` shows the case
 * number and three buttons, `POST /r/{token}` (form: rating, comment) rates once. Public (the token
 * is the credential); answers are HTML pages in Chinese, never JSON and never a 500 for a bad link:
 * unknown 404, used / rated / expired 410. docs/surveys.md.
 */
@ApiExcludeController()
@Public()
@RateLimit({ policy: 'publicIp', by: 'ip', answer: 'html' })
@UseFilters(HtmlRefusalFilter)
@Controller('r')
export class WebRatingController {
  private readonly logger = new Logger('WebRating');

  constructor(private readonly ratings: WebRatingService) {}

  @Get(':token')
  async show(@Param('token') token: string, @Res() res: Response): Promise<void> {
    await this.respond(res, () => this.ratings.view(token));
  }

  @Post(':token')
  async submit(@Param('token') token: string, @Body() body: unknown, @Res() res: Response): Promise<void> {
    await this.respond(res, () => this.ratings.submit(token, body));
  }

  private async respond(res: Response, work: () => Promise<WebRatingView>): Promise<void> {
    let status: number;
    let html: string;
    try {
      [status, html] = render(await work());
    } catch (error) {
      if (!isDatabaseUnavailable(error)) this.logger.error({ err: error }, 'web rating failed');
      [status, html] = [503, unavailablePage()];
    }
    res.status(status).set(PAGE_HEADERS).send(html);
  }
}

function render(view: WebRatingView): [number, string] {
  switch (view.kind) {
    case 'form':
      return [200, ratingForm(view.caseNumber, undefined, '', view.round)];
    case 'invalid':
      return [400, ratingForm(view.caseNumber, view.error, view.comment, view.round)];
    case 'thanks':
      return [200, thanksPage(view.caseNumber, view.rating)];
    case 'already_rated':
      return [410, alreadyRatedPage(view.caseNumber, view.rating)];
    case 'closed':
      return [410, closedPage(view.caseNumber)];
    case 'not_found':
      return [404, notFoundPage()];
  }
}
