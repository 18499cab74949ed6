import type { CommonConfig, CpuArchitecture, Stage } from './common';
import {
  boolean,
  instanceType,
  integer,
  Invalid,
  INSTANCE_TYPE,
  isArmInstanceType,
  listWhere,
  matching,
  oneOf,
  type Parser,
  type Reader,
  type Sizes,
} from './reader';

export interface EcsConfig {
  readonly instanceType: string;
  readonly spot: boolean;
  readonly asgMinCapacity: number;
  readonly asgMaxCapacity: number;
  /** Capacity provider managed scaling: how full the cluster's instances may get, in percent. */
  readonly capacityTargetPercent: number;
  readonly taskCpu: number;
  readonly taskMemoryMiB: number;
  readonly taskMinCount: number;
  readonly taskMaxCount: number;
  readonly certificateArn?: string;
  readonly domainName?: string;
  readonly nlb: boolean;
  /** How a new task definition reaches production: lib/ecs/deployment-strategy.ts, docs/ecs.md "Deployments". */
  readonly deployment: EcsDeployment;
  // production controls: compute
  /**
   * Instance types the Auto Scaling group may launch when `instanceType` has no capacity (or, with
   * Spot, draws from as well): the same size and CPU architecture.
   */
  readonly extraInstanceTypes: readonly string[];
  /** ECS Exec on both services; undefined: the stage decides (StagePolicy.ecsExec). */
  readonly ecsExec?: boolean;
}

/** ECS's deployment strategies (the service's `deploymentConfiguration.strategy`), by their config names. */
export const ECS_DEPLOYMENT_STRATEGIES = ['rolling', 'blueGreen', 'canary', 'linear'] as const;
export type EcsDeploymentStrategy = (typeof ECS_DEPLOYMENT_STRATEGIES)[number];

/**
 * Rolling replaces tasks in place; the other three start a full green set in an alternate target
 * group and shift the listener's traffic to it: all at once, a canary share first, or in equal
 * steps. After the last shift, blue keeps running for the bake time, for an instant rollback.
 */
export type EcsDeployment =
  | { readonly strategy: 'rolling' }
  | { readonly strategy: 'blueGreen'; readonly bakeTimeMinutes: number }
  | {
      readonly strategy: 'canary';
      readonly bakeTimeMinutes: number;
      readonly canaryPercent: number;
      readonly intervalMinutes: number;
    }
  | {
      readonly strategy: 'linear';
      readonly bakeTimeMinutes: number;
      readonly stepPercent: number;
      readonly intervalMinutes: number;
    };

/** A percentage in tenths (ECS takes multiples of 0.1), from `min` to 100. */
const percentInTenths =
  (min: number): Parser<number> =>
  (raw) => {
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : NaN;
    return Number.isFinite(value) &&
      value >= min &&
      value <= 100 &&
      Number.isInteger(Math.round(value * 1e6) / 1e5)
      ? value
      : new Invalid(`allowed: a percentage from ${min} to 100 in steps of 0.1`);
  };
/** ECS's bake times and step intervals: 0 to 1440 minutes (24 hours). */
const minutes = integer(0, 1440);

/** The keys each strategy takes, with their parsers; a key set for another strategy is an error. */
const DEPLOYMENT_KEYS = {
  ecsBakeTimeMinutes: { parse: minutes, strategies: ['blueGreen', 'canary', 'linear'] },
  ecsCanaryPercent: { parse: percentInTenths(0.1), strategies: ['canary'] },
  ecsCanaryIntervalMinutes: { parse: minutes, strategies: ['canary'] },
  ecsLinearStepPercent: { parse: percentInTenths(3), strategies: ['linear'] },
  ecsLinearIntervalMinutes: { parse: minutes, strategies: ['linear'] },
} as const satisfies Record<string, { parse: Parser<number>; strategies: readonly EcsDeploymentStrategy[] }>;
type DeploymentKey = keyof typeof DEPLOYMENT_KEYS;

function readDeployment(r: Reader): EcsDeployment {
  const strategy = r.read('ecsDeploymentStrategy', 'rolling', oneOf(ECS_DEPLOYMENT_STRATEGIES));
  const given = {} as Record<DeploymentKey, number | undefined>;
  for (const [key, { parse, strategies }] of Object.entries(DEPLOYMENT_KEYS) as [
    DeploymentKey,
    (typeof DEPLOYMENT_KEYS)[DeploymentKey],
  ][]) {
    given[key] = r.optional(key, parse);
    if (given[key] !== undefined && !(strategies as readonly string[]).includes(strategy)) {
      r.fail(
        key,
        `got ${given[key]}, but ecsDeploymentStrategy=${strategy} does not use it; it applies to ${strategies.join(', ')}`,
      );
    }
  }
  // Defaults: a few minutes each, so a sandbox deploy stays short and a bad revision still shows
  // in the alarms before it takes all traffic.
  const bakeTimeMinutes = given.ecsBakeTimeMinutes ?? 5;
  switch (strategy) {
    case 'rolling':
      return { strategy };
    case 'blueGreen':
      return { strategy, bakeTimeMinutes };
    case 'canary':
      return {
        strategy,
        bakeTimeMinutes,
        canaryPercent: given.ecsCanaryPercent ?? 10,
        intervalMinutes: given.ecsCanaryIntervalMinutes ?? 5,
      };
    case 'linear':
      return {
        strategy,
        bakeTimeMinutes,
        stepPercent: given.ecsLinearStepPercent ?? 25,
        intervalMinutes: given.ecsLinearIntervalMinutes ?? 2,
      };
  }
}

/**
 * The container instances' default types, and the sibling the group falls back to, at least as large.
 * Production's are Nitro types that encrypt the traffic between instances, which Control Tower requires
 * of every type a mixed instances policy names (CT.AUTOSCALING.PR.11); the sandbox's burstable pair
 * (t3a: AMD, the same 2 vCPU and 2 GiB; no other Graviton type matches t4g.small) costs less than half.
 */
const DEFAULT_INSTANCE_TYPES: Record<Stage, Record<CpuArchitecture, readonly [string, string]>> = {
  sandbox: { x86_64: ['t3.small', 't3a.small'], arm64: ['t4g.small', 'c7g.medium'] },
  production: { x86_64: ['c7a.medium', 'm7a.medium'], arm64: ['c7g.medium', 'm7g.medium'] },
};

/** Fargate's valid CPU units -> memory (MiB) pairs, up to 4 vCPU. */
export const FARGATE_SIZES: Sizes = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
};

function range(from: number, to: number, step: number): number[] {
  return Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
}

export function readEcs(r: Reader, { stage, cpuArchitecture, platforms, env }: CommonConfig): EcsConfig {
  const production = stage === 'production';
  const [defaultInstanceType, defaultSibling] = DEFAULT_INSTANCE_TYPES[stage][cpuArchitecture];
  const ecsInstanceType = r.read('ecsInstanceType', defaultInstanceType, instanceType);
  if (isArmInstanceType(ecsInstanceType) !== (cpuArchitecture === 'arm64')) {
    r.fail(
      'ecsInstanceType',
      `got "${ecsInstanceType}", which does not run ${cpuArchitecture} images (cpuArchitecture=${cpuArchitecture}); use e.g. ${defaultInstanceType}`,
    );
  }
  const asgMinCapacity = r.read('ecsAsgMinCapacity', production ? 2 : 1, integer(0, 100));
  const asgMaxCapacity = r.read('ecsAsgMaxCapacity', production ? 6 : 2, integer(1, 100));
  r.ordered(['ecsAsgMinCapacity', asgMinCapacity], ['ecsAsgMaxCapacity', asgMaxCapacity]);
  const taskCpu = r.read('ecsTaskCpu', 256, integer(256, 4096));
  const taskMemoryMiB = r.read('ecsTaskMemoryMiB', 512, integer(512, 30720));
  const allowedMemory = FARGATE_SIZES[taskCpu];
  if (!allowedMemory) {
    r.fail('ecsTaskCpu', `got ${taskCpu}; allowed Fargate sizes: ${Object.keys(FARGATE_SIZES).join(', ')}`);
  } else if (!allowedMemory.includes(taskMemoryMiB)) {
    r.fail(
      'ecsTaskMemoryMiB',
      `got ${taskMemoryMiB}; with ecsTaskCpu=${taskCpu} Fargate allows ${allowedMemory[0]} to ${allowedMemory[allowedMemory.length - 1]} MiB in steps it lists as ${allowedMemory.join(', ')}`,
    );
  }
  const taskMinCount = r.read('ecsTaskMinCount', production ? 2 : 1, integer(1, 100));
  const taskMaxCount = r.read('ecsTaskMaxCount', production ? 10 : 3, integer(1, 100));
  r.ordered(['ecsTaskMinCount', taskMinCount], ['ecsTaskMaxCount', taskMaxCount]);
  const certificateArn = r.optional(
    'certificateArn',
    matching(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/, 'an ACM certificate ARN'),
  );
  const domainName = r.optional(
    'domainName',
    matching(
      /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
      'a DNS name such as app.example.com',
    ),
  );
  if (production && platforms.has('ecs')) {
    // production serves the app over HTTPS only (its HTTP listener just redirects), so it needs both
    const required = [
      [
        'certificateArn',
        certificateArn,
        "the ARN of an ACM certificate for domainName, in the stack's region",
      ],
      ['domainName', domainName, 'the DNS name the certificate covers, e.g. app.example.com'],
    ] as const;
    for (const [key, value, what] of required) {
      // set but invalid: the reader has said so already
      if (value !== undefined || r.problems.some((problem) => problem.startsWith(`${key}:`))) continue;
      r.fail(
        key,
        `stage=production with platform "ecs" serves HTTPS only: set ${key} to ${what} (with -c ${key}=... or in cdk.json), or leave "ecs" out of platforms`,
      );
    }
  } else if ((certificateArn === undefined) !== (domainName === undefined)) {
    r.fail(
      certificateArn ? 'domainName' : 'certificateArn',
      'HTTPS needs both certificateArn and domainName',
    );
  }
  // arn:aws:acm:<region>:<account>:certificate/<id>
  const certificateRegion = certificateArn?.split(':')[3];
  if (certificateRegion && env && certificateRegion !== env.region) {
    r.fail(
      'certificateArn',
      `got a certificate in ${certificateRegion}; an ALB uses ACM certificates of its own region (region=${env.region}): request or import one there`,
    );
  }
  // production controls: compute. The default type's sibling; another ecsInstanceType names its own.
  const extraInstanceTypes = r.read(
    'ecsExtraInstanceTypes',
    ecsInstanceType === defaultInstanceType ? [defaultSibling] : [],
    listWhere((item) => INSTANCE_TYPE.test(item), 'EC2 instance types such as t3a.small'),
  );
  const wrongExtra = extraInstanceTypes.filter(
    (type) => type === ecsInstanceType || isArmInstanceType(type) !== (cpuArchitecture === 'arm64'),
  );
  if (wrongExtra.length > 0) {
    r.fail(
      'ecsExtraInstanceTypes',
      `got ${wrongExtra.join(', ')}; allowed: types other than ecsInstanceType (${ecsInstanceType}) that run ${cpuArchitecture} images (cpuArchitecture=${cpuArchitecture})`,
    );
  }
  return {
    instanceType: ecsInstanceType,
    spot: r.read('ecsSpot', false, boolean),
    asgMinCapacity,
    asgMaxCapacity,
    capacityTargetPercent: r.read('ecsCapacityTargetPercent', 100, integer(1, 100)),
    taskCpu,
    taskMemoryMiB,
    taskMinCount,
    taskMaxCount,
    certificateArn,
    domainName,
    nlb: r.read('ecsNlb', false, boolean),
    deployment: readDeployment(r),
    extraInstanceTypes,
    ecsExec: r.optional('ecsExec', boolean),
  };
}
