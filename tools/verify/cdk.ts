/**
 * The pinned CDK CLI (node_modules/aws-cdk), as argument arrays. Verify synthesizes once, into its own
 * cloud assembly, then deploys and destroys that assembly one stack at a time (`--exclusively`): what
 * was priced in preflight is exactly what is deployed, and each stack's time is its own.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

/** Where verify synthesizes the run's cloud assembly, relative to the repository: ignored like the rest of build/. */
export const ASSEMBLY_DIR = 'build/verify.out';

/** `cdk synth` of the app with the run's context, into `outdir`. */
export function synthArgs(outdir: string, context: Readonly<Record<string, string>>): string[] {
  return ['synth', '--quiet', '--output', outdir, ...contextArgs(context)];
}

export function deployArgs(assembly: string, stack: string, outputsFile: string): string[] {
  return [
    'deploy',
    '--app',
    assembly,
    '--exclusively',
    '--require-approval',
    'never',
    '--progress',
    'events',
    '--outputs-file',
    outputsFile,
    stack,
  ];
}

export function destroyArgs(assembly: string, stack: string): string[] {
  return ['destroy', '--app', assembly, '--exclusively', '--force', stack];
}

function contextArgs(context: Readonly<Record<string, string>>): string[] {
  return Object.entries(context).flatMap(([key, value]) => ['-c', `${key}=${value}`]);
}

/** A command that ran: its exit code and the end of what it printed. */
export interface Ran {
  readonly code: number;
  /** The last lines of stdout and stderr together, for a failure's evidence. */
  readonly tail: readonly string[];
}

/** Runs commands: the CDK CLI and `docker info`. Injected, so tests assert the argument arrays. */
export interface Processes {
  /** Runs `command args` in `cwd`, writing everything it prints to `logFile` when given. */
  run(
    command: string,
    args: readonly string[],
    options: { env?: NodeJS.ProcessEnv; logFile?: string },
  ): Promise<Ran>;
}

/** The CLI of node_modules/aws-cdk, started with this node. */
export function cdkCommand(root: string): [string, string] {
  return [process.execPath, require.resolve('aws-cdk/bin/cdk', { paths: [root] })];
}

export function realProcesses(cwd: string): Processes {
  return {
    run: (command, args, { env, logFile }) =>
      new Promise((resolve) => {
        const child = spawn(command, args, {
          cwd,
          env: { ...process.env, ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const log = logFile ? createWriteStream(logFile) : undefined;
        const lines: string[] = [];
        const keep = (chunk: Buffer) => {
          log?.write(chunk);
          lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
          lines.splice(0, Math.max(0, lines.length - 20));
        };
        child.stdout.on('data', keep);
        child.stderr.on('data', keep);
        child.on('error', (error) => resolve({ code: 127, tail: [error.message] }));
        child.on('close', (code) => {
          log?.end();
          resolve({ code: code ?? 1, tail: lines });
        });
      }),
  };
}
