/**
 * `npm run cost [-- -c key=value ...]`: synthesizes the app with that context, as `cdk synth` would,
 * then prints what each stack in cdk.out/ costs per hour and per month at rest.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { estimateStack, loadPriceTable, type Template } from './estimate';
import { formatReport, type Dependencies } from './report';

const PRICE_FILE = 'tools/cost/prices-us-east-1.json';
// build/cost.js sits one folder below the repository root
const root = path.resolve(__dirname, '..');
const outdir = path.join(root, 'cdk.out');

interface Manifest {
  readonly artifacts: Readonly<
    Record<
      string,
      {
        readonly type: string;
        readonly properties?: { readonly templateFile?: string };
        readonly dependencies?: readonly string[];
      }
    >
  >;
}

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

function readStacks(): { stacks: { name: string; template: Template }[]; dependencies: Dependencies } {
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as Manifest;
  const stackArtifacts = Object.entries(manifest.artifacts).filter(
    ([, artifact]) => artifact.type === 'aws:cloudformation:stack',
  );
  const names = new Set(stackArtifacts.map(([name]) => name));
  return {
    stacks: stackArtifacts.map(([name, artifact]) => ({
      name,
      template: JSON.parse(
        fs.readFileSync(
          path.join(outdir, artifact.properties?.templateFile ?? `${name}.template.json`),
          'utf8',
        ),
      ) as Template,
    })),
    // asset manifests are dependencies too: keep the stacks
    dependencies: Object.fromEntries(
      stackArtifacts.map(([name, artifact]) => [
        name,
        (artifact.dependencies ?? []).filter((d) => names.has(d)),
      ]),
    ),
  };
}

synthesize(process.argv.slice(2));
const prices = loadPriceTable(path.join(root, PRICE_FILE));
const { stacks, dependencies } = readStacks();
const estimates = stacks.map(({ name, template }) => estimateStack(name, template, prices));
process.stdout.write(formatReport(estimates, dependencies, prices, PRICE_FILE));
