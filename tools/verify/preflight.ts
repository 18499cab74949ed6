/**
 * Step 1, before anything is created: who and where (credentials, account, region), whether CDK can
 * deploy there (bootstrap stack, Docker for the image asset, the service-linked roles the stacks need),
 * whether App Runner takes this account, and what the run will cost at rest, priced by the project's
 * own estimate (tools/cost) from the very templates it will deploy.
 */
import * as path from 'node:path';
import { CloudAssembly, CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import type { AppConfig } from '../../lib/config';
import { PRICE_FILE } from '../cost/assembly-report';
import { estimateStack, HOURS_PER_MONTH, loadPriceTable, sumHourly } from '../cost/estimate';
import { withDependencies } from '../cost/report';
import type { Options } from './args';
import { isAwsError, type Aws } from './aws/api';
import { cdkCommand, synthArgs, type Processes } from './cdk';
import { Skip, VerifyError, type Recorder } from './runner';
import { stackOf, type AwsTarget } from './targets';

export interface Plan {
  readonly account: string;
  readonly region: string;
  readonly aws: Aws;
  /** The synthesized cloud assembly every deploy and destroy uses. */
  readonly assembly: string;
  /** Each target's stacks, dependencies first. */
  readonly stacks: ReadonlyMap<AwsTarget, readonly string[]>;
  /** Targets preflight found cannot run here, with why (App Runner closed to this account). */
  readonly skip: ReadonlyMap<AwsTarget, string>;
  /** Each target's stacks at rest, $/hour. */
  readonly hourly: ReadonlyMap<AwsTarget, number>;
}

export interface PreflightTools {
  /** The AWS of the caller's credentials: rejects with an AwsError when there is no region. */
  connect(): Promise<Aws>;
  readonly processes: Processes;
  readonly root: string;
  readonly reportDir: string;
  /** Where the run's cloud assembly goes: build/verify.out (ASSEMBLY_DIR) under the repository. */
  readonly assemblyDir: string;
  /** `docker`, or CDK_DOCKER as the CDK CLI reads it. */
  readonly docker: string;
}

const BOOTSTRAP_STACK = 'CDKToolkit';
const STEP = 'preflight';

/** Runs every preflight check; resolves with the plan, or undefined when one failed. */
export async function preflight(
  options: Options,
  targets: readonly AwsTarget[],
  recorder: Recorder,
  tools: PreflightTools,
): Promise<Plan | undefined> {
  const check = (name: string, body: Parameters<Recorder['check']>[3]) =>
    recorder.check('run', STEP, name, body);
  const { config } = options;
  let aws: Aws | undefined;
  let account = '';

  const identified = await check('credentials', async ({ evidence }) => {
    aws = await tools.connect().catch((error: unknown) => {
      throw new VerifyError(
        `no AWS region: set AWS_REGION or a region in your profile (${describeAws(error)})`,
      );
    });
    const identity = await aws.call('sts', 'GetCallerIdentity', {}).catch((error: unknown) => {
      throw new VerifyError(
        `no usable AWS credentials (${describeAws(error)}): sign in (aws sso login, aws configure) or set AWS_PROFILE`,
      );
    });
    account = identity.Account ?? '';
    evidence(`account ${account}, region ${aws.region}, as ${identity.Arn}`);
    if (config.env && (config.env.account !== account || config.env.region !== aws.region)) {
      throw new VerifyError(
        `-c account=${config.env.account} -c region=${config.env.region}, but the credentials are for account ${account} in ${aws.region}`,
      );
    }
  });
  if (!identified || !aws) return undefined;
  const connected: Aws = aws;

  const ready = [
    await check('CDK bootstrap stack present', async ({ evidence }) => {
      const stack = await describeStack(connected, BOOTSTRAP_STACK);
      if (!stack || !/^(CREATE|UPDATE|UPDATE_ROLLBACK|IMPORT)_COMPLETE$/.test(stack.status)) {
        throw new VerifyError(
          `${BOOTSTRAP_STACK} is ${stack ? stack.status : 'missing'} in ${connected.region}: run npx cdk bootstrap aws://${account}/${connected.region}`,
        );
      }
      evidence(`${BOOTSTRAP_STACK}: ${stack.status}`);
    }),
    await check('Docker engine reachable', async ({ evidence }) => {
      const { code, tail } = await tools.processes.run(
        tools.docker,
        ['info', '--format', '{{.ServerVersion}}'],
        {},
      );
      if (code !== 0) {
        throw new VerifyError(
          `\`${tools.docker} info\` exited ${code} (${tail.at(-1) ?? 'no output'}): cdk deploy builds the app image on this machine and needs a running Docker engine`,
        );
      }
      evidence(`Docker engine ${tail.at(-1)}`);
    }),
    await check('service-linked roles exist', async ({ evidence }) => {
      const needed = [...new Set(targets.flatMap((target) => serviceLinkedRoles(target, config)))];
      const missing: string[] = [];
      for (const role of needed) {
        const found = await connected
          .call('iam', 'GetRole', { RoleName: role.name })
          .catch((error: unknown) => {
            if (isAwsError(error, 'NoSuchEntityException')) return undefined;
            throw error;
          });
        if (found) evidence(`${role.name}: present`);
        else {
          missing.push(role.name);
          evidence(
            `${role.name}: missing; create it with: aws iam create-service-linked-role --aws-service-name ${role.service}`,
          );
        }
      }
      if (missing.length > 0)
        throw new VerifyError(`missing: ${missing.join(', ')} (the commands are in the evidence)`);
    }),
  ];

  const skip = new Map<AwsTarget, string>();
  if (targets.includes('apprunner')) {
    await check('App Runner available to this account', async ({ evidence }) => {
      const reason = await appRunnerUnavailable(connected, options.appRunnerCustomer);
      if (reason) {
        skip.set('apprunner', reason);
        throw new Skip(`apprunner will be skipped: ${reason}`);
      }
      evidence(
        options.appRunnerCustomer
          ? '--apprunner-customer given'
          : 'App Runner services listed in this region',
      );
    });
  }

  const assembly = tools.assemblyDir;
  const stacks = new Map<AwsTarget, string[]>();
  const hourly = new Map<AwsTarget, number>();
  ready.push(
    await check('synthesized and priced at rest', async ({ evidence }) => {
      const [node, cli] = cdkCommand(tools.root);
      const synth = await tools.processes.run(node, [cli, ...synthArgs(assembly, options.context)], {
        logFile: path.join(tools.reportDir, 'synth.log'),
      });
      if (synth.code !== 0) throw new VerifyError(`cdk synth exited ${synth.code}`, synth.tail);
      const priced = priceTargets(tools.root, assembly, config, targets);
      const prices = loadPriceTable(path.join(tools.root, PRICE_FILE));
      for (const { target, stacks: names, hourly: perHour } of priced) {
        stacks.set(target, names);
        hourly.set(target, perHour);
        evidence(
          `${target}: ${names.join(', ')}: $${perHour.toFixed(4)}/hour, $${(perHour * HOURS_PER_MONTH).toFixed(2)}/month at rest`,
        );
      }
      evidence(
        `${prices.region} list prices of ${prices.date} (${PRICE_FILE}); usage such as data transfer and LCUs comes on top`,
      );
    }),
  );

  ready.push(
    await check('no stack of the run is busy', async ({ evidence }) => {
      const busy: string[] = [];
      for (const name of new Set([...stacks.values()].flat())) {
        const stack = await describeStack(connected, name);
        if (!stack) continue;
        evidence(`${name} exists already (${stack.status}): verify updates it, then destroys it`);
        if (stack.status.endsWith('_IN_PROGRESS')) busy.push(`${name} (${stack.status})`);
      }
      if (busy.length > 0) throw new VerifyError(`wait for ${busy.join(', ')} to finish first`);
    }),
  );

  if (!ready.every(Boolean)) return undefined;
  return { account, region: connected.region, aws: connected, assembly, stacks, skip, hourly };
}

export interface PricedTarget {
  readonly target: AwsTarget;
  readonly stacks: string[];
  readonly hourly: number;
}

/** Each target's stacks in deploy order, from the synthesized assembly, priced by tools/cost. */
export function priceTargets(
  root: string,
  assemblyDir: string,
  config: AppConfig,
  targets: readonly AwsTarget[],
): PricedTarget[] {
  const assembly = new CloudAssembly(assemblyDir);
  const artifacts = assembly.artifacts.filter(
    (a): a is CloudFormationStackArtifact => a instanceof CloudFormationStackArtifact,
  );
  const names = new Set(artifacts.map((a) => a.stackName));
  // asset manifests are dependencies too: keep the stacks
  const dependencies = Object.fromEntries(
    artifacts.map((a) => [
      a.stackName,
      a.dependencies.filter((d) => d instanceof CloudFormationStackArtifact).map((d) => d.stackName),
    ]),
  );
  const prices = loadPriceTable(path.join(root, PRICE_FILE));
  return targets.map((target) => {
    const stack = stackOf(config.prefix, target);
    if (!names.has(stack)) {
      throw new VerifyError(
        `the app synthesized no stack ${stack} with this configuration (stacks: ${[...names].join(', ')})`,
      );
    }
    const wanted = new Set([stack, ...withDependencies(stack, dependencies)]);
    // the manifest lists artifacts dependencies first
    const ordered = artifacts.filter((a) => wanted.has(a.stackName));
    return {
      target,
      stacks: ordered.map((a) => a.stackName),
      hourly: sumHourly(ordered.map((a) => estimateStack(a.stackName, a.template, prices))),
    };
  });
}

/** A stack's status, or undefined when it does not exist (CloudFormation answers ValidationError). */
export async function describeStack(
  aws: Aws,
  name: string,
): Promise<{ status: string; reason?: string } | undefined> {
  try {
    const [stack] = (await aws.call('cloudformation', 'DescribeStacks', { StackName: name })).Stacks ?? [];
    return stack ? { status: stack.StackStatus ?? 'UNKNOWN', reason: stack.StackStatusReason } : undefined;
  } catch (error) {
    if (isAwsError(error, 'ValidationError') && /does not exist/.test(error.message)) return undefined;
    throw error;
  }
}

interface ServiceLinkedRole {
  readonly name: string;
  /** For `aws iam create-service-linked-role --aws-service-name`. */
  readonly service: string;
}

const ROLES = {
  ecs: { name: 'AWSServiceRoleForECS', service: 'ecs.amazonaws.com' },
  autoScaling: { name: 'AWSServiceRoleForAutoScaling', service: 'autoscaling.amazonaws.com' },
  loadBalancing: {
    name: 'AWSServiceRoleForElasticLoadBalancing',
    service: 'elasticloadbalancing.amazonaws.com',
  },
  spot: { name: 'AWSServiceRoleForEC2Spot', service: 'spot.amazonaws.com' },
  eks: { name: 'AWSServiceRoleForAmazonEKS', service: 'eks.amazonaws.com' },
  eksNodegroup: { name: 'AWSServiceRoleForAmazonEKSNodegroup', service: 'eks-nodegroup.amazonaws.com' },
} satisfies Record<string, ServiceLinkedRole>;

/** The service-linked roles a target's stacks need in the account before they can deploy. */
export function serviceLinkedRoles(target: AwsTarget, config: AppConfig): ServiceLinkedRole[] {
  switch (target) {
    case 'ecs':
    case 'ecs-patterns':
      return [ROLES.ecs, ROLES.autoScaling, ROLES.loadBalancing, ...(config.ecs.spot ? [ROLES.spot] : [])];
    case 'eks': {
      const types = config.eks.nodeTypes;
      const nodegroups = types.includes('managed') || types.includes('spot');
      return [
        ROLES.eks,
        ROLES.loadBalancing,
        ...(nodegroups ? [ROLES.eksNodegroup] : []),
        ...(nodegroups || types.includes('selfManaged') ? [ROLES.autoScaling] : []),
        ...(types.includes('spot') ? [ROLES.spot] : []),
      ];
    }
    case 'express':
      return [ROLES.ecs, ROLES.loadBalancing];
    case 'apprunner':
      return [];
  }
}

/**
 * Why App Runner cannot be verified here, or undefined when it can. App Runner has been closed to new
 * customers since 30 April 2026 and its API has no "may I" call: an account that lists services is a
 * customer; one that lists none may be new, unless the user says otherwise.
 */
async function appRunnerUnavailable(aws: Aws, customer: boolean): Promise<string | undefined> {
  let services: number;
  try {
    services = (await aws.call('apprunner', 'ListServices', {})).ServiceSummaryList?.length ?? 0;
  } catch (error) {
    return `App Runner refused ListServices in ${aws.region} (${describeAws(error)})`;
  }
  if (services > 0 || customer) return undefined;
  return (
    `no App Runner service in ${aws.region}, and App Runner takes existing customers only since 30 April 2026; ` +
    'if this account is one, add --apprunner-customer'
  );
}

function describeAws(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
