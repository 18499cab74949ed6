/**
 * `npm run verify -- <target...> [options] [-c key=value ...]`: proves a deploy. For each AWS target:
 * preflight, deploy, live checks, destroy, leftover hunt, report. `local`: the app's checks on this
 * machine. Exit code 0 only when every check passed and nothing was left behind; 2 for a bad command line.
 */
import { readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs, UsageError, USAGE, type Options } from './args';
import { sdkAws } from './aws/sdk';
import { ASSEMBLY_DIR, realProcesses } from './cdk';
import { DEFAULT_TIMINGS } from './live/context';
import { formatCheck, summary, writeReport } from './report';
import { describe, Recorder, realClock } from './runner';
import { destroyCommand, verifyAws, verifyLocal, type VerifyTools } from './verify';

// build/verify.js sits one folder below the repository root
const root = path.resolve(__dirname, '..');
const reportDir = path.join(root, 'verify-report');
/** Loopback answers in milliseconds: local waits seconds, not the minutes a new load balancer may need. */
const LOCAL_TIMINGS = { requestMs: 5_000, readyMs: 10_000, replicasMs: 10_000, intervalMs: 100 };

async function main(argv: readonly string[]): Promise<number> {
  let options: Options;
  try {
    const cdkJson = JSON.parse(readFileSync(path.join(root, 'cdk.json'), 'utf8')) as {
      context?: Record<string, unknown>;
    };
    options = parseArgs(argv, cdkJson.context ?? {});
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`verify: ${error.message}\n\nnpm run verify -- --help lists targets and options\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }

  const interrupt = new AbortController();
  const standing = new Set<string>();
  /** The question being asked, if any: Ctrl-C answers it "no". */
  let asking: AbortController | undefined;
  const onInterrupt = () => {
    if (!interrupt.signal.aborted) {
      process.stderr.write('\nverify: stopping (Ctrl-C again to quit at once)\n');
      interrupt.abort();
      asking?.abort();
      return;
    }
    if (standing.size > 0) {
      process.stderr.write(
        `\nverify: quit; may still be deployed: ${[...standing].join(', ')}\nremove with: ${destroyCommand([...standing])}\n`,
      );
    }
    process.exit(130);
  };
  process.on('SIGINT', onInterrupt);

  await rm(reportDir, { recursive: true, force: true });
  await mkdir(reportDir, { recursive: true });
  const recorder = new Recorder(realClock, interrupt.signal, (check) =>
    process.stdout.write(`${formatCheck(check)}\n`),
  );
  const readline = process.stdin.isTTY
    ? createInterface({ input: process.stdin, output: process.stdout })
    : undefined;
  // in a terminal, readline receives Ctrl-C itself
  readline?.on('SIGINT', onInterrupt);
  const tools: VerifyTools = {
    connect: () => sdkAws(options.config.env?.region),
    processes: realProcesses(root),
    root,
    reportDir,
    assemblyDir: path.join(root, ASSEMBLY_DIR),
    docker: process.env.CDK_DOCKER ?? 'docker',
    timings: DEFAULT_TIMINGS,
    signal: interrupt.signal,
    interactive: readline !== undefined,
    ask: async (question, fallback) => {
      asking = new AbortController();
      try {
        const answer = ((await readline?.question(question, { signal: asking.signal })) ?? '')
          .trim()
          .toLowerCase();
        return answer === '' ? fallback : answer.startsWith('y');
      } catch {
        return false;
      } finally {
        asking = undefined;
      }
    },
    print: (text) => process.stdout.write(`${text}\n`),
    standing,
  };

  const startedAt = new Date().toISOString();
  let ran = {};
  try {
    if (options.targets.includes('local')) await verifyLocal(options, recorder, tools, LOCAL_TIMINGS);
    else ran = await verifyAws(options, recorder, tools);
  } finally {
    readline?.close();
  }
  const exitCode = recorder.passed() && recorder.checks.length > 0 ? 0 : 1;
  const report = {
    command: `npm run verify -- ${argv.join(' ')}`,
    startedAt,
    ...ran,
    checks: recorder.checks,
    exitCode,
  };
  const files = await writeReport(reportDir, report);
  process.stdout.write(
    `\n${summary(report)}\nreport: ${files.map((f) => path.relative(root, f)).join(', ')}\n`,
  );
  return exitCode;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // anything unexpected still ends in one line, not a stack trace
    process.stderr.write(`verify: ${describe(error)}\n`);
    process.exit(1);
  },
);
