// Wall time of `cdk synth` for the whole app (median of several runs), next to the floor: the same
// CLI synthesizing an app with one empty stack. Both runs go through the CLI as a user would.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const cdk = path.join(root, 'node_modules', '.bin', 'cdk');
const runs = Number(process.env.RUNS ?? 5);

function medianSeconds(label, args, cwd) {
  const times = [];
  for (let i = 0; i < runs + 1; i++) {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-'));
    const start = process.hrtime.bigint();
    execFileSync(cdk, ['synth', '--quiet', '--output', out, ...args], {
      cwd,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    fs.rmSync(out, { recursive: true, force: true });
    if (i > 0) times.push(seconds); // the first run warms the file cache
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(
    `${label.padEnd(44)} ${median.toFixed(2)} s   (runs: ${times.map((t) => t.toFixed(2)).join(' ')})`,
  );
  return median;
}

const floorDir = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-floor-'));
fs.writeFileSync(
  path.join(floorDir, 'app.js'),
  `const { App, Stack } = require(${JSON.stringify(path.join(root, 'node_modules', 'aws-cdk-lib'))});\n` +
    `const app = new App(); new Stack(app, 'Empty'); app.synth();\n`,
);
fs.writeFileSync(path.join(floorDir, 'cdk.json'), JSON.stringify({ app: 'node app.js' }));

console.log(
  `cdk synth, median of ${runs} runs on ${os.cpus().length} x ${os.cpus()[0].model}, node ${process.version}`,
);
const full = medianSeconds('whole app (build hook + every stack + cdk-nag)', [], root);
const floor = medianSeconds('floor (same CLI, one empty stack)', [], floorDir);
console.log(`ratio: ${(full / floor).toFixed(2)} x the floor`);
fs.rmSync(floorDir, { recursive: true, force: true });
