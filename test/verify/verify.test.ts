// A whole run with fakes for AWS, the CDK CLI and the clock: what is deployed, destroyed and reported
// when a deploy fails half-way, when the user presses Ctrl-C, keeps the stacks or cannot be asked.
// The fake CLI deploys nothing: it only answers as the real one would.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from '../../tools/verify/args';
import { Recorder } from '../../tools/verify/runner';
import { verifyAws, type VerifyTools } from '../../tools/verify/verify';
import {
  awsError,
  byName,
  cdkCalls,
  fakeAws,
  fakeClock,
  fakeProcesses,
  NOWHERE,
  TEST_TIMINGS,
  type Handlers,
  type ProcessCall,
} from './support/fakes';

const root = path.join(__dirname, '../..');
const ACCOUNT = '123456789012';
const ASSEMBLY = {
  'coa-network': [],
  'coa-registry': ['coa-network'],
  'coa-ecs': ['coa-network', 'coa-registry'],
  'coa-apprunner': ['coa-network', 'coa-registry'],
  'coa-express': ['coa-network', 'coa-registry'],
};
const OUTPUTS = {
  'coa-registry': { SampleAppImageUri: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/coa/sample-app:3f9c2a7e` },
  'coa-apprunner': { ServiceUrl: NOWHERE },
};

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-run-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** An account ready for the run, where destroy leaves nothing (shapes of each API Reference). */
function account(): Handlers {
  const missing = (StackName: string) =>
    awsError('ValidationError', `Stack with id ${StackName} does not exist`);
  return {
    sts: { GetCallerIdentity: () => ({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:role/ci` }) },
    cloudformation: {
      DescribeStacks: ({ StackName }) => {
        if (StackName === 'CDKToolkit') return { Stacks: [{ StackName, StackStatus: 'CREATE_COMPLETE' }] };
        throw missing(StackName);
      },
      ListStackResources: ({ StackName }) => {
        if (StackName !== 'coa-apprunner') throw missing(StackName);
        return {
          StackResourceSummaries: [
            {
              ResourceType: 'AWS::AppRunner::Service',
              PhysicalResourceId: `arn:aws:apprunner:eu-west-1:${ACCOUNT}:service/Service-x/0a1b`,
            },
          ],
        };
      },
    },
    iam: { GetRole: ({ RoleName }) => ({ Role: { RoleName } }) },
    apprunner: {
      ListServices: () => ({ ServiceSummaryList: [{ ServiceName: 'older', Status: 'RUNNING' }] }),
      DescribeService: () => ({
        Service: {
          ServiceName: 'Service-x',
          ServiceId: '0a1b',
          Status: 'RUNNING',
          ServiceUrl: 'x.awsapprunner.com',
        },
      }),
    },
    ecr: {
      DescribeImageScanFindings: () => ({
        imageScanStatus: { status: 'COMPLETE' },
        imageScanFindings: { findingSeverityCounts: {} },
      }),
    },
    tagging: { GetResources: () => ({ ResourceTagMappingList: [] }) },
    logs: { DescribeLogGroups: () => ({ logGroups: [] }) },
  };
}

function setup(
  argv: string[],
  options: {
    answer?: (
      call: ProcessCall,
      interrupt: AbortController,
    ) => ReturnType<NonNullable<Parameters<typeof fakeProcesses>[0]['answer']>>;
    interactive?: boolean;
    answers?: boolean[];
  } = {},
) {
  const interrupt = new AbortController();
  const processes = fakeProcesses({
    assembly: ASSEMBLY,
    outputs: OUTPUTS,
    answer: (call) => options.answer?.(call, interrupt),
  });
  const printed: string[] = [];
  const questions: string[] = [];
  const tools: VerifyTools = {
    connect: async () => fakeAws(account()),
    processes,
    root,
    reportDir: dir,
    assemblyDir: path.join(dir, 'verify.out'),
    docker: 'docker',
    timings: TEST_TIMINGS,
    signal: interrupt.signal,
    interactive: options.interactive ?? false,
    ask: async (question) => {
      questions.push(question);
      return options.answers?.shift() ?? false;
    },
    print: (text) => printed.push(text),
    standing: new Set(),
  };
  const recorder = new Recorder(fakeClock(), interrupt.signal);
  return {
    run: () => verifyAws(parseArgs(argv, { stage: 'sandbox' }), recorder, tools),
    recorder,
    processes,
    printed,
    questions,
    tools,
  };
}

test('a deploy that fails half-way: what was created is destroyed, dependents first, and hunted; nothing is checked live', async () => {
  const { run, recorder, processes } = setup(['ecs', '--yes'], {
    answer: ({ args }) =>
      args[1] === 'deploy' && args.at(-1) === 'coa-registry'
        ? { code: 1, tail: ['coa-registry failed: CREATE_FAILED'] }
        : undefined,
  });

  await run();

  expect(cdkCalls(processes.calls)).toEqual([
    'synth',
    'deploy coa-network',
    'deploy coa-registry',
    'destroy coa-registry',
    'destroy coa-network',
  ]);
  expect(byName(recorder.checks, 'deploy coa-registry')).toMatchObject({
    result: 'fail',
    evidence: ['coa-registry failed: CREATE_FAILED'],
  });
  expect(recorder.checks.filter((c) => c.step === 'live')).toEqual([]);
  expect(byName(recorder.checks, 'nothing left behind')?.result).toBe('pass');
  expect(recorder.passed()).toBe(false);
});

test('every CLI run deploys to the region preflight checked', async () => {
  const { run, processes } = setup(['apprunner', '--yes']);

  await run();

  const cli = processes.calls.filter((c) => c.args[1] === 'deploy' || c.args[1] === 'destroy');
  expect(cli.length).toBeGreaterThan(0);
  for (const call of cli)
    expect(call.env).toMatchObject({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-1' });
});

test('a full run: deploy, live checks, destroy in reverse, hunt; a failed live check fails the run', async () => {
  const { run, recorder, processes } = setup(['apprunner', '--yes']);

  await run();

  expect(cdkCalls(processes.calls)).toEqual([
    'synth',
    'deploy coa-network',
    'deploy coa-registry',
    'deploy coa-apprunner',
    'destroy coa-apprunner',
    'destroy coa-registry',
    'destroy coa-network',
  ]);
  expect(recorder.checks.filter((c) => c.step === 'live').map((c) => [c.name, c.result])).toEqual([
    ['ECR image scanned, no CRITICAL findings', 'pass'],
    ['App Runner service RUNNING', 'pass'],
    // the fake service URL points at a closed port
    ['GET /healthz answers 200', 'fail'],
  ]);
  expect(recorder.passed()).toBe(false);
});

test('--keep: nothing destroyed, and the command that removes the stacks is printed', async () => {
  const { run, processes, printed } = setup(['apprunner', '--yes', '--keep']);

  await run();

  expect(cdkCalls(processes.calls).filter((c) => c.startsWith('destroy'))).toEqual([]);
  expect(printed).toContain(
    '--keep: coa-network, coa-registry, coa-apprunner stay deployed; remove them with: npx cdk destroy --app build/verify.out --force coa-apprunner coa-registry coa-network',
  );
});

test('Ctrl-C during a deploy with --yes: what was created is destroyed, and the run stops there', async () => {
  const { run, recorder, processes } = setup(['apprunner', 'express', '--yes'], {
    answer: ({ args }, interrupt) => {
      if (args[1] !== 'deploy' || args.at(-1) !== 'coa-registry') return undefined;
      interrupt.abort(); // the CLI gets the same SIGINT and stops
      return { code: 130, tail: ['Interrupted'] };
    },
  });

  await run();

  expect(cdkCalls(processes.calls)).toEqual([
    'synth',
    'deploy coa-network',
    'deploy coa-registry',
    'destroy coa-registry',
    'destroy coa-network',
  ]);
  expect(byName(recorder.checks, 'nothing left behind')?.result).toBe('pass');
});

test('Ctrl-C, destroy declined: the report says what still stands and how to remove it', async () => {
  const { run, recorder, processes, questions } = setup(['apprunner'], {
    interactive: true,
    answers: [true, false], // deploy: yes; destroy after Ctrl-C: no
    answer: ({ args }, interrupt) => {
      if (args[1] !== 'deploy' || args.at(-1) !== 'coa-registry') return undefined;
      interrupt.abort();
      return { code: 130, tail: [] };
    },
  });

  await run();

  expect(questions[1]).toBe('\nInterrupted. Destroy coa-network, coa-registry now? [Y/n] ');
  expect(cdkCalls(processes.calls).filter((c) => c.startsWith('destroy'))).toEqual([]);
  expect(byName(recorder.checks, 'interrupted')).toMatchObject({
    result: 'fail',
    evidence: [
      'still deployed: coa-network, coa-registry',
      'remove them with: npx cdk destroy --app build/verify.out --force coa-registry coa-network',
    ],
  });
});

test('no terminal and no --yes: nothing is deployed', async () => {
  const { run, recorder, processes } = setup(['apprunner']);

  await run();

  expect(cdkCalls(processes.calls)).toEqual(['synth']);
  expect(byName(recorder.checks, 'confirmation')?.reason).toBe(
    'nothing deployed: no terminal to ask, add --yes to deploy without asking',
  );
});

test('asked first, with the account, region and price at rest; no: nothing deployed', async () => {
  const { run, processes, questions } = setup(['apprunner'], { interactive: true, answers: [false] });

  await run();

  expect(questions).toEqual([
    `Deploy apprunner one after the other into account ${ACCOUNT}, eu-west-1: up to $0.00/hour at rest while one stands, destroyed after its checks. Go on? [y/N] `,
  ]);
  expect(cdkCalls(processes.calls)).toEqual(['synth']);
});

test('a stack that does not delete stops the run: the next target would deploy into what still stands', async () => {
  const { run, recorder, processes } = setup(['apprunner', 'express', '--yes'], {
    answer: ({ args }) =>
      args[1] === 'destroy' && args.at(-1) === 'coa-registry'
        ? { code: 1, tail: ['coa-registry: DELETE_FAILED'] }
        : undefined,
  });

  await run();

  expect(cdkCalls(processes.calls).slice(-3)).toEqual([
    'deploy coa-apprunner',
    'destroy coa-apprunner',
    'destroy coa-registry',
  ]);
  expect(byName(recorder.checks, 'destroy coa-registry')?.result).toBe('fail');
  expect(recorder.checks.filter((c) => c.target === 'express')).toEqual([]);
});
