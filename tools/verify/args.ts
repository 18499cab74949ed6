/**
 * The command line, checked before anything runs: targets, options and `-c key=value` context, which
 * goes through the project's own configuration check (lib/config.ts) with the context of cdk.json.
 */
import { ConfigError, loadConfig, type AppConfig } from '../../lib/config';
import { AWS_TARGETS, isAwsTarget, TARGET_NAMES, type AwsTarget } from './targets';

export const USAGE = `usage: npm run verify -- <target...> [options] [-c key=value ...]

Deploys each target's stacks to the account and region of your AWS credentials, checks them live,
destroys them and hunts for anything left behind. Reports go to verify-report/.

targets:
  ecs, ecs-patterns, eks, apprunner, express
  all                   every one of those, in that order
  local                 the app as two processes on this machine, no AWS (on its own)

options:
  --yes                 do not ask before deploying (CI)
  --keep                do not destroy; local: leave the app running and print its URL
  --deep                also force a new deployment of each ECS service under load, counting failed requests
  --apprunner-customer  this account uses App Runner already, even if it has no service in this region
  -c, --context key=value
                        configuration, as for cdk synth: validated by lib/config.ts
  -h, --help            this message
`;

const FLAGS = ['--yes', '--keep', '--deep', '--apprunner-customer'] as const;

/** Bad command line: the message names what was wrong and what is allowed. Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface Options {
  /** `local`, or AWS targets in order. */
  readonly targets: readonly ('local' | AwsTarget)[];
  readonly yes: boolean;
  readonly keep: boolean;
  readonly deep: boolean;
  readonly appRunnerCustomer: boolean;
  /** The `-c` context handed to `cdk synth`: the user's, and what verify sets. */
  readonly context: Readonly<Record<string, string>>;
  /** The validated configuration of that context over cdk.json's. */
  readonly config: AppConfig;
  readonly help: boolean;
}

/**
 * `argv`: the arguments after `--`; `cdkJsonContext`: cdk.json's "context". Throws UsageError for an
 * unknown target or option, and for a configuration lib/config.ts refuses, with its message.
 */
export function parseArgs(
  argv: readonly string[],
  cdkJsonContext: Readonly<Record<string, unknown>>,
): Options {
  const names: string[] = [];
  const flags = new Set<string>();
  const context: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') flags.add('--help');
    else if ((FLAGS as readonly string[]).includes(arg)) flags.add(arg);
    else if (arg === '-c' || arg === '--context') {
      const pair = argv[++i];
      const match = pair === undefined ? null : /^([^=]+)=(.*)$/s.exec(pair);
      if (!match)
        throw new UsageError(`${arg} takes key=value, got ${pair === undefined ? 'nothing' : `"${pair}"`}`);
      context[match[1]] = match[2];
    } else if (arg.startsWith('-')) {
      throw new UsageError(
        `unknown option "${arg}"; allowed: ${[...FLAGS, '-c key=value', '--help'].join(', ')}`,
      );
    } else if (TARGET_NAMES.includes(arg)) names.push(arg);
    else throw new UsageError(`unknown target "${arg}"; allowed: ${TARGET_NAMES.join(', ')}`);
  }
  const help = flags.has('--help');
  if (names.length === 0 && !help)
    throw new UsageError(`no target given; allowed: ${TARGET_NAMES.join(', ')}`);
  if (names.includes('local') && names.length > 1) {
    throw new UsageError('local checks the app on this machine without AWS: give it as the only target');
  }
  const targets = [
    ...new Set(names.flatMap((name) => (name === 'all' ? Object.keys(AWS_TARGETS) : [name]))),
  ] as ('local' | AwsTarget)[];

  if ('platforms' in context) {
    throw new UsageError('-c platforms: verify deploys the platforms of its targets; name targets instead');
  }
  const awsTargets = targets.filter(isAwsTarget);
  const ownContext: Record<string, string> = {};
  if (awsTargets.length > 0) {
    ownContext.platforms = [...new Set(awsTargets.flatMap((target) => AWS_TARGETS[target]))].join(',');
    // the shared storage check needs a second pod to read what the first one wrote
    if (awsTargets.includes('eks') && !('eksAppMinReplicas' in context)) ownContext.eksAppMinReplicas = '2';
  }
  const runContext = { ...context, ...ownContext };

  const merged = { ...cdkJsonContext, ...runContext };
  if (merged.stage === 'production') {
    throw new UsageError(
      'stage: got "production"; verify deploys and destroys, so it runs the sandbox stage only: drop -c stage=production',
    );
  }
  let config: AppConfig;
  try {
    config = loadConfig(merged);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  return {
    targets,
    yes: flags.has('--yes'),
    keep: flags.has('--keep'),
    deep: flags.has('--deep'),
    appRunnerCustomer: flags.has('--apprunner-customer'),
    context: runContext,
    config,
    help,
  };
}
