// Bundles the CDK app (bin/ + lib/) into one JS file with a source map, so `cdk synth`
// starts node on plain JavaScript instead of type-checking TypeScript on every run.
// The cdk.json build hook runs this before every synth; it bundles the sample app as well (one node
// process for both: the image asset's hash comes from app/dist).
import { bundleForNode } from './bundle.mjs';

await import('../app/build.mjs');

// one folder below the root, like lib/: paths built from __dirname (the app directory) stay right
await bundleForNode('bin/containers-on-aws.ts', 'build/containers-on-aws.js');
