// The guard's time (cfn-guard over every template, inside one synth) with every bundled rule and with
// only the rules that name a resource type the templates hold (lib/control-tower-rules.ts), interleaved
// run by run so a busy machine slows both alike; CPU time holds steadier than wall time when other work
// shares the cores. Fails if the two ever report different findings.
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const runs = Number(process.env.RUNS ?? 3);
const context = process.argv.slice(2).length
  ? process.argv.slice(2)
  : ['-c', 'stage=production', '-c', 'account=123456789012', '-c', 'region=eu-west-1'].concat([
      '-c',
      'platforms=ecs,ecsPatterns,eks,apprunner,express',
    ]);

execFileSync(process.execPath, ['tools/guard/build.mjs'], { cwd: root });
function guard(extra) {
  const out = execFileSync(process.execPath, ['build/guard.js', ...context, ...extra], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const lines = out.trim().split('\n');
  const [, seconds, cpu] = /took ([\d.]+) s \(([\d.]+) s CPU\)/.exec(lines.at(-1));
  return { findings: lines.slice(0, -1).join('\n'), wall: Number(seconds), cpu: Number(cpu) };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(
  `guard time, ${runs} interleaved runs on ${os.cpus().length} cores; load average ${os.loadavg()[0].toFixed(1)}`,
);
const all = [];
const present = [];
for (let i = 0; i < runs; i++) {
  const pair = i % 2 ? [guard([]), guard(['--all-rules'])] : [guard(['--all-rules']), guard([])];
  const [a, p] = i % 2 ? [pair[1], pair[0]] : pair;
  if (a.findings !== p.findings) throw new Error(`different findings:\n${a.findings}\n---\n${p.findings}`);
  all.push(a);
  present.push(p);
}
for (const measure of ['wall', 'cpu']) {
  console.log(measure === 'wall' ? 'wall time' : "CPU time (cfn-guard's, user + system)");
  for (const [label, runsOf] of [
    ['every bundled rule (314)', all],
    ['rules naming a type present', present],
  ]) {
    const values = runsOf.map((run) => run[measure]);
    console.log(
      `  ${label.padEnd(30)} ${median(values).toFixed(1)} s  (runs ${values.map((t) => t.toFixed(1)).join(' ')})`,
    );
  }
}
console.log(`same findings in every run; load average ${os.loadavg()[0].toFixed(1)} at the end`);
