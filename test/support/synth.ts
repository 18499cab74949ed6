import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildApp, ContainersOnAws } from '../../lib/app';
import { AppConfig, loadConfig } from '../../lib/config';

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
 * Builds the app exactly as `bin/` does, from cdk.json's context plus `context` (as `-c` would
 * give it). Asset staging is off: copying the image context and handler bundles proves nothing
 * in a unit test, and costs seconds per synth.
 */
export function synthesize(
  context: Record<string, unknown> = {},
  options: { nag?: boolean } = {},
): SynthesizedApp {
  const app = new App({
    context: { ...CDK_JSON_CONTEXT, 'aws:cdk:disable-asset-staging': true, ...context },
  });
  const config = loadConfig(app.node.getAllContext());
  const stacks = buildApp(app, config);
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, config, stacks, template: (stack) => Template.fromStack(stack) };
}

/** Both stages, for tests that hold for each. */
export const STAGES = ['sandbox', 'production'] as const;
