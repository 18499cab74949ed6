import type { CommonConfig } from './common';
import { checkSize, integer, type Reader, type Sizes } from './reader';

export interface AppRunnerConfig {
  /** CPU units per instance (1024 = 1 vCPU). */
  readonly cpu: number;
  readonly memoryMiB: number;
  /** Provisioned instances, kept warm: billed for their memory while idle. */
  readonly minInstances: number;
  readonly maxInstances: number;
  /** Requests one instance serves at once before App Runner starts another. */
  readonly maxConcurrency: number;
}

/** App Runner's CPU units -> memory (MiB) pairs. */
export const APP_RUNNER_SIZES: Sizes = {
  256: [512, 1024],
  512: [1024],
  1024: [2048, 3072, 4096],
  2048: [4096, 6144],
  4096: [8192, 10240, 12288],
};

export function readAppRunner(r: Reader, { stage }: CommonConfig): AppRunnerConfig {
  const production = stage === 'production';
  const cpu = r.read('appRunnerCpu', production ? 1024 : 256, integer(256, 4096));
  const memoryMiB = r.read('appRunnerMemoryMiB', production ? 2048 : 512, integer(512, 12288));
  checkSize(r, APP_RUNNER_SIZES, 'App Runner', ['appRunnerCpu', cpu], ['appRunnerMemoryMiB', memoryMiB]);
  const minInstances = r.read('appRunnerMinInstances', production ? 2 : 1, integer(1, 25));
  const maxInstances = r.read('appRunnerMaxInstances', production ? 10 : 2, integer(1, 25));
  if (minInstances >= maxInstances) {
    r.fail(
      'appRunnerMinInstances',
      `got ${minInstances}, not below appRunnerMaxInstances (${maxInstances}); the CDK auto scaling configuration needs max above min`,
    );
  }
  return {
    cpu,
    memoryMiB,
    minInstances,
    maxInstances,
    maxConcurrency: r.read('appRunnerMaxConcurrency', 100, integer(1, 200)),
  };
}
