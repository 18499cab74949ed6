// Wall time of `npm test` (type-check, lint, format check, every jest test), median of a few runs,
// and jest's own time for each test file from the last run. RUNS=n to change the count.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const runs = Number(process.env.RUNS ?? 3);
const times = [];
for (let i = 0; i < runs; i++) {
  const start = process.hrtime.bigint();
  const result = spawnSync('npm', ['test', '--silent'], { cwd: root, stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`npm test failed (exit ${result.status})`);
  times.push(Number(process.hrtime.bigint() - start) / 1e9);
}
times.sort((a, b) => a - b);
console.log(
  `npm test, median of ${runs} runs on ${os.cpus().length} x ${os.cpus()[0].model}, node ${process.version}`,
);
console.log(
  `wall time: ${times[Math.floor(times.length / 2)].toFixed(1)} s   (runs: ${times.map((t) => t.toFixed(1)).join(' ')})`,
);

const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'jest-')), 'report.json');
execFileSync(
  path.join(root, 'node_modules', '.bin', 'jest'),
  ['--silent', '--json', `--outputFile=${report}`],
  {
    cwd: root,
    stdio: 'ignore',
  },
);
const { testResults } = JSON.parse(fs.readFileSync(report, 'utf8'));
console.log('\njest, seconds per test file (files run two at a time):');
for (const file of testResults.sort((a, b) => b.endTime - b.startTime - (a.endTime - a.startTime))) {
  const seconds = ((file.endTime - file.startTime) / 1000).toFixed(1).padStart(5);
  console.log(`${seconds}  ${path.relative(root, file.name)}`);
}
