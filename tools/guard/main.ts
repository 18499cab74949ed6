/**
 * `npm run guard [-- -c key=value ...]`: synthesizes the app with that context and AWS Control Tower's
 * proactive controls on, whatever the stage policy says, then prints each failing rule with the
 * constructs nothing acknowledged, and how long the guard took. `--all-rules` hands cfn-guard every
 * bundled rule instead of those that name a type the templates hold (bench/guard compares the two).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, Validations, type IPolicyValidationPluginBeta1 } from 'aws-cdk-lib';
import { buildApp } from '../../lib/app';
import { type AppConfig, ConfigError, loadConfig } from '../../lib/config';
import { ControlTowerRules } from '../../lib/control-tower-rules';

// build/guard.js sits one folder below the repository root
const root = path.resolve(__dirname, '..');
const context = JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf8')).context;
const args = process.argv.slice(2);
args.forEach((arg, i) => {
  if (arg !== '-c') return;
  const [key, value] = (args[i + 1] ?? '').split(/=(.*)/, 2);
  if (!key || value === undefined) stop(`-c takes key=value, got ${JSON.stringify(args[i + 1] ?? '')}`);
  context[key] = value;
});

function stop(message: string): never {
  console.error(message);
  process.exit(1);
}

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-'));
const app = new App({ outdir, context: { ...context, 'aws:cdk:disable-asset-staging': true } });
let config: AppConfig;
try {
  config = loadConfig(app.node.getAllContext());
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  stop(error.message);
}
buildApp(app, config);
const guard = args.includes('--all-rules') ? new CfnGuardValidator() : new ControlTowerRules();
let seconds = 0;
let cpuSeconds = NaN;
/** CPU seconds of the child processes waited for so far, cfn-guard's included (Linux: /proc). */
function childCpuSeconds(): number {
  if (!fs.existsSync('/proc/self/stat')) return NaN;
  // fields after the command name, which is in parentheses: cutime and cstime are 14 and 15
  const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (
    (Number(fields[13]) + Number(fields[14])) /
    Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }))
  );
}
// the guard itself, timed
const timed: IPolicyValidationPluginBeta1 = {
  name: guard.name,
  version: guard.version,
  ruleIds: guard.ruleIds,
  validate(validationContext) {
    const start = process.hrtime.bigint();
    const cpuStart = childCpuSeconds();
    try {
      return guard.validate(validationContext);
    } finally {
      seconds = Number(process.hrtime.bigint() - start) / 1e9;
      cpuSeconds = childCpuSeconds() - cpuStart;
    }
  },
};
Validations.of(app).addPlugins(timed);
try {
  app.synth();
} catch {
  // the report below says what failed
}
const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
fs.rmSync(outdir, { recursive: true, force: true });

interface Violation {
  ruleName: string;
  description: string;
  violatingConstructs: {
    constructPath?: string;
    cloudFormationResource: { templatePath: string; logicalId: string };
  }[];
}
// one violation per rule and template: grouped by rule
const byRule = new Map<string, string[]>();
for (const v of report.pluginReports.flatMap(
  (r: { violations: Violation[] }) => r.violations,
) as Violation[]) {
  const rule = `${v.description.split(':')[0]} ${v.ruleName}`;
  byRule.set(rule, [
    ...(byRule.get(rule) ?? []),
    ...v.violatingConstructs.map(
      (c) =>
        c.constructPath ?? `${c.cloudFormationResource.templatePath}: ${c.cloudFormationResource.logicalId}`,
    ),
  ]);
}
for (const [rule, paths] of [...byRule].sort()) {
  console.log(`${rule}: ${paths.length}`);
  for (const constructPath of paths.sort()) console.log(`    ${constructPath}`);
}
const findings = [...byRule.values()].reduce((n, paths) => n + paths.length, 0);
console.log(
  `${app.node.tryGetContext('stage')}: ${byRule.size} failing rules, ${findings} unacknowledged findings; ` +
    `the guard took ${seconds.toFixed(1)} s (${cpuSeconds.toFixed(1)} s CPU)`,
);
