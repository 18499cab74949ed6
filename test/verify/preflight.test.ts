// Preflight with fakes: nothing is created before credentials, bootstrap, Docker, service-linked roles
// and App Runner's availability are known, and the run is priced from the templates it will deploy.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from '../../tools/verify/args';
import { preflight, serviceLinkedRoles, type PreflightTools } from '../../tools/verify/preflight';
import { loadConfig } from '../../lib/config';
import {
  awsError,
  byName,
  cdkCalls,
  fakeAws,
  fakeProcesses,
  fakeRecorder,
  type Handlers,
} from './support/fakes';

const root = path.join(__dirname, '../..');
const ACCOUNT = '123456789012';
const ASSEMBLY = {
  'coa-network': [],
  'coa-registry': ['coa-network'],
  'coa-ecs': ['coa-network', 'coa-registry'],
};
/** A NAT gateway: $0.045/hour in the price table. */
const TEMPLATES = { 'coa-network': { Resources: { Nat: { Type: 'AWS::EC2::NatGateway' } } } };

let reportDir: string;
beforeEach(() => {
  reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-preflight-'));
});
afterEach(() => fs.rmSync(reportDir, { recursive: true, force: true }));

/** Answers of an account that can take the deploy: shapes from the STS, CloudFormation and IAM API References. */
function readyAccount(overrides: Handlers = {}): Handlers {
  return {
    sts: { GetCallerIdentity: () => ({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/dev` }) },
    cloudformation: {
      DescribeStacks: ({ StackName }) => {
        if (StackName === 'CDKToolkit') return { Stacks: [{ StackName, StackStatus: 'UPDATE_COMPLETE' }] };
        throw awsError('ValidationError', `Stack with id ${StackName} does not exist`);
      },
    },
    iam: {
      GetRole: ({ RoleName }) => ({
        Role: { RoleName, Arn: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/x/${RoleName}` },
      }),
    },
    ...overrides,
  };
}

async function run(
  argv: string[],
  handlers: Handlers,
  processes = fakeProcesses({ assembly: ASSEMBLY, templates: TEMPLATES }),
) {
  const options = parseArgs(argv, { stage: 'sandbox' });
  const aws = fakeAws(handlers);
  const recorder = fakeRecorder();
  const tools: PreflightTools = {
    connect: async () => aws,
    processes,
    root,
    reportDir,
    assemblyDir: path.join(reportDir, 'verify.out'),
    docker: 'docker',
  };
  const plan = await preflight(options, options.targets as never, recorder, tools);
  return { plan, checks: recorder.checks, aws, processes };
}

test('a ready account: every check passes, with account, region and price as evidence', async () => {
  const { plan, checks } = await run(['ecs'], readyAccount());

  expect(checks.map((c) => [c.name, c.result])).toEqual([
    ['credentials', 'pass'],
    ['CDK bootstrap stack present', 'pass'],
    ['Docker engine reachable', 'pass'],
    ['service-linked roles exist', 'pass'],
    ['synthesized and priced at rest', 'pass'],
    ['no stack of the run is busy', 'pass'],
  ]);
  expect(byName(checks, 'credentials')?.evidence).toEqual([
    `account ${ACCOUNT}, region eu-west-1, as arn:aws:iam::${ACCOUNT}:user/dev`,
  ]);
  expect(plan?.stacks.get('ecs')).toEqual(['coa-network', 'coa-registry', 'coa-ecs']);
  expect(plan?.hourly.get('ecs')).toBeCloseTo(0.045);
  expect(byName(checks, 'synthesized and priced at rest')?.evidence[0]).toBe(
    'ecs: coa-network, coa-registry, coa-ecs: $0.0450/hour, $32.85/month at rest',
  );
});

test("synth gets the run's context and writes the assembly preflight priced", async () => {
  const { processes, plan } = await run(['ecs', '-c', 'ecsSpot=true'], readyAccount());

  const synth = processes.calls.find((c) => c.args[1] === 'synth');
  expect(synth?.args.slice(1)).toEqual([
    'synth',
    '--quiet',
    '--output',
    plan?.assembly,
    '-c',
    'ecsSpot=true',
    '-c',
    'platforms=ecs',
  ]);
});

test('no credentials: one clear message, and nothing else is asked', async () => {
  const { plan, checks, aws } = await run(
    ['ecs'],
    readyAccount({
      sts: {
        GetCallerIdentity: () => {
          throw awsError('CredentialsProviderError', 'Could not load credentials from any providers');
        },
      },
    }),
  );

  expect(plan).toBeUndefined();
  expect(checks).toEqual([
    expect.objectContaining({
      name: 'credentials',
      result: 'fail',
      reason: expect.stringMatching(
        /^no usable AWS credentials \(.*Could not load credentials from any providers\): sign in/,
      ),
    }),
  ]);
  expect(aws.calls.map((c) => c.operation)).toEqual(['GetCallerIdentity']);
});

test('credentials of another account than -c account: refused', async () => {
  const { checks } = await run(
    ['ecs', '-c', 'account=210987654321', '-c', 'region=eu-west-1'],
    readyAccount(),
  );

  expect(byName(checks, 'credentials')?.reason).toBe(
    `-c account=210987654321 -c region=eu-west-1, but the credentials are for account ${ACCOUNT} in eu-west-1`,
  );
});

test('no bootstrap stack: the bootstrap command for this account and region', async () => {
  const handlers = readyAccount();
  handlers.cloudformation!.DescribeStacks = ({ StackName }) => {
    throw awsError('ValidationError', `Stack with id ${StackName} does not exist`);
  };

  const { plan, checks } = await run(['ecs'], handlers);

  expect(plan).toBeUndefined();
  expect(byName(checks, 'CDK bootstrap stack present')?.reason).toBe(
    `CDKToolkit is missing in eu-west-1: run npx cdk bootstrap aws://${ACCOUNT}/eu-west-1`,
  );
});

test('no Docker engine: fails before any deploy', async () => {
  const processes = fakeProcesses({
    assembly: ASSEMBLY,
    answer: ({ command }) =>
      command === 'docker'
        ? { code: 1, tail: ['Cannot connect to the Docker daemon at unix:///var/run/docker.sock'] }
        : undefined,
  });

  const { plan, checks } = await run(['ecs'], readyAccount(), processes);

  expect(plan).toBeUndefined();
  expect(byName(checks, 'Docker engine reachable')?.reason).toMatch(
    /^`docker info` exited 1 \(Cannot connect to the Docker daemon.*\): cdk deploy builds the app image on this machine/,
  );
});

test('a missing service-linked role: the exact command that creates it', async () => {
  const handlers = readyAccount({
    iam: {
      GetRole: ({ RoleName }) => {
        if (RoleName === 'AWSServiceRoleForECS') {
          throw awsError('NoSuchEntityException', 'The role with name AWSServiceRoleForECS cannot be found.');
        }
        return { Role: { RoleName } };
      },
    },
  });

  const { plan, checks } = await run(['ecs'], handlers);

  const roles = byName(checks, 'service-linked roles exist');
  expect(plan).toBeUndefined();
  expect(roles?.reason).toBe('missing: AWSServiceRoleForECS (the commands are in the evidence)');
  expect(roles?.evidence).toContain(
    'AWSServiceRoleForECS: missing; create it with: aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com',
  );
});

test('a stack of the run still deploying: wait for it', async () => {
  const handlers = readyAccount();
  handlers.cloudformation!.DescribeStacks = ({ StackName }) => ({
    Stacks: [{ StackName, StackStatus: StackName === 'coa-ecs' ? 'UPDATE_IN_PROGRESS' : 'UPDATE_COMPLETE' }],
  });

  const { plan, checks } = await run(['ecs'], handlers);

  expect(plan).toBeUndefined();
  expect(byName(checks, 'no stack of the run is busy')?.reason).toBe(
    'wait for coa-ecs (UPDATE_IN_PROGRESS) to finish first',
  );
});

describe('App Runner, closed to new customers', () => {
  const assembly = {
    'coa-network': [],
    'coa-registry': ['coa-network'],
    'coa-apprunner': ['coa-network', 'coa-registry'],
  };
  const withServices = (count: number) =>
    readyAccount({
      apprunner: {
        ListServices: () => ({
          ServiceSummaryList: Array.from({ length: count }, (_, i) => ({
            ServiceName: `s${i}`,
            Status: 'RUNNING',
          })),
        }),
      },
    });

  test('an account with no App Runner service: apprunner is skipped with the reason, not failed', async () => {
    const { plan, checks } = await run(['apprunner'], withServices(0), fakeProcesses({ assembly }));

    const check = byName(checks, 'App Runner available to this account');
    expect(check?.result).toBe('skip');
    expect(plan?.skip.get('apprunner')).toMatch(
      /^no App Runner service in eu-west-1, and App Runner takes existing customers only since 30 April 2026/,
    );
  });

  test('--apprunner-customer: the user knows better', async () => {
    const { plan } = await run(
      ['apprunner', '--apprunner-customer'],
      withServices(0),
      fakeProcesses({ assembly }),
    );

    expect(plan?.skip.size).toBe(0);
  });

  test('an account that lists services is a customer', async () => {
    const { plan, checks } = await run(['apprunner'], withServices(1), fakeProcesses({ assembly }));

    expect(byName(checks, 'App Runner available to this account')?.result).toBe('pass');
    expect(plan?.skip.size).toBe(0);
  });

  test('App Runner refusing to list: skipped, naming its answer', async () => {
    const handlers = readyAccount({
      apprunner: {
        ListServices: () => {
          throw awsError('AccessDeniedException', 'not available to this account');
        },
      },
    });

    const { plan } = await run(['apprunner'], handlers, fakeProcesses({ assembly }));

    expect(plan?.skip.get('apprunner')).toMatch(
      /^App Runner refused ListServices in eu-west-1 \(.*not available to this account\)$/,
    );
  });
});

test('a target whose stack the configuration does not synthesize: a clear message', async () => {
  const { checks, processes } = await run(
    ['ecs'],
    readyAccount(),
    fakeProcesses({ assembly: { 'coa-network': [] } }),
  );

  expect(byName(checks, 'synthesized and priced at rest')?.reason).toBe(
    'the app synthesized no stack coa-ecs with this configuration (stacks: coa-network)',
  );
  expect(cdkCalls(processes.calls)).toEqual(['synth']);
});

describe('the service-linked roles each target needs', () => {
  const names = (target: Parameters<typeof serviceLinkedRoles>[0], context = {}) =>
    serviceLinkedRoles(target, loadConfig(context)).map((r) => r.name);

  test('ECS: the service, the Auto Scaling group, the load balancer; Spot only with ecsSpot', () => {
    expect(names('ecs')).toEqual([
      'AWSServiceRoleForECS',
      'AWSServiceRoleForAutoScaling',
      'AWSServiceRoleForElasticLoadBalancing',
    ]);
    expect(names('ecs', { ecsSpot: 'true' })).toContain('AWSServiceRoleForEC2Spot');
  });

  test('EKS: node groups need theirs, Spot node groups the Spot one; Auto Mode neither', () => {
    expect(names('eks', { eksNodeTypes: 'spot' })).toEqual([
      'AWSServiceRoleForAmazonEKS',
      'AWSServiceRoleForElasticLoadBalancing',
      'AWSServiceRoleForAmazonEKSNodegroup',
      'AWSServiceRoleForAutoScaling',
      'AWSServiceRoleForEC2Spot',
    ]);
    expect(names('eks', { eksNodeTypes: 'autoMode' })).toEqual([
      'AWSServiceRoleForAmazonEKS',
      'AWSServiceRoleForElasticLoadBalancing',
    ]);
  });

  test('Express Mode: ECS and the load balancer it builds; App Runner: none', () => {
    expect(names('express')).toEqual(['AWSServiceRoleForECS', 'AWSServiceRoleForElasticLoadBalancing']);
    expect(names('apprunner')).toEqual([]);
  });
});
