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
