/**
 * A run, step by step: preflight once, then for each AWS target deploy, live checks, destroy and the
 * leftover hunt; or `local`. Every AWS call, command and wait goes through the tools it is handed.
 */
import type { Options } from './args';
import { ASSEMBLY_DIR } from './cdk';
import { deploy, type Deployed } from './deploy';
import { destroy } from './destroy';
import { leftoverCheck, takeInventory } from './leftovers';
import { appChecks, type HttpTimings } from './app-checks';
import { LiveContext, type Timings } from './live/context';
import { LIVE_CHECKS } from './live/index';
import { buildBundle, localApp, startLocal } from './local';
import { preflight, type Plan, type PreflightTools } from './preflight';
import { describe, Interrupted, type Recorder } from './runner';
import { isAwsTarget, type AwsTarget } from './targets';

export interface VerifyTools extends PreflightTools {
  readonly timings: Timings;
  /** Ctrl-C: aborted on the first one. */
  readonly signal: AbortSignal;
  /** Whether someone can answer a question: stdin is a terminal. */
  readonly interactive: boolean;
  /** Asks a yes/no question; `fallback` is the answer to a plain Enter. */
  ask(question: string, fallback: boolean): Promise<boolean>;
  print(text: string): void;
  /** What stands in AWS right now, kept up to date for a second Ctrl-C to report. */
  readonly standing: Set<string>;
}

export interface Ran {
  readonly account?: string;
  readonly region?: string;
}

export async function verifyAws(options: Options, recorder: Recorder, tools: VerifyTools): Promise<Ran> {
  const targets = options.targets.filter(isAwsTarget);
  const plan = await preflight(options, targets, recorder, tools);
  if (!plan) return {};
  const ran = { account: plan.account, region: plan.region };
  for (const [target, reason] of plan.skip) {
    recorder.record(target, 'deploy', 'target skipped', 'skip', reason);
  }
  const toRun = targets.filter((target) => !plan.skip.has(target));
  if (toRun.length === 0 || !(await confirmed(options, toRun, plan, recorder, tools))) return ran;

  const stackTools = { ...tools, assembly: plan.assembly, region: plan.region };
  // destroy and the hunt go on after Ctrl-C
  const cleanup = recorder.withSignal(new AbortController().signal);
  for (const target of toRun) {
    const stacks = plan.stacks.get(target)!;
    let deployed: Deployed | undefined;
    let interrupted = false;
    try {
      stacks.forEach((stack) => tools.standing.add(stack));
      deployed = await deploy(target, stacks, recorder, stackTools);
      if (tools.signal.aborted) throw new Interrupted();
      if (deployed.ok) await liveChecks(target, stacks, deployed, plan, options, recorder, tools.timings);
    } catch (error) {
      if (!(error instanceof Interrupted)) throw error;
      interrupted = true;
    }
    const created = deployed?.attempted ?? stacks;
    if (options.keep) {
      tools.print(
        `--keep: ${created.join(', ')} stay deployed; remove them with: ${destroyCommand(created)}`,
      );
      if (interrupted) break;
      continue;
    }
    if (interrupted && !(await destroyAfterInterrupt(created, options, cleanup, target, tools))) break;
    const inventory = await takeInventory(plan.aws, created).catch((error: unknown) => {
      const reason = `${describe(error)}: the hunt will not look inside the VPC or the clusters`;
      cleanup.record(target, 'destroy', 'inventory before destroy', 'fail', reason);
      return { vpcs: [], ecsClusters: [], eksClusters: [], appRunnerServices: [] };
    });
    const destroyed = await destroy(target, created, cleanup, stackTools);
    if (destroyed) created.forEach((stack) => tools.standing.delete(stack));
    const scope = { stage: options.config.stage, stacks: created, inventory };
    await leftoverCheck(cleanup, target, plan.aws, scope, tools.timings);
    // a next target would deploy into the stacks still standing, and fail to destroy them in turn
    if (interrupted || !destroyed) break;
  }
  return ran;
}

/** The app's HTTP checks with no AWS: two replicas of the bundled app on one temporary directory. */
export async function verifyLocal(
  options: Options,
  recorder: Recorder,
  tools: VerifyTools,
  timings: HttpTimings,
): Promise<void> {
  let bundle: Awaited<ReturnType<typeof buildBundle>> | undefined;
  let app: Awaited<ReturnType<typeof startLocal>> | undefined;
  await recorder.check('local', 'deploy', 'app built, two replicas on one volume', async ({ evidence }) => {
    bundle = await buildBundle(tools.root);
    app = await startLocal(bundle.main);
    evidence(`replicas ${app.replicaUrls.join(', ')} on ${app.volume}, behind ${app.url}`);
  });
  try {
    if (app) await appChecks(recorder, 'local', localApp(app), timings);
    if (app && options.keep) {
      tools.print(`\nThe app runs at ${app.url} (two replicas, one guestbook). Ctrl-C stops it.`);
      await new Promise((resolve) => tools.signal.addEventListener('abort', resolve, { once: true }));
    }
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error;
  } finally {
    await app?.stop();
    await bundle?.remove();
  }
}

async function confirmed(
  options: Options,
  targets: readonly AwsTarget[],
  plan: Plan,
  recorder: Recorder,
  tools: VerifyTools,
): Promise<boolean> {
  if (options.yes) return true;
  const fail = (reason: string) => recorder.record('run', 'preflight', 'confirmation', 'fail', reason);
  if (!tools.interactive) {
    fail('nothing deployed: no terminal to ask, add --yes to deploy without asking');
    return false;
  }
  const hourly = Math.max(...targets.map((target) => plan.hourly.get(target) ?? 0));
  const yes = await tools.ask(
    `Deploy ${targets.join(', ')} one after the other into account ${plan.account}, ${plan.region}: ` +
      `up to $${hourly.toFixed(2)}/hour at rest while one stands, ${options.keep ? 'left standing (--keep)' : 'destroyed after its checks'}. Go on? [y/N] `,
    false,
  );
  if (!yes) fail('declined: nothing was deployed');
  return yes;
}

async function destroyAfterInterrupt(
  created: readonly string[],
  options: Options,
  recorder: Recorder,
  target: string,
  tools: VerifyTools,
): Promise<boolean> {
  const destroyNow =
    options.yes ||
    (tools.interactive &&
      (await tools.ask(`\nInterrupted. Destroy ${created.join(', ')} now? [Y/n] `, true)));
  if (!destroyNow) {
    recorder.record(target, 'destroy', 'interrupted', 'fail', 'Ctrl-C, destroy declined', [
      `still deployed: ${created.join(', ')}`,
      `remove them with: ${destroyCommand(created)}`,
    ]);
  }
  return destroyNow;
}

async function liveChecks(
  target: AwsTarget,
  stacks: readonly string[],
  deployed: Deployed,
  plan: Plan,
  options: Options,
  recorder: Recorder,
  timings: Timings,
): Promise<void> {
  const live = new LiveContext(
    recorder,
    target,
    plan.aws,
    options.config,
    deployed.outputs,
    timings,
    options.deep,
  );
  for (const stack of stacks) {
    const checks = LIVE_CHECKS[stack.slice(options.config.prefix.length + 1)];
    // a check failing before it could start (an output missing) fails the stack's checks
    await checks?.(live).catch((error: unknown) => {
      if (error instanceof Interrupted) throw error;
      recorder.record(target, 'live', `live checks of ${stack}`, 'fail', describe(error));
    });
  }
}

/** What a user types to remove stacks verify left standing. */
export function destroyCommand(stacks: readonly string[]): string {
  return `npx cdk destroy --app ${ASSEMBLY_DIR} --force ${[...stacks].reverse().join(' ')}`;
}
