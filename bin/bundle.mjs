// How a TypeScript entry point of this repository becomes JavaScript node runs: one file with a source
// map, packages left external (aws-cdk-lib and friends load from node_modules as usual).
import { build } from 'esbuild';

/** Bundles `entryPoint` into `outfile`; keep `outfile` one folder below the root, like bin/ and lib/. */
export function bundleForNode(entryPoint, outfile) {
  return build({
    entryPoints: [entryPoint],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
}
