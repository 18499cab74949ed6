// Bundles the cost estimate (tools/cost/main.ts) into build/cost.js, as bin/build.mjs bundles the CDK app.
import { build } from 'esbuild';

await build({
  entryPoints: ['tools/cost/main.ts'],
  // one folder below the root, like the CDK app: main.ts finds the repository from __dirname
  outfile: 'build/cost.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
