import 'reflect-metadata';
import { runProductionService } from '#shared';
import { INTAKE_DOCS, IntakeModule } from './intake.module.js';

await runProductionService('intake', (runtime) => IntakeModule.register(runtime), INTAKE_DOCS);
