// Fakes of what verify talks to: AWS (answers in the shapes of tools/verify/aws/api.ts, which copies
// them from each service's API Reference), the CDK CLI and docker, and the clock. Nothing here reaches
// AWS or deploys anything.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Manifest } from 'aws-cdk-lib/cloud-assembly-schema';
import {
  AwsError,
  type Aws,
  type Input,
  type Operation,
  type Output,
  type Service,
} from '../../../tools/verify/aws/api';
import type { Processes, Ran } from '../../../tools/verify/cdk';
import type { Timings } from '../../../tools/verify/live/context';
import { Recorder, type Check, type Clock } from '../../../tools/verify/runner';

export type Handlers = {
  [S in Service]?: {
    [O in Operation<S>]?: (input: Input<S, O>) => Output<S, O> | Promise<Output<S, O>>;
  };
};

export interface Call {
  service: string;
  operation: string;
  input: unknown;
}

/** An Aws whose operations answer from `handlers`; any other call fails the check that makes it. */
export function fakeAws(handlers: Handlers, region = 'eu-west-1'): Aws & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    region,
    calls,
    async call(service, operation, input) {
      calls.push({ service, operation, input });
      const handler = (
        handlers[service] as Record<string, ((input: unknown) => unknown) | undefined> | undefined
      )?.[operation];
      if (!handler) throw new Error(`unexpected call: ${service} ${operation}`);
      return (await handler(input)) as never;
    },
  };
}

/** What the SDK throws for an error AWS answered: `code` as the SDK names it. */
export function awsError(code: string, message: string): AwsError {
  return new AwsError('fake', 'operation', code, message);
}

/** Answers each call with the next of `answers`, the last one from then on. */
export function sequence<I, T>(...answers: T[]): (input: I) => T {
  let next = 0;
  return () => answers[Math.min(next++, answers.length - 1)];
}

/** A clock whose sleeps return at once and move time on: polls reach their bounds without waiting. */
export function fakeClock(): Clock {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  };
}

export function fakeRecorder(signal = new AbortController().signal): Recorder {
  return new Recorder(fakeClock(), signal);
}

export const byName = (checks: readonly Check[], name: string): Check | undefined =>
  checks.find((c) => c.name === name);

/** Writes a cloud assembly as `cdk synth` would: `stacks` maps each stack to the stacks it depends on. */
export function writeAssembly(
  dir: string,
  stacks: Record<string, string[]>,
  templates: Record<string, object> = {},
): void {
  fs.mkdirSync(dir, { recursive: true });
  const artifacts: Record<string, object> = {};
  for (const [name, dependencies] of Object.entries(stacks)) {
    fs.writeFileSync(
      path.join(dir, `${name}.template.json`),
      JSON.stringify(templates[name] ?? { Resources: {} }),
    );
    artifacts[name] = {
      type: 'aws:cloudformation:stack',
      environment: 'aws://unknown-account/unknown-region',
      properties: { templateFile: `${name}.template.json` },
      dependencies,
    };
  }
  fs.writeFileSync(
    path.join(dir, 'manifest.json'),
    JSON.stringify({ version: Manifest.version(), artifacts }),
  );
}

export interface ProcessCall {
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
}

/**
 * Processes that answer like docker and the CDK CLI: `synth` writes `assembly`, `deploy` writes the
 * stack's outputs file from `outputs`. `answer` may override any call, e.g. to fail one deploy.
 */
export function fakeProcesses(options: {
  assembly?: Record<string, string[]>;
  templates?: Record<string, object>;
  outputs?: Record<string, Record<string, string>>;
  answer?: (call: ProcessCall) => Ran | undefined;
}): Processes & { calls: ProcessCall[] } {
  const calls: ProcessCall[] = [];
  return {
    calls,
    async run(command, args, { env }) {
      const call = { command, args, env };
      calls.push(call);
      const override = options.answer?.(call);
      if (override) return override;
      if (command === 'docker') return { code: 0, tail: ['29.1.0'] };
      const [, subcommand] = args;
      if (subcommand === 'synth')
        writeAssembly(args[args.indexOf('--output') + 1], options.assembly ?? {}, options.templates);
      if (subcommand === 'deploy') {
        const stack = args[args.length - 1];
        const file = args[args.indexOf('--outputs-file') + 1];
        fs.writeFileSync(file, JSON.stringify({ [stack]: options.outputs?.[stack] ?? {} }));
      }
      return { code: 0, tail: [] };
    },
  };
}

/** The CDK subcommand and stack of each CLI call: `deploy coa-ecs`. */
export function cdkCalls(calls: readonly ProcessCall[]): string[] {
  return calls
    .filter((c) => c.command !== 'docker')
    .map((c) => `${c.args[1]}${c.args[1] === 'synth' ? '' : ` ${c.args.at(-1)}`}`);
}

/** An address where nothing listens (port 9, discard): the HTTP checks against it fail at once. */
export const NOWHERE = 'http://127.0.0.1:9/';

/** Bounds for tests: HTTP fails fast against NOWHERE; the AWS polls are decided by the fakes' answers. */
export const TEST_TIMINGS: Timings = {
  http: { requestMs: 1_000, readyMs: 1, replicasMs: 1, intervalMs: 1 },
  steadyMs: 60_000,
  scanMs: 60_000,
  patternsMs: 60_000,
  deploymentMs: 60_000,
  settleMs: 60_000,
  intervalMs: 10_000,
};
