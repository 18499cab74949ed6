import { ConfigError, isArmInstanceType, loadConfig } from '../lib/config';
import { CDK_JSON_CONTEXT } from './support/synth';
import { problems } from './support/config';
import { PRODUCTION_HTTPS } from './support/production';

describe('defaults', () => {
  test('cdk.json alone gives a valid sandbox with every platform a new account can deploy', () => {
    const config = loadConfig(CDK_JSON_CONTEXT);
    expect(config.stage).toBe('sandbox');
    expect([...config.platforms]).toEqual(['ecs', 'ecsPatterns', 'eks', 'express']);
    expect(config.env).toBeUndefined();
  });

  test('App Runner, closed to new customers, is built only when platforms names it', () => {
    expect(loadConfig({}).platforms.has('apprunner')).toBe(false);
    expect(loadConfig({ platforms: 'apprunner' }).platforms.has('apprunner')).toBe(true);
  });

  test('sandbox is cheap: one NAT instance, two AZs, small counts', () => {
    const config = loadConfig({});
    expect(config.network).toEqual({ azCount: 2, natProvider: 'instance' });
    expect(config.ecs).toMatchObject({ asgMinCapacity: 1, asgMaxCapacity: 2, taskMinCount: 1 });
  });

  test('production is sized for availability: NAT gateways, two tasks and instances at least', () => {
    const config = loadConfig({
      stage: 'production',
      account: '123456789012',
      region: 'eu-west-1',
      ...PRODUCTION_HTTPS,
    });
    expect(config.network.natProvider).toBe('gateway');
    expect(config.ecs).toMatchObject({ asgMinCapacity: 2, taskMinCount: 2 });
  });

  test('production names its account and region, and spans three AZs', () => {
    const config = loadConfig({
      stage: 'production',
      account: '123456789012',
      region: 'eu-west-1',
      ...PRODUCTION_HTTPS,
    });
    expect(config.network.azCount).toBe(3);
    expect(config.env).toEqual({ account: '123456789012', region: 'eu-west-1' });
  });

  test('-c values arrive as strings and are parsed like JSON ones', () => {
    const config = loadConfig({ ecsSpot: 'true', ecsAsgMaxCapacity: '4', platforms: 'ecs,eks' });
    expect(config.ecs.spot).toBe(true);
    expect(config.ecs.asgMaxCapacity).toBe(4);
    expect([...config.platforms]).toEqual(['ecs', 'eks']);
  });

  test('platforms=none builds only the network and the registry', () => {
    expect(loadConfig({ platforms: 'none' }).platforms.size).toBe(0);
  });

  test("feature flags and the CLI's own keys are not mistaken for typos", () => {
    expect(
      problems({ '@aws-cdk/core:newStyleStackSynthesis': true, 'aws:cdk:enable-path-metadata': true }),
    ).toEqual([]);
  });
});

describe('each bad value is reported with its key, the value and what is allowed', () => {
  test.each([
    [{ stage: 'prod' }, 'stage: got "prod"; allowed: sandbox, production'],
    [{ prefix: 'Coa' }, 'prefix: got "Coa"; allowed: 3 to 16 lowercase letters'],
    [{ account: '1234' }, 'account: got "1234"; allowed: a 12-digit AWS account ID'],
    [{ region: 'europe' }, 'region: got "europe"; allowed: an AWS region'],
    [{ account: '123456789012' }, 'region: account and region go together'],
    [{ azCount: 4 }, 'azCount: got 4; allowed: a whole number from 2 to 3'],
    [{ azCount: '3' }, 'azCount: got 3; an environment-agnostic stack sees only 2 availability zones'],
    [{ azCount: 'two' }, 'azCount: got "two"; allowed: a whole number'],
    [{ cpuArchitecture: 'amd64' }, 'cpuArchitecture: got "amd64"; allowed: x86_64, arm64'],
    [
      { platforms: 'ecs,lambda' },
      'platforms: got "ecs,lambda"; allowed: a comma-separated list of ecs, ecsPatterns, eks',
    ],
    [{ platforms: 'ecs,ecs' }, 'platforms: got "ecs,ecs"; allowed: a comma-separated list'],
    [{ natProvider: 'none' }, 'natProvider: got "none"; allowed: instance, gateway'],
    [{ keepTaggedImages: 0 }, 'keepTaggedImages: got 0; allowed: a whole number from 1 to 1000'],
    [{ ecsInstanceType: 'small' }, 'ecsInstanceType: got "small"; allowed: an EC2 instance type'],
    [{ ecsInstanceType: 't4g.small' }, 'ecsInstanceType: got "t4g.small", which does not run x86_64 images'],
    [
      { cpuArchitecture: 'arm64', platforms: 'ecs', ecsInstanceType: 't3.small' },
      'which does not run arm64 images',
    ],
    [{ ecsSpot: 'yes' }, 'ecsSpot: got "yes"; allowed: true or false'],
    [{ ecsAsgMinCapacity: -1 }, 'ecsAsgMinCapacity: got -1; allowed: a whole number from 0 to 100'],
    [
      { ecsAsgMinCapacity: 3, ecsAsgMaxCapacity: 2 },
      'ecsAsgMinCapacity: got 3, more than ecsAsgMaxCapacity (2)',
    ],
    [{ ecsTaskMinCount: 1.5 }, 'ecsTaskMinCount: got 1.5; allowed: a whole number'],
    [{ ecsTaskMinCount: 5, ecsTaskMaxCount: 4 }, 'ecsTaskMinCount: got 5, more than ecsTaskMaxCount (4)'],
    [
      { ecsCapacityTargetPercent: 120 },
      'ecsCapacityTargetPercent: got 120; allowed: a whole number from 1 to 100',
    ],
    [{ ecsTaskCpu: 300 }, 'ecsTaskCpu: got 300; allowed Fargate sizes: 256, 512, 1024, 2048, 4096'],
    [
      { ecsTaskCpu: 256, ecsTaskMemoryMiB: 4096 },
      'ecsTaskMemoryMiB: got 4096; with ecsTaskCpu=256 Fargate allows 512 to 2048',
    ],
    [{ certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/x' }, 'certificateArn: got'],
    [
      {
        certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012',
      },
      'domainName: HTTPS needs both certificateArn and domainName',
    ],
    [{ ecsNlb: 1 }, 'ecsNlb: got 1; allowed: true or false'],
    [{ alarmEmail: 'ops' }, 'alarmEmail: got "ops"; allowed: an e-mail address'],
    [{ cpuArchitecture: 'arm64', platforms: 'apprunner' }, 'platforms: App Runner runs x86_64 images only'],
    [{ stgae: 'production' }, 'stgae: unknown key; did you mean "stage"?'],
    [{ EcsSpot: true }, 'EcsSpot: unknown key; did you mean "ecsSpot"?'],
  ])('%j', (context, expected) => {
    const found = problems(context);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(expected);
  });

  test('every problem is reported at once, in one message', () => {
    const error = (() => {
      try {
        loadConfig({ stage: 'prod', azCount: 9, ecsSpot: 'maybe' });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error.problems).toHaveLength(3);
    expect(error.message).toMatch(
      /^Invalid configuration \(3 problems\):\n {2}- stage: .*\n {2}- azCount: .*\n {2}- ecsSpot: /,
    );
  });
});

test.each([
  ['t4g.small', true],
  ['m7g.large', true],
  ['c7gn.xlarge', true],
  ['r8gd.2xlarge', true],
  ['t3.small', false],
  ['g5.xlarge', false],
  ['g4dn.xlarge', false],
  ['m7i-flex.large', false],
])('%s runs arm64 images: %s', (instanceType, arm) => {
  expect(isArmInstanceType(instanceType)).toBe(arm);
});
