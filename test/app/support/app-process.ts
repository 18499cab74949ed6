// Runs the app the way a container does: the esbuild bundle as its own node process.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const REPO = join(__dirname, '../../..');

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

export interface AppProcess {
  child: ChildProcess;
  port: number;
  logs: LogLine[];
  /** Resolves with the first log line carrying `msg`, including one already logged. */
  waitForLog(msg: string): Promise<LogLine>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node <main> serve` on a free loopback port and waits until it listens. */
export async function startAppProcess(main: string, env: Record<string, string> = {}): Promise<AppProcess> {
  const child = spawn(process.execPath, [main, 'serve'], {
    env: { PATH: process.env.PATH, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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
  const listening = await waitForLog('listening');
  return { child, port: listening.port as number, logs, waitForLog, exited };
}
