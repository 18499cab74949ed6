/**
 * Step 4: `cdk destroy --force` of a target's stacks, dependents first, each timed. Stops at the first
 * stack that does not delete: the ones it uses must stay, and the leftover hunt names it.
 */
import * as path from 'node:path';
import { cdkCommand, destroyArgs } from './cdk';
import { cdkEnv, type StackTools } from './deploy';
import { VerifyError, type Recorder } from './runner';

export async function destroy(
  target: string,
  stacks: readonly string[],
  recorder: Recorder,
  tools: StackTools,
): Promise<boolean> {
  const [node, cli] = cdkCommand(tools.root);
  for (const stack of [...stacks].reverse()) {
    const ok = await recorder.check(target, 'destroy', `destroy ${stack}`, async () => {
      const log = path.join(tools.reportDir, `destroy-${stack}.log`);
      const ran = await tools.processes.run(node, [cli, ...destroyArgs(tools.assembly, stack)], {
        env: cdkEnv(tools.region),
        logFile: log,
      });
      if (ran.code !== 0) {
        throw new VerifyError(
          `cdk destroy exited ${ran.code}; the whole output is in ${path.relative(tools.root, log)}`,
          ran.tail.slice(-8),
        );
      }
    });
    if (!ok) return false;
  }
  return true;
}
