import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildApp, ContainersOnAws } from '../../lib/app';
import { ControlTowerRules } from '../../lib/control-tower-rules';
import { AppConfig, loadConfig, PLATFORMS } from '../../lib/config';
import { PRODUCTION_HTTPS } from './production';
import { stagePolicy } from '../../lib/stage';

/** The context `cdk synth` sees: cdk.json's feature flags and defaults. Read once per test file. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8'),
).context;

export interface SynthesizedApp {
  readonly app: App;
  readonly config: AppConfig;
  readonly stacks: ContainersOnAws;
  /** The stack's template. The app is synthesized once; later calls reuse the assembly. */
  template(stack: Stack): Template;
}

/**
 * Builds the app as `bin/` does, from cdk.json's context plus `context` (as `-c` would give it).
 *
 * `judge: true` synthesizes as `cdk synth` does: CDK's built-in CloudFormation validation, cdk-nag
 * and, where the stage policy asks for them, AWS Control Tower's proactive controls. Off by default, because the validator is a WebAssembly module that costs seconds to
 * load in every test file; test/whole-app.test.ts judges the whole app in both stages once. Asset staging
 * is always off: copying the image context and handler bundles proves nothing in a unit test.
 */
export function synthesize(
  context: Record<string, unknown> = {},
  options: { judge?: boolean } = {},
): SynthesizedApp {
  const app = new App({
    context: { ...CDK_JSON_CONTEXT, 'aws:cdk:disable-asset-staging': true, ...context },
    builtinCloudFormationValidation: options.judge ?? false,
  });
  const config = loadConfig(app.node.getAllContext());
  const stacks = buildApp(app, config);
  if (options.judge) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    if (stagePolicy(config.stage, config.cpuArchitecture).controlTowerRules) {
      Validations.of(app).addPlugins(new ControlTowerRules());
    }
  }
  if (!options.judge) return { app, config, stacks, template: (stack) => Template.fromStack(stack) };
  // a judge's finding fails synth after the assembly is written, and a second synth of the same app
  // would run CDK's aspects again: every template is read from the one assembly
  const templates = new Map<string, Template>();
  const template = (stack: Stack) => {
    if (!templates.has(stack.artifactId)) {
      templates.set(
        stack.artifactId,
        Template.fromJSON(assemble(app).getStackArtifact(stack.artifactId).template),
      );
    }
    return templates.get(stack.artifactId)!;
  };
  return { app, config, stacks, template };
}

/** Where synth writes the judges' report. */
export const validationReport = (app: App) => path.join(app.outdir, 'validation-report.json');

/**
 * The app's cloud assembly, synthesized once. A judge's finding fails synth, by a throw or (as a CLI
 * app would) a printed report and the process's exit code, after the assembly is written: it is read
 * from disk then, and the verdicts are left to the judges' tests, which read the report.
 */
export function assemble(app: App): CloudAssembly {
  const exitCode = process.exitCode;
  try {
    return app.synth();
  } catch (error) {
    if (!fs.existsSync(validationReport(app))) throw error;
    return new CloudAssembly(app.outdir);
  } finally {
    process.exitCode = exitCode;
  }
}

/**
 * A stack in an app of its own, for a construct tested outside the app: synthesized as `synthesize`
 * does, without the seconds-long CloudFormation validator a bare `new App()` would load.
 */
export function bareStack(id: string): Stack {
  return new Stack(new App({ builtinCloudFormationValidation: false }), id);
}

/** Both stages, for tests that hold for each. */
export const STAGES = ['sandbox', 'production'] as const;

/** Every platform, App Runner (opt-in) included: what the whole-app judges look at. */
export const ALL_PLATFORMS = PLATFORMS.join(',');

/**
 * The context that selects a stage, with every platform. Production deploys name their account and
 * region (the ALB's log bucket policy and the third AZ need them), and the certificate and domain
 * name the ALB serves HTTPS with; tests use a made-up account and certificate.
 */
export const STAGE_CONTEXT: Record<(typeof STAGES)[number], Record<string, string>> = {
  sandbox: { stage: 'sandbox', platforms: ALL_PLATFORMS },
  production: {
    stage: 'production',
    account: '123456789012',
    region: 'eu-west-1',
    platforms: ALL_PLATFORMS,
    ...PRODUCTION_HTTPS,
  },
};

/**
 * The sample app repository as platform stacks name it (lib/registry-stack.ts): an ARN built from
 * the stack's own partition, region and account, not another stack's output.
 */
export const SAMPLE_APP_REPOSITORY_ARN = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':ecr:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':repository/coa/sample-app',
    ],
  ],
};
