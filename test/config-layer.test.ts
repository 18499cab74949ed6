import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { CDK_JSON_CONTEXT } from './support/synth';
import { bundleApp } from './support/config';

/**
 * Configuration is the bottom layer of the app: lib/config.ts and lib/config/ import nothing but each
 * other, so reading it loads no construct library, and `cdk synth` with a bad value stops in a
 * fraction of a second (bin/ loads the stacks and cdk-nag only after the configuration passes).
 */
const root = path.join(__dirname, '..');
const LAYER = path.join(root, 'lib', 'config');
const files = ['lib/config.ts', ...fs.readdirSync(LAYER).map((file) => `lib/config/${file}`)];

/** What `file` imports from outside the configuration layer. */
function importsOutsideLayer(file: string): string[] {
  const source = fs.readFileSync(path.join(root, file), 'utf8');
  const specifiers = ts.preProcessFile(source, true, true).importedFiles.map((i) => i.fileName);
  return specifiers.filter((specifier) => {
    const target = path.resolve(path.dirname(path.join(root, file)), specifier);
    return !specifier.startsWith('.') || !target.startsWith(LAYER + path.sep);
  });
}

test.each(files)('%s imports nothing outside lib/config.ts and lib/config/', (file) => {
  expect(importsOutsideLayer(file)).toEqual([]);
});

test('the check sees packages and the rest of lib/: lib/eks/node-types.ts imports both', () => {
  expect(importsOutsideLayer('lib/eks/node-types.ts')).toEqual(
    expect.arrayContaining(['aws-cdk-lib/aws-eks-v2', './findings']),
  );
});

/** The packages that define constructs or judge them: every dependency but the CDK core's own. */
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const LIBRARIES = Object.keys(pkg.dependencies).filter(
  (name) => !['aws-cdk-lib', 'constructs', 'source-map-support'].includes(name),
);
/** The package a module file belongs to; for aws-cdk-lib's service modules, `aws-cdk-lib/aws-...`. */
function packageOf(file: string): string | undefined {
  const [, name, folder] = /node_modules\/((?:@[^/]+\/)?[^/]+)\/([^/]+)/.exec(file) ?? [];
  return name === 'aws-cdk-lib' && folder.startsWith('aws-') ? `${name}/${folder}` : name;
}

/** The construct libraries among loaded files: LIBRARIES and aws-cdk-lib's service modules (not its core). */
const constructLibraries = (loaded: string[]) =>
  [...new Set(loaded.map(packageOf))].filter(
    (name): name is string => !!name && (name.startsWith('aws-cdk-lib/') || LIBRARIES.includes(name)),
  );

const app = bundleApp();
afterAll(() => app.remove());
// a node process each, and the second loads the whole app: slow on a busy machine
jest.setTimeout(60_000);

test.concurrent('a bad value stops the app before any construct library loads', async () => {
  const run = await app.run({ ...CDK_JSON_CONTEXT, stage: 'prod' });
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/^Invalid configuration \(1 problem\):\n {2}- stage: got "prod"/);
  expect(run.loaded.some((file) => file.includes('node_modules/aws-cdk-lib/core/'))).toBe(true);
  expect(constructLibraries(run.loaded)).toEqual([]);
});

test.concurrent('a valid configuration loads them all, cdk-nag included', async () => {
  const run = await app.run({ ...CDK_JSON_CONTEXT, platforms: 'none' });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const loaded = constructLibraries(run.loaded);
  // the sandbox (the default): Control Tower's rules load only where the stage policy asks for them
  const judged = LIBRARIES.filter((name) => name !== '@cdklabs/cdk-validator-cfnguard');
  expect(judged.filter((name) => !loaded.includes(name))).toEqual([]);
  expect(loaded).not.toContain('@cdklabs/cdk-validator-cfnguard');
  expect(loaded).toEqual(expect.arrayContaining(['aws-cdk-lib/aws-ec2', 'aws-cdk-lib/aws-eks-v2']));
});
