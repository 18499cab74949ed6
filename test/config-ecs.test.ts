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
