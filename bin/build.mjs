// Bundles the CDK app (bin/ + lib/) into one JS file with a source map, so `cdk synth`
// starts node on plain JavaScript instead of type-checking TypeScript on every run.
// Packages stay external: aws-cdk-lib and friends load from node_modules as usual.
// The cdk.json build hook runs this before every synth; it bundles the sample app as well (one node
// process for both: the image asset's hash comes from app/dist).
import { build } from 'esbuild';

await import('../app/build.mjs');

await build({
  // one folder below the root, like lib/: paths built from __dirname (the app directory) stay right
  entryPoints: ['bin/containers-on-aws.ts'],
  outfile: 'build/containers-on-aws.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
