// Time of `cdk synth` for the whole app next to the floor: the same CLI synthesizing an app with one
// empty stack. Both go through the CLI as a user would, interleaved run by run so a busy machine slows
// both alike; the first pair only warms the file cache. Wall time is what a user waits; CPU time (user +
// system, of the CLI and every process it waited for, read from /proc: Linux only) is what synth costs,
// and holds steady when other work shares the cores. Prints medians, the spread and the ratios.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const cdk = path.join(root, 'node_modules', '.bin', 'cdk');
const runs = Number(process.env.RUNS ?? 5);
const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/** CPU seconds used so far by the children this process has waited for (cutime + cstime). */
function childCpuSeconds() {
  // fields after the command name, which is in parentheses and may contain spaces: cutime and cstime are 14 and 15
  const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS_PER_SECOND;
}

function synth(cwd) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-'));
  const cpuBefore = childCpuSeconds();
  const start = process.hrtime.bigint();
  execFileSync(cdk, ['synth', '--quiet', '--output', out], { cwd, stdio: 'pipe' });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = childCpuSeconds() - cpuBefore;
  fs.rmSync(out, { recursive: true, force: true });
  return { wall, cpu };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const spread = (values) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;

const floorDir = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-floor-'));
fs.writeFileSync(
  path.join(floorDir, 'app.js'),
  `const { App, Stack } = require(${JSON.stringify(path.join(root, 'node_modules', 'aws-cdk-lib'))});\n` +
    `const app = new App(); new Stack(app, 'Empty'); app.synth();\n`,
);
fs.writeFileSync(path.join(floorDir, 'cdk.json'), JSON.stringify({ app: 'node app.js' }));

const load = () => os.loadavg()[0].toFixed(1);
console.log(
  `cdk synth, ${runs} interleaved runs each on ${os.cpus().length} x ${os.cpus()[0].model}, node ${process.version}; load average ${load()} at the start`,
);
const full = [];
const floor = [];
for (let i = 0; i <= runs; i++) {
  // alternate which goes first, so neither always runs right after the other
  const pair = i % 2 ? [synth(floorDir), synth(root)] : [synth(root), synth(floorDir)];
  if (i === 0) continue;
  full.push(i % 2 ? pair[1] : pair[0]);
  floor.push(i % 2 ? pair[0] : pair[1]);
}
for (const measure of ['wall', 'cpu']) {
  const whole = full.map((run) => run[measure]);
  const empty = floor.map((run) => run[measure]);
  const row = (label, values) =>
    console.log(
      `  ${label.padEnd(46)} ${median(values).toFixed(2)} s  (${spread(values)}; runs ${values.map((t) => t.toFixed(2)).join(' ')})`,
    );
  console.log(measure === 'wall' ? 'wall time' : 'CPU time (user + system)');
  row('whole app (build hook + every stack + cdk-nag)', whole);
  row('floor (same CLI, one empty stack)', empty);
  const ratios = whole.map((t, run) => t / empty[run]);
  console.log(
    `  ratio of the medians: ${(median(whole) / median(empty)).toFixed(2)} x the floor (run by run ${spread(ratios)})`,
  );
}
console.log(`load average ${load()} at the end`);
fs.rmSync(floorDir, { recursive: true, force: true });
