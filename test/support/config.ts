import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { ConfigError, loadConfig } from '../../lib/config';

/** The problems loadConfig reports for `context`, or [] when it accepts it. */
export function problems(context: Record<string, unknown>): string[] {
  try {
    loadConfig(context);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
}

const root = path.join(__dirname, '..', '..');

export interface AppRun {
  readonly code: number;
  readonly stderr: string;
  /** Every module file the process loaded, packages included. */
  readonly loaded: string[];
}

export interface BundledApp {
  /**
   * Runs the app as the CLI does, with its context in CDK_CONTEXT_JSON, but without CDK_OUTDIR: a
   * valid configuration builds every construct and stops short of synthesis.
   */
  run(context: Record<string, unknown>): Promise<AppRun>;
  remove(): void;
}

/**
 * bin/ bundled as the cdk.json build hook bundles it, as scratch files in build/: one folder below the
 * root, where lib/paths.ts expects the bundle, and inside the repository, because bin/'s `import()`
 * resolves packages from the bundle's folder up (ESM ignores NODE_PATH).
 */
export function bundleApp(): BundledApp {
  const buildDir = path.join(root, 'build');
  fs.mkdirSync(buildDir, { recursive: true });
  const prefix = `test-${process.pid}-${Date.now().toString(36)}`;
  const scratch = (name: string) => path.join(buildDir, `${prefix}-${name}`);
  const app = scratch('containers-on-aws.js');
  const recorder = scratch('record-modules.js');
  // writes, when the process exits, the file of every CommonJS module it loaded
  fs.writeFileSync(
    recorder,
    "process.on('exit', () => require('fs').writeFileSync(process.env.LOADED_MODULES, JSON.stringify(Object.keys(require.cache))));",
  );
  const bundled = build({
    entryPoints: [path.join(root, 'bin', 'containers-on-aws.ts')],
    outfile: app,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    packages: 'external',
    logLevel: 'silent',
  });
  let runs = 0;
  return {
    async run(context) {
      await bundled;
      const loadedFile = scratch(`loaded-${runs++}.json`);
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify(context),
        LOADED_MODULES: loadedFile,
      };
      delete env.CDK_OUTDIR;
      const { code, stderr } = await promisify(execFile)(process.execPath, ['--require', recorder, app], {
        cwd: root,
        env,
      }).then(
        ({ stderr }) => ({ code: 0, stderr }),
        (error: { code: number; stderr: string }) => error,
      );
      return { code, stderr, loaded: JSON.parse(fs.readFileSync(loadedFile, 'utf8')) };
    },
    remove: () =>
      fs.readdirSync(buildDir).forEach((f) => f.startsWith(prefix) && fs.rmSync(path.join(buildDir, f))),
  };
}
