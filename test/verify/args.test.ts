// The command line is checked before anything runs: each mistake is one message naming it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs, UsageError } from '../../tools/verify/args';
import { deployArgs, destroyArgs, synthArgs } from '../../tools/verify/cdk';

const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '../../cdk.json'), 'utf8')).context;
const parse = (...argv: string[]) => parseArgs(argv, cdkJson);
const refusal = (...argv: string[]) => {
  try {
    parse(...argv);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error('accepted');
};

describe('refused, with one message naming what was wrong and what is allowed', () => {
  test.each([
    [['ecr'], 'unknown target "ecr"; allowed: ecs, ecs-patterns, eks, apprunner, express, all, local'],
    [
      ['ecs', '--force'],
      'unknown option "--force"; allowed: --yes, --keep, --deep, --apprunner-customer, -c key=value, --help',
    ],
    [[], 'no target given; allowed: ecs, ecs-patterns, eks, apprunner, express, all, local'],
    [['ecs', '-c'], '-c takes key=value, got nothing'],
    [['ecs', '-c', 'ecsSpot'], '-c takes key=value, got "ecsSpot"'],
    [['local', 'ecs'], 'local checks the app on this machine without AWS: give it as the only target'],
    [
      ['ecs', '-c', 'platforms=eks'],
      '-c platforms: verify deploys the platforms of its targets; name targets instead',
    ],
  ])('%j', (argv, message) => {
    expect(refusal(...argv)).toBe(message);
  });

  test('production: verify deploys and destroys, so sandbox only', () => {
    expect(
      refusal('ecs', '-c', 'stage=production', '-c', 'account=123456789012', '-c', 'region=eu-west-1'),
    ).toMatch(/^stage: got "production"; verify deploys and destroys, so it runs the sandbox stage only/);
  });

  test("a bad value gets lib/config.ts's own message, before anything is called", () => {
    expect(refusal('ecs', '-c', 'ecsSpot=maybe', '-c', 'stgae=sandbox')).toBe(
      'Invalid configuration (2 problems):\n' +
        '  - ecsSpot: got "maybe"; allowed: true or false\n' +
        '  - stgae: unknown key; did you mean "stage"?\n' +
        'Set values in cdk.json "context" or with `cdk synth -c key=value`; see README "Configuration".',
    );
  });
});

describe('accepted', () => {
  test('all is every AWS target in order, each once', () => {
    expect(parse('eks', 'all').targets).toEqual(['eks', 'ecs', 'ecs-patterns', 'apprunner', 'express']);
  });

  test("the platforms context is the targets' platforms: the ECS patterns bring ECS", () => {
    expect(parse('ecs-patterns', 'express').context).toEqual({ platforms: 'ecs,ecsPatterns,express' });
    expect([...parse('ecs-patterns').config.platforms]).toEqual(['ecs', 'ecsPatterns']);
  });

  test('eks runs two pods unless told otherwise: the shared storage check needs a second one', () => {
    expect(parse('eks').config.eks.appMinReplicas).toBe(2);
    expect(parse('eks', '-c', 'eksAppMinReplicas=3').config.eks.appMinReplicas).toBe(3);
    expect(parse('ecs').context).not.toHaveProperty('eksAppMinReplicas');
  });

  test('local sets no context and needs no AWS configuration', () => {
    expect(parse('local', '--keep')).toMatchObject({ targets: ['local'], keep: true, context: {} });
  });

  test('flags', () => {
    expect(parse('ecs', '--yes', '--deep', '--apprunner-customer', '-c', 'ecsSpot=true')).toMatchObject({
      yes: true,
      keep: false,
      deep: true,
      appRunnerCustomer: true,
      context: { ecsSpot: 'true', platforms: 'ecs' },
    });
  });
});

describe('the CDK CLI command lines, as argument arrays', () => {
  test("synth: quiet, into the run's own assembly, with the context", () => {
    expect(synthArgs('build/verify.out', { platforms: 'ecs', ecsSpot: 'true' })).toEqual([
      'synth',
      '--quiet',
      '--output',
      'build/verify.out',
      '-c',
      'platforms=ecs',
      '-c',
      'ecsSpot=true',
    ]);
  });

  test('deploy: that assembly, one stack alone, no approval prompt, outputs to a file', () => {
    expect(deployArgs('build/verify.out', 'coa-ecs', 'verify-report/outputs-coa-ecs.json')).toEqual([
      'deploy',
      '--app',
      'build/verify.out',
      '--exclusively',
      '--require-approval',
      'never',
      '--progress',
      'events',
      '--outputs-file',
      'verify-report/outputs-coa-ecs.json',
      'coa-ecs',
    ]);
  });

  test('destroy: that assembly, one stack alone, without asking', () => {
    expect(destroyArgs('build/verify.out', 'coa-ecs')).toEqual([
      'destroy',
      '--app',
      'build/verify.out',
      '--exclusively',
      '--force',
      'coa-ecs',
    ]);
  });
});
