import { loadConfig } from '../lib/config';
import { problems } from './support/config';

describe('App Runner and ECS Express Mode defaults', () => {
  test('sandbox: the smallest instance and task, one kept warm, scaling to two', () => {
    const config = loadConfig({});
    expect(config.appRunner).toEqual({
      cpu: 256,
      memoryMiB: 512,
      minInstances: 1,
      maxInstances: 2,
      maxConcurrency: 100,
    });
    expect(config.express).toEqual({
      taskCpu: 256,
      taskMemoryMiB: 512,
      taskMinCount: 1,
      taskMaxCount: 2,
      scalingMetric: 'AVERAGE_CPU',
      scalingTarget: 60,
    });
  });

  test('production: two instances or tasks at least, room to scale to ten', () => {
    const config = loadConfig({ stage: 'production', platforms: 'apprunner,express' });
    expect(config.appRunner).toEqual({
      cpu: 1024,
      memoryMiB: 2048,
      minInstances: 2,
      maxInstances: 10,
      maxConcurrency: 100,
    });
    expect(config.express).toMatchObject({
      taskCpu: 512,
      taskMemoryMiB: 1024,
      taskMinCount: 2,
      taskMaxCount: 10,
    });
  });

  test('-c values arrive as strings and are parsed like JSON ones', () => {
    const config = loadConfig({
      appRunnerCpu: '2048',
      appRunnerMemoryMiB: '6144',
      appRunnerMaxConcurrency: '50',
      expressScalingMetric: 'REQUEST_COUNT_PER_TARGET',
      expressScalingTarget: '1000',
    });
    expect(config.appRunner).toMatchObject({ cpu: 2048, memoryMiB: 6144, maxConcurrency: 50 });
    expect(config.express).toMatchObject({ scalingMetric: 'REQUEST_COUNT_PER_TARGET', scalingTarget: 1000 });
  });

  test('arm64 is fine while neither platform is built', () => {
    expect(problems({ cpuArchitecture: 'arm64', platforms: 'ecs' })).toEqual([]);
  });
});

describe('each bad value is reported with its key, the value and what is allowed', () => {
  test.each([
    [{ appRunnerCpu: 8192 }, 'appRunnerCpu: got 8192; allowed: a whole number from 256 to 4096'],
    [{ appRunnerCpu: 300 }, 'appRunnerCpu: got 300; App Runner allows 256, 512, 1024, 2048, 4096 CPU units'],
    [
      { appRunnerMemoryMiB: 3072 },
      'appRunnerMemoryMiB: got 3072; with appRunnerCpu=256 App Runner allows 512, 1024 MiB',
    ],
    [
      { appRunnerCpu: 512, appRunnerMemoryMiB: 2048 },
      'appRunnerMemoryMiB: got 2048; with appRunnerCpu=512 App Runner allows 1024 MiB',
    ],
    [{ appRunnerMinInstances: 0 }, 'appRunnerMinInstances: got 0; allowed: a whole number from 1 to 25'],
    [{ appRunnerMaxInstances: 26 }, 'appRunnerMaxInstances: got 26; allowed: a whole number from 1 to 25'],
    [
      { appRunnerMinInstances: 2, appRunnerMaxInstances: 2 },
      'appRunnerMinInstances: got 2, not below appRunnerMaxInstances (2)',
    ],
    [
      { appRunnerMaxConcurrency: 201 },
      'appRunnerMaxConcurrency: got 201; allowed: a whole number from 1 to 200',
    ],
    [{ expressTaskCpu: 384 }, 'expressTaskCpu: got 384; Fargate allows 256, 512, 1024, 2048, 4096 CPU units'],
    [
      { expressTaskCpu: 256, expressTaskMemoryMiB: 4096 },
      'expressTaskMemoryMiB: got 4096; with expressTaskCpu=256 Fargate allows 512, 1024, 2048 MiB',
    ],
    [{ expressTaskMinCount: 0 }, 'expressTaskMinCount: got 0; allowed: a whole number from 1 to 100'],
    [
      { expressTaskMinCount: 3, expressTaskMaxCount: 2 },
      'expressTaskMinCount: got 3, more than expressTaskMaxCount (2)',
    ],
    [
      { expressScalingMetric: 'CPUUtilization' },
      'expressScalingMetric: got "CPUUtilization"; allowed: AVERAGE_CPU, AVERAGE_MEMORY, REQUEST_COUNT_PER_TARGET',
    ],
    [{ expressScalingTarget: 0 }, 'expressScalingTarget: got 0; allowed: a whole number from 1 to 1000000'],
    [
      { expressScalingTarget: 150 },
      'expressScalingTarget: got 150; AVERAGE_CPU is a percentage: use 1 to 100',
    ],
    [
      { expressScalingMetric: 'AVERAGE_MEMORY', expressScalingTarget: 101 },
      'expressScalingTarget: got 101; AVERAGE_MEMORY is a percentage',
    ],
    [
      { cpuArchitecture: 'arm64', platforms: 'express' },
      'platforms: ECS Express Mode runs x86_64 images only',
    ],
    [{ cpuArchitecture: 'arm64', platforms: 'apprunner' }, 'platforms: App Runner runs x86_64 images only'],
    [{ appRunnerCPU: 256 }, 'appRunnerCPU: unknown key; did you mean "appRunnerCpu"?'],
  ])('%j', (context, expected) => {
    const found = problems(context);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(expected);
  });
});
