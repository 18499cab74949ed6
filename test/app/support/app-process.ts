// Runs the app the way a container does: the esbuild bundle as its own node process.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const REPO = join(__dirname, '../../..');

/** For the hook that calls buildApp: a build takes a fraction of a second, many on a machine busy with other jobs. */
export const BUILD_TIMEOUT_MS = 30_000;

/** Builds app/src with the real build script into a private directory; returns the bundle's path. */
export async function buildApp(): Promise<{ main: string; remove(): Promise<void> }> {
  const outdir = await mkdtemp(join(tmpdir(), 'app-bundle-'));
  await promisify(execFile)(process.execPath, [join(REPO, 'app/build.mjs'), '--outdir', outdir]);
  return { main: join(outdir, 'main.js'), remove: () => rm(outdir, { recursive: true, force: true }) };
}

export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** A command of the bundled app, running: its JSON log lines as they arrive, stderr, and its exit. */
export interface CommandProcess {
  child: ChildProcess;
  logs: LogLine[];
  /** Everything written to stderr so far: a command prints stack traces and fatal messages there. */
  stderr(): string;
  /** Resolves with the first log line carrying `msg`, including one already logged. */
  waitForLog(msg: string): Promise<LogLine>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface AppProcess extends CommandProcess {
  port: number;
}

/** Starts `node <main> <command>` with only `env` (and PATH) in its environment. */
export function startCommand(
  main: string,
  command: string,
  env: Record<string, string> = {},
): CommandProcess {
  const child = spawn(process.execPath, [main, command], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const logs: LogLine[] = [];
  const waiting: { msg: string; resolve(line: LogLine): void }[] = [];
  let buffered = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (buffered + chunk).split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const parsed = JSON.parse(line) as LogLine;
      logs.push(parsed);
      waiting.filter((w) => w.msg === parsed.msg).forEach((w) => w.resolve(parsed));
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitForLog = (msg: string) =>
    new Promise<LogLine>((resolve, reject) => {
      const logged = logs.find((line) => line.msg === msg);
      if (logged) return resolve(logged);
      waiting.push({ msg, resolve });
      void exited.then(() => reject(new Error(`exited without logging "${msg}"`)));
    });
  return { child, logs, stderr: () => stderr, waitForLog, exited };
}

/** Starts `node <main> serve` on a free loopback port and waits until it listens. */
export async function startAppProcess(main: string, env: Record<string, string> = {}): Promise<AppProcess> {
  const server = startCommand(main, 'serve', { PORT: '0', ...env });
  const listening = await server.waitForLog('listening');
  return { ...server, port: listening.port as number };
}

/** Runs `node <main> <command>` to its end: exit code, JSON log lines from stdout, and stderr. */
export function runCommand(
  main: string,
  command: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; logs: LogLine[]; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [main, command],
      { env: { PATH: process.env.PATH, ...env } },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (error.code as number) : 0,
          logs: stdout
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as LogLine),
          stderr,
        }),
    );
  });
}
