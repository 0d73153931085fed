import 'reflect-metadata';
import { runProductionService } from '#shared';
import { DISPATCH_DOCS, DispatchModule } from './dispatch.module.js';

await runProductionService('dispatch', (runtime) => DispatchModule.register(runtime), DISPATCH_DOCS);
