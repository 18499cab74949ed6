/**
 * `npm run cost [-- -c key=value ...]`: synthesizes the app with that context, as `cdk synth` would,
 * then prints what each stack in cdk.out/ costs per hour and per month at rest.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { assemblyReport } from './assembly-report';

// build/cost.js sits one folder below the repository root
const root = path.resolve(__dirname, '..');

/** The CDK CLI, with the context given on our command line: the templates are the ones `cdk deploy` would use. */
function synthesize(context: readonly string[]): void {
  process.stderr.write(`${['cdk synth --quiet', ...context].join(' ')}\n`);
  const cli = require.resolve('aws-cdk/bin/cdk', { paths: [root] });
  const result = spawnSync(process.execPath, [cli, 'synth', '--quiet', ...context], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (result.status !== 0) {
    process.stderr.write(result.stderr);
    process.exit(result.status ?? 1);
  }
}

synthesize(process.argv.slice(2));
process.stdout.write(assemblyReport(root, path.join(root, 'cdk.out')));
