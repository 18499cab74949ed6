#!/usr/bin/env node
import 'source-map-support/register';
import { App, Validations } from 'aws-cdk-lib';
import { ConfigError, loadConfig, type AppConfig } from '../lib/config';

const app = new App();

// Read and validate the whole configuration before building anything: a bad value stops here,
// with every problem in one message and no stack trace.
let config: AppConfig;
try {
  config = loadConfig(app.node.getAllContext());
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

// The stacks and the judges load only now: a bad value fails before their modules cost any time.
void Promise.all([import('../lib/app.js'), import('cdk-nag'), import('../lib/stage.js')]).then(
  async ([{ buildApp }, { AwsSolutionsChecks }, { stagePolicy }]) => {
    buildApp(app, config);
    // cdk-nag's AWS Solutions rules judge every template at synth; acknowledgments sit on constructs.
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    // AWS Control Tower's proactive controls, where the stage policy asks for them (docs/security.md)
    if (stagePolicy(config.stage, config.cpuArchitecture).controlTowerRules) {
      const { ControlTowerRules } = await import('../lib/control-tower-rules.js');
      Validations.of(app).addPlugins(new ControlTowerRules());
    }
  },
);
