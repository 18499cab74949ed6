// Bundles verify (tools/verify/main.ts) into build/verify.js, as bin/build.mjs bundles the CDK app:
// main.ts finds the repository from __dirname, one folder up.
import { bundleForNode } from '../../bin/bundle.mjs';

await bundleForNode('tools/verify/main.ts', 'build/verify.js');
