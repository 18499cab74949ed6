/** Step 3: the live checks of each stack, by the stack's name after the prefix (`coa-ecs` -> `ecs`). */
import { appRunnerChecks } from './apprunner';
import type { LiveContext } from './context';
import { ecsChecks } from './ecs';
import { ecsPatternsChecks } from './ecs-patterns';
import { eksChecks } from './eks';
import { expressChecks } from './express';
import { registryChecks } from './registry';

/** The network stack has none of its own: every platform's checks go through it. */
export const LIVE_CHECKS: Readonly<Record<string, (live: LiveContext) => Promise<void>>> = {
  registry: registryChecks,
  ecs: ecsChecks,
  'ecs-patterns': ecsPatternsChecks,
  eks: eksChecks,
  apprunner: appRunnerChecks,
  express: expressChecks,
};
