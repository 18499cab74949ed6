/** What `npm run verify -- <target>` can verify, and which platforms of lib/config.ts each one deploys. */
import type { Platform } from '../../lib/config';

/**
 * Each AWS target is the stack `<prefix>-<target>` (lib/app.ts names them so), with the platforms its
 * configuration needs: the ECS patterns run on the ECS stack's cluster, so they bring it along.
 */
export const AWS_TARGETS = {
  ecs: ['ecs'],
  'ecs-patterns': ['ecs', 'ecsPatterns'],
  eks: ['eks'],
  apprunner: ['apprunner'],
  express: ['express'],
} as const satisfies Record<string, readonly Platform[]>;

export type AwsTarget = keyof typeof AWS_TARGETS;

/** `all`: every AWS target, in this order; `local`: the app on this machine, no AWS. */
export const TARGET_NAMES: readonly string[] = [...Object.keys(AWS_TARGETS), 'all', 'local'];

export function isAwsTarget(name: string): name is AwsTarget {
  return Object.hasOwn(AWS_TARGETS, name);
}

/** The name lib/app.ts gives a target's stack. */
export function stackOf(prefix: string, target: AwsTarget): string {
  return `${prefix}-${target}`;
}
