import type { Scenario } from '../scenario.js';
import { authScenarios } from './auth.js';
import { contextScenarios } from './context.js';
import { nextActionScenarios } from './next-actions.js';

/** Every scenario `npm run bench` measures, in report order. */
export const scenarios: Scenario[] = [...authScenarios, ...contextScenarios, ...nextActionScenarios];
