// `npm test`: the type check, ESLint and Prettier run beside jest rather than before it. On two
// cores they fill the gaps jest's workers leave (process starts, loopback waits), so the whole
// takes little more than jest alone. jest's output streams as usual; each check's output is printed
// whole once it ends, and the run fails if any of them fails.
import { spawn } from 'node:child_process';
import * as path from 'node:path';

const modules = path.join(import.meta.dirname, '..', 'node_modules');
const bin = (name) => path.join(modules, '.bin', name);
// ESLint and Prettier keep what they learnt under node_modules/.cache (as jest keeps its transforms),
// keyed by file content: a run re-checks only what changed since the last one. A fresh clone starts cold.
const cache = (name) => path.join(modules, '.cache', name);
const checks = [
  // TypeScript 7, the native compiler: the same checks as the TypeScript 6 that ts-jest and ESLint
  // load, in a few seconds instead of ~25 s of CPU (most of it parsing aws-cdk-lib's declarations)
  [
    'tsc --noEmit (TypeScript 7)',
    process.execPath,
    [path.join(modules, 'typescript-go', 'bin', 'tsc'), '--noEmit'],
  ],
  [
    'eslint .',
    bin('eslint'),
    ['.', '--cache', '--cache-strategy', 'content', '--cache-location', cache('eslint/')],
  ],
  [
    'prettier --check .',
    bin('prettier'),
    [
      '--check',
      '.',
      '--log-level',
      'warn',
      '--cache',
      '--cache-strategy',
      'content',
      '--cache-location',
      cache('prettier/cache'),
    ],
  ],
];

function run(command, args, { quiet }) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    let output = '';
    if (quiet) for (const stream of [child.stdout, child.stderr]) stream.on('data', (d) => (output += d));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

const pending = checks.map(async ([name, command, args]) => {
  const { code, output } = await run(command, args, { quiet: true });
  process.stdout.write(`${code === 0 ? 'ok' : 'FAILED'}: ${name}\n${output}`);
  return code;
});
const jest = run(bin('jest'), process.argv.slice(2), { quiet: false });
const codes = [...(await Promise.all(pending)), (await jest).code];
process.exit(codes.some((code) => code !== 0) ? 1 : 0);
