import type { CommonConfig } from './common';
import {
  boolean,
  instanceType,
  integer,
  isArmInstanceType,
  matching,
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
  /** ECS Exec on both services; undefined: the stage decides (StagePolicy.ecsExec). */
  readonly ecsExec?: boolean;
}

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

export function readEcs(r: Reader, { stage, cpuArchitecture }: CommonConfig): EcsConfig {
  const production = stage === 'production';
  const defaultInstanceType = cpuArchitecture === 'arm64' ? 't4g.small' : 't3.small';
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
  if ((certificateArn === undefined) !== (domainName === undefined)) {
    r.fail(
      certificateArn ? 'domainName' : 'certificateArn',
      'HTTPS needs both certificateArn and domainName',
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
    ecsExec: r.optional('ecsExec', boolean),
  };
}
