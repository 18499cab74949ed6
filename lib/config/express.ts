import type { CommonConfig } from './common';
import { FARGATE_SIZES } from './ecs';
import { checkSize, integer, oneOf, type Reader } from './reader';

/** What an ECS Express Mode service scales on: task CPU or memory (percent), or ALB requests per task. */
export const EXPRESS_SCALING_METRICS = ['AVERAGE_CPU', 'AVERAGE_MEMORY', 'REQUEST_COUNT_PER_TARGET'] as const;
export type ExpressScalingMetric = (typeof EXPRESS_SCALING_METRICS)[number];

export interface ExpressConfig {
  /** Fargate task size: CPU units and memory. */
  readonly taskCpu: number;
  readonly taskMemoryMiB: number;
  readonly taskMinCount: number;
  readonly taskMaxCount: number;
  readonly scalingMetric: ExpressScalingMetric;
  /** Target tracking value: percent for CPU and memory, requests per task per minute for requests. */
  readonly scalingTarget: number;
}

export function readExpress(r: Reader, { stage }: CommonConfig): ExpressConfig {
  const production = stage === 'production';
  const taskCpu = r.read('expressTaskCpu', production ? 512 : 256, integer(256, 4096));
  const taskMemoryMiB = r.read('expressTaskMemoryMiB', production ? 1024 : 512, integer(512, 30720));
  checkSize(
    r,
    FARGATE_SIZES,
    'Fargate',
    ['expressTaskCpu', taskCpu],
    ['expressTaskMemoryMiB', taskMemoryMiB],
  );
  const taskMinCount = r.read('expressTaskMinCount', production ? 2 : 1, integer(1, 100));
  const taskMaxCount = r.read('expressTaskMaxCount', production ? 10 : 2, integer(1, 100));
  r.ordered(['expressTaskMinCount', taskMinCount], ['expressTaskMaxCount', taskMaxCount]);
  const scalingMetric = r.read('expressScalingMetric', 'AVERAGE_CPU', oneOf(EXPRESS_SCALING_METRICS));
  const scalingTarget = r.read('expressScalingTarget', 60, integer(1, 1_000_000));
  if (scalingMetric !== 'REQUEST_COUNT_PER_TARGET' && scalingTarget > 100) {
    r.fail('expressScalingTarget', `got ${scalingTarget}; ${scalingMetric} is a percentage: use 1 to 100`);
  }
  return { taskCpu, taskMemoryMiB, taskMinCount, taskMaxCount, scalingMetric, scalingTarget };
}
