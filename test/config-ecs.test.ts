import { loadConfig } from '../lib/config';
import { problems } from './support/config';
import { PRODUCTION_HTTPS } from './support/production';

const ENV = { account: '123456789012', region: 'eu-west-1' };

describe('ECS configuration', () => {
  test('production ECS needs an environment: the ALB access-log bucket policy depends on the region', () => {
    expect(problems({ stage: 'production', platforms: 'ecs', ...PRODUCTION_HTTPS })).toEqual([
      expect.stringMatching(
        /^region: stage=production with platform "ecs" needs account and region .*set both, or leave "ecs" out of platforms$/,
      ),
    ]);
    expect(problems({ stage: 'production', platforms: 'ecs', ...ENV, ...PRODUCTION_HTTPS })).toEqual([]);
  });

  test('the rule concerns production ECS only', () => {
    expect(problems({ stage: 'sandbox', platforms: 'ecs' })).toEqual([]);
    expect(problems({ stage: 'production', platforms: 'none' })).toEqual([]);
  });

  test('the optional parts are off unless asked for', () => {
    const { ecs } = loadConfig({ platforms: 'ecs' });
    expect(ecs).toMatchObject({ spot: false, nlb: false, capacityTargetPercent: 100 });
    expect(ecs.certificateArn).toBeUndefined();
  });

  test.each(['certificateArn', 'domainName'] as const)(
    'production ECS serves HTTPS only: without %s it names the key, the stage and what to set',
    (key) => {
      const context = {
        stage: 'production',
        platforms: 'ecs',
        ...ENV,
        ...PRODUCTION_HTTPS,
        [key]: undefined,
      };
      expect(problems(context)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^${key}: stage=production with platform "ecs" serves HTTPS only: set ${key} to .+, or leave "ecs" out of platforms$`,
          ),
        ),
      ]);
    },
  );

  test('production with an invalid certificateArn: one problem, what is allowed', () => {
    const context = {
      stage: 'production',
      platforms: 'ecs',
      ...ENV,
      ...PRODUCTION_HTTPS,
      certificateArn: 'nope',
    };
    expect(problems(context)).toEqual(['certificateArn: got "nope"; allowed: an ACM certificate ARN']);
  });

  test('production without either key: one problem for each', () => {
    expect(problems({ stage: 'production', platforms: 'ecs', ...ENV }).map((p) => p.split(':')[0])).toEqual([
      'certificateArn',
      'domainName',
    ]);
  });

  test('sandbox keeps HTTP: no certificate needed, but one alone is refused', () => {
    expect(problems({ platforms: 'ecs' })).toEqual([]);
    expect(problems({ platforms: 'ecs', domainName: 'app.example.com' })).toEqual([
      'certificateArn: HTTPS needs both certificateArn and domainName',
    ]);
  });

  test('the certificate must be in the stack’s region, where the ALB is', () => {
    expect(
      problems({ stage: 'production', platforms: 'ecs', ...PRODUCTION_HTTPS, ...ENV, region: 'us-east-1' }),
    ).toEqual([
      'certificateArn: got a certificate in eu-west-1; an ALB uses ACM certificates of its own region (region=us-east-1): request or import one there',
    ]);
  });
});

describe('ECS configuration: ecsDeploymentStrategy', () => {
  const ecs = (context: Record<string, unknown>) => loadConfig({ platforms: 'ecs', ...context }).ecs;

  test('rolling unless asked for, with no traffic-shifting settings', () => {
    expect(ecs({}).deployment).toEqual({ strategy: 'rolling' });
  });

  test.each([
    ['blueGreen', {}, { strategy: 'blueGreen', bakeTimeMinutes: 5 }],
    ['canary', {}, { strategy: 'canary', bakeTimeMinutes: 5, canaryPercent: 10, intervalMinutes: 5 }],
    ['linear', {}, { strategy: 'linear', bakeTimeMinutes: 5, stepPercent: 25, intervalMinutes: 2 }],
    [
      'canary',
      { ecsCanaryPercent: '2.5', ecsCanaryIntervalMinutes: '15', ecsBakeTimeMinutes: 0 },
      { strategy: 'canary', bakeTimeMinutes: 0, canaryPercent: 2.5, intervalMinutes: 15 },
    ],
    [
      'linear',
      { ecsLinearStepPercent: 3, ecsLinearIntervalMinutes: 1440 },
      { strategy: 'linear', bakeTimeMinutes: 5, stepPercent: 3, intervalMinutes: 1440 },
    ],
  ])(
    '%s %j: the strategy with its settings, from cdk.json values or -c strings',
    (strategy, keys, expected) => {
      expect(ecs({ ecsDeploymentStrategy: strategy, ...keys }).deployment).toEqual(expected);
    },
  );

  test('an unknown strategy names the four', () => {
    expect(problems({ ecsDeploymentStrategy: 'blue-green' })).toEqual([
      'ecsDeploymentStrategy: got "blue-green"; allowed: rolling, blueGreen, canary, linear',
    ]);
  });

  test.each([
    ['ecsCanaryPercent', '0.05', 'allowed: a percentage from 0.1 to 100 in steps of 0.1'],
    ['ecsCanaryPercent', '2.55', 'allowed: a percentage from 0.1 to 100 in steps of 0.1'],
    ['ecsCanaryPercent', 'ten', 'allowed: a percentage from 0.1 to 100 in steps of 0.1'],
    ['ecsCanaryIntervalMinutes', '1441', 'allowed: a whole number from 0 to 1440'],
    ['ecsBakeTimeMinutes', '-1', 'allowed: a whole number from 0 to 1440'],
  ])('%s=%s: out of ECS’s range, says what is allowed', (key, value, allowed) => {
    expect(problems({ ecsDeploymentStrategy: 'canary', [key]: value })).toEqual([
      `${key}: got ${JSON.stringify(value)}; ${allowed}`,
    ]);
  });

  test('a linear step under 3 % is refused: ECS shifts at least 3 % per step', () => {
    expect(problems({ ecsDeploymentStrategy: 'linear', ecsLinearStepPercent: 2 })).toEqual([
      'ecsLinearStepPercent: got 2; allowed: a percentage from 3 to 100 in steps of 0.1',
    ]);
  });

  test.each([
    ['rolling', 'ecsBakeTimeMinutes', 'blueGreen, canary, linear'],
    ['blueGreen', 'ecsCanaryPercent', 'canary'],
    ['canary', 'ecsLinearStepPercent', 'linear'],
    ['linear', 'ecsCanaryIntervalMinutes', 'canary'],
  ])(
    '%s with %s: a key the strategy does not use is an error, naming where it applies',
    (strategy, key, where) => {
      expect(problems({ ecsDeploymentStrategy: strategy, [key]: 5 })).toEqual([
        `${key}: got 5, but ecsDeploymentStrategy=${strategy} does not use it; it applies to ${where}`,
      ]);
    },
  );
});

describe("ECS configuration: the Auto Scaling group's extra instance types", () => {
  test('production defaults to Nitro types that encrypt traffic between instances, the sandbox to burstable ones', () => {
    const production = {
      stage: 'production',
      platforms: 'ecs',
      account: '123456789012',
      region: 'eu-west-1',
      ...PRODUCTION_HTTPS,
    };
    expect(loadConfig(production).ecs).toMatchObject({
      instanceType: 'c7a.medium',
      extraInstanceTypes: ['m7a.medium'],
    });
    expect(loadConfig({ ...production, cpuArchitecture: 'arm64' }).ecs).toMatchObject({
      instanceType: 'c7g.medium',
      extraInstanceTypes: ['m7g.medium'],
    });
  });

  test("the default instance type's same-size sibling, per CPU architecture", () => {
    expect(loadConfig({ platforms: 'ecs' }).ecs.extraInstanceTypes).toEqual(['t3a.small']);
    expect(loadConfig({ platforms: 'ecs', cpuArchitecture: 'arm64' }).ecs.extraInstanceTypes).toEqual([
      'c7g.medium',
    ]);
  });

  test('another ecsInstanceType gets none by default: its siblings are for the user to name', () => {
    expect(loadConfig({ platforms: 'ecs', ecsInstanceType: 'm7i.large' }).ecs.extraInstanceTypes).toEqual([]);
    expect(
      loadConfig({
        platforms: 'ecs',
        ecsInstanceType: 'm7i.large',
        ecsExtraInstanceTypes: 'm7a.large,m6i.large',
      }).ecs.extraInstanceTypes,
    ).toEqual(['m7a.large', 'm6i.large']);
    expect(loadConfig({ platforms: 'ecs', ecsExtraInstanceTypes: 'none' }).ecs.extraInstanceTypes).toEqual(
      [],
    );
  });

  test('a type of the other architecture, or ecsInstanceType itself, is refused with the key and what is allowed', () => {
    expect(problems({ platforms: 'ecs', ecsExtraInstanceTypes: 't4g.small,t3.small' })).toEqual([
      'ecsExtraInstanceTypes: got t4g.small, t3.small; allowed: types other than ecsInstanceType (t3.small) that run x86_64 images (cpuArchitecture=x86_64)',
    ]);
    expect(problems({ platforms: 'ecs', ecsExtraInstanceTypes: 'not a type' })).toEqual([
      expect.stringMatching(
        /^ecsExtraInstanceTypes: got "not a type"; allowed: a comma-separated list of EC2 instance types/,
      ),
    ]);
  });
});

describe('ecsExec', () => {
  test('unset, the stage decides; set, it overrides the stage either way', () => {
    expect(loadConfig({ platforms: 'ecs' }).ecs.ecsExec).toBeUndefined();
    expect(loadConfig({ platforms: 'ecs', ecsExec: 'true' }).ecs.ecsExec).toBe(true);
    expect(loadConfig({ platforms: 'ecs', ecsExec: false }).ecs.ecsExec).toBe(false);
  });

  test('anything but a boolean is refused, naming the key, the value and what is allowed', () => {
    expect(problems({ platforms: 'ecs', ecsExec: 'yes' })).toEqual([
      'ecsExec: got "yes"; allowed: true or false',
    ]);
  });
});
