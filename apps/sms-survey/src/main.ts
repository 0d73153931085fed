import 'reflect-metadata';
import { runProductionService } from '#shared';
import { SMS_SURVEY_DOCS, SmsSurveyModule } from './sms-survey.module.js';

await runProductionService('sms-survey', (runtime) => SmsSurveyModule.register(runtime), SMS_SURVEY_DOCS);
