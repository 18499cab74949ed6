// Bundles tools/guard/main.ts into build/guard.js, as bin/build.mjs bundles the CDK app.
import { bundleForNode } from '../../bin/bundle.mjs';

await bundleForNode('tools/guard/main.ts', 'build/guard.js');
