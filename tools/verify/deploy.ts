/**
 * Step 2: `cdk deploy` of a target's stacks, one at a time in dependency order, each timed, each
 * writing its outputs. Stops at the first stack that fails: the ones after it need it.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { cdkCommand, deployArgs, type Processes } from './cdk';
import type { Outputs } from './live/context';
import { VerifyError, type Recorder } from './runner';

export interface StackTools {
  readonly processes: Processes;
  readonly root: string;
  readonly reportDir: string;
  /** The synthesized assembly of the run. */
  readonly assembly: string;
  /** The region the CLI deploys to: the one preflight checked. */
  readonly region: string;
}

/** The environment of every CDK CLI run: the region preflight checked, whatever the profile says. */
export function cdkEnv(region: string): NodeJS.ProcessEnv {
  return { AWS_REGION: region, AWS_DEFAULT_REGION: region, CI: 'true' };
}

export interface Deployed {
  /** Every stack cdk deploy was started for, the failed one included: it may have created resources. */
  readonly attempted: readonly string[];
  readonly outputs: Outputs;
  readonly ok: boolean;
}

export async function deploy(
  target: string,
  stacks: readonly string[],
  recorder: Recorder,
  tools: StackTools,
): Promise<Deployed> {
  const [node, cli] = cdkCommand(tools.root);
  const attempted: string[] = [];
  const outputs: Record<string, Record<string, string>> = {};
  for (const stack of stacks) {
    attempted.push(stack);
    const ok = await recorder.check(target, 'deploy', `deploy ${stack}`, async ({ evidence }) => {
      const outputsFile = path.join(tools.reportDir, `outputs-${stack}.json`);
      const log = path.join(tools.reportDir, `deploy-${stack}.log`);
      const ran = await tools.processes.run(node, [cli, ...deployArgs(tools.assembly, stack, outputsFile)], {
        env: cdkEnv(tools.region),
        logFile: log,
      });
      if (ran.code !== 0) {
        throw new VerifyError(
          `cdk deploy exited ${ran.code}; the whole output is in ${path.relative(tools.root, log)}`,
          ran.tail.slice(-8),
        );
      }
      const written = JSON.parse(await readFile(outputsFile, 'utf8')) as Outputs;
      outputs[stack] = { ...written[stack] };
      for (const [key, value] of Object.entries(outputs[stack])) evidence(`${key} = ${value}`);
    });
    if (!ok) return { attempted, outputs, ok: false };
  }
  return { attempted, outputs, ok: true };
}
