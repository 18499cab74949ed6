import * as path from 'node:path';

/**
 * The repository's root, for files the app reads at synth. This module runs from lib/ (tests) or
 * bundled into build/ (`cdk synth`, bin/build.mjs): one folder below the root either way.
 */
export const PROJECT_ROOT = path.join(__dirname, '..');
