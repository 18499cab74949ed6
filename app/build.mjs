// Bundles the sample app (app/src, TypeScript) into plain JavaScript in app/dist/: one file per entry
// point, with everything it imports inlined, so the Docker image needs nothing but node and dist/.
// `npm run build:app` runs it, and so does the CDK build hook before every synth. Tests pass
// `--outdir` to build a private copy.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const appDir = import.meta.dirname;
const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
const outdir = values.outdir ?? join(appDir, 'dist');

// Start empty: a file left over from an earlier build would still land in the image and change its hash.
await rm(outdir, { recursive: true, force: true });
await build({
  // main.js, plus one bundle per command that calls AWS: main.js loads those only for their command, so the
  // AWS SDK they carry never slows the web server's start.
  entryPoints: ['main', 'summarize-object', 'worker'].map((name) => join(appDir, `src/${name}.ts`)),
  outdir,
  bundle: true,
  platform: 'node',
  // The oldest Node the project supports; the image runs a newer one.
  target: 'node20',
  format: 'cjs',
  // Readable code and a source map (node --enable-source-maps) keep stack traces pointing at app/src.
  minify: false,
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
});
