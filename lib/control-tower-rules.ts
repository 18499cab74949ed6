import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import type {
  IPolicyValidationContextBeta1,
  IPolicyValidationPluginBeta1,
  PolicyValidationPluginReportBeta1,
} from 'aws-cdk-lib';

/** The Control Tower rule files the package bundles, one rule each, in a folder per service. */
const RULES = path.join(
  path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json')),
  'rules',
  'control-tower',
  'cfn-guard',
);

/** Every CloudFormation type a text names in quotes, e.g. `'AWS::S3::Bucket'`. */
function typesNamedIn(text: string): Set<string> {
  return new Set([...text.matchAll(/["'](AWS::\w+::\w+)["']/g)].map((match) => match[1]));
}

/**
 * AWS Control Tower's proactive controls (cfn-guard rules), as a CDK policy-validation plugin.
 *
 * Every rule selects the resources it judges by their type, and every rule file names those types in
 * quotes: a rule that names no type our templates hold can find nothing. So the plugin hands
 * cfn-guard only the rules that name a type present, a third of the 314, with the same findings
 * (bench/guard compares both): cfn-guard's time grows with rules times templates.
 */
export class ControlTowerRules implements IPolicyValidationPluginBeta1 {
  // the bundled plugin's name: acknowledgments read `cdk-validator-cfnguard::<rule>`
  readonly name = 'cdk-validator-cfnguard';
  readonly version: string | undefined;
  readonly ruleIds: string[] | undefined;

  constructor() {
    const all = new CfnGuardValidator();
    this.version = all.version;
    this.ruleIds = all.ruleIds;
  }

  validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    const present = typesNamedIn(
      context.templatePaths.map((file) => fs.readFileSync(file, 'utf8')).join('\n'),
    );
    const rules = fs
      .readdirSync(RULES, { recursive: true, encoding: 'utf8' })
      .map((file) => path.join(RULES, file))
      .filter((file) => file.endsWith('.guard'))
      .filter((file) => [...typesNamedIn(fs.readFileSync(file, 'utf8'))].some((type) => present.has(type)));
    const report = new CfnGuardValidator({ controlTowerRulesEnabled: false, rules }).validate(context);
    // The plugin leaves a finding's severity out. Once some findings are acknowledged, CDK decides
    // whether the rest fail synth by their severity alone: without one, `cdk synth` would pass.
    return {
      ...report,
      violations: report.violations.map((v) => ({ ...v, severity: v.severity ?? 'error' })),
    };
  }
}
