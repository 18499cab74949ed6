import { loadConfig } from '../lib/config';
import { problems } from './support/config';

const ENV = { account: '123456789012', region: 'eu-west-1' };

describe('ECS configuration', () => {
  test('production ECS needs an environment: the ALB access-log bucket policy depends on the region', () => {
    expect(problems({ stage: 'production', platforms: 'ecs' })).toEqual([
      expect.stringMatching(
        /^region: stage=production with platform "ecs" needs account and region .*set both, or leave "ecs" out of platforms$/,
      ),
    ]);
    expect(problems({ stage: 'production', platforms: 'ecs', ...ENV })).toEqual([]);
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
});

describe("ECS configuration: the Auto Scaling group's extra instance types", () => {
  test('production defaults to Nitro types that encrypt traffic between instances, the sandbox to burstable ones', () => {
    const production = {
      stage: 'production',
      platforms: 'ecs',
      account: '123456789012',
      region: 'eu-west-1',
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
