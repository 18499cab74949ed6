/** The keys every section builds on: the stage, the names, the environment, the image and the platforms. */

import { listOf, matching, oneOf, type Reader } from './reader';

export const STAGES = ['sandbox', 'production'] as const;
export type Stage = (typeof STAGES)[number];

export const PLATFORMS = ['ecs', 'ecsPatterns', 'eks', 'apprunner', 'express'] as const;
export type Platform = (typeof PLATFORMS)[number];
/**
 * What `platforms` builds when it is not set: every platform but App Runner, which is closed to new
 * customers (since 30 April 2026), so in a new account its stack would roll back and stop
 * `cdk deploy --all` before ECS Express Mode, its successor. Existing customers list it in `platforms`.
 */
export const DEFAULT_PLATFORMS: readonly Platform[] = PLATFORMS.filter((p) => p !== 'apprunner');

export const CPU_ARCHITECTURES = ['x86_64', 'arm64'] as const;
export type CpuArchitecture = (typeof CPU_ARCHITECTURES)[number];

export interface CommonConfig {
  readonly stage: Stage;
  /** Start of every stack name and of the few physical names we set. */
  readonly prefix: string;
  /** Set only when both are given: stacks are environment-agnostic otherwise. */
  readonly env?: { readonly account: string; readonly region: string };
  readonly cpuArchitecture: CpuArchitecture;
  readonly platforms: ReadonlySet<Platform>;
}

export function readCommon(r: Reader): CommonConfig {
  const stage = r.read('stage', 'sandbox', oneOf(STAGES));
  const prefix = r.read(
    'prefix',
    'coa',
    matching(
      /^[a-z][a-z0-9-]{1,14}[a-z0-9]$/,
      '3 to 16 lowercase letters, digits or hyphens, starting with a letter',
    ),
  );
  const account = r.optional('account', matching(/^\d{12}$/, 'a 12-digit AWS account ID'));
  const region = r.optional(
    'region',
    matching(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an AWS region such as eu-west-1'),
  );
  if ((account === undefined) !== (region === undefined)) {
    r.fail(account ? 'region' : 'account', 'account and region go together: set both, or neither');
  }
  return {
    stage,
    prefix,
    env: account && region ? { account, region } : undefined,
    cpuArchitecture: r.read('cpuArchitecture', 'x86_64', oneOf(CPU_ARCHITECTURES)),
    platforms: new Set(r.read('platforms', [...DEFAULT_PLATFORMS], listOf(PLATFORMS))),
  };
}
