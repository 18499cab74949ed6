// Bundles the cost estimate (tools/cost/main.ts) into build/cost.js, as bin/build.mjs bundles the CDK app:
// main.ts finds the repository from __dirname, one folder up.
import { bundleForNode } from '../../bin/bundle.mjs';

await bundleForNode('tools/cost/main.ts', 'build/cost.js');
