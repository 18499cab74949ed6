// The AWS side of the live checks, with fakes answering in the shapes of each API Reference (copied in
// tools/verify/aws/api.ts), the unhappy answers included. Nothing here is deployed: the checks are
// driven through their logic only, and a fake clock makes every bound pass at once.
import { loadConfig } from '../../lib/config';
import { LiveContext } from '../../tools/verify/live/context';
import { servicesSteady, targetsHealthy } from '../../tools/verify/live/ecs';
import { ecsPatternsChecks } from '../../tools/verify/live/ecs-patterns';
import { eksChecks } from '../../tools/verify/live/eks';
import { appRunnerChecks } from '../../tools/verify/live/apprunner';
import { expressChecks } from '../../tools/verify/live/express';
import { registryChecks } from '../../tools/verify/live/registry';
import type { EcsService } from '../../tools/verify/aws/api';
import {
  byName,
  fakeAws,
  fakeRecorder,
  NOWHERE,
  sequence,
  TEST_TIMINGS,
  type Handlers,
} from './support/fakes';

const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/coa/sample-app:3f9c2a7e';
const OUTPUTS = {
  'coa-registry': { SampleAppImageUri: IMAGE },
  'coa-ecs': {
    Url: NOWHERE,
    Urlecsec2: `${NOWHERE}?platform=ecs-ec2`,
    Urlecsfargate: `${NOWHERE}?platform=ecs-fargate`,
  },
  'coa-ecs-patterns': {
    UploadTo: 's3://coa-ecs-patterns-bucket-1a2b/incoming/',
    QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/coa-ecs-patterns-Queue',
    AlertsTopicArn: 'arn:aws:sns:eu-west-1:123456789012:coa-ecs-patterns-Topic',
  },
  'coa-eks': { SampleAppUrl: NOWHERE },
  'coa-apprunner': { ServiceUrl: NOWHERE },
  'coa-express': { ServiceUrl: NOWHERE },
};
const CLUSTER = 'coa-ecs-ClusterEB0386A7-abc';

/** ListStackResources: each stack's physical resources by type (CloudFormation API Reference). */
function stackResources(resources: Record<string, [string, string][]>): Handlers['cloudformation'] {
  return {
    ListStackResources: ({ StackName }) => ({
      StackResourceSummaries: (resources[StackName] ?? []).map(([ResourceType, PhysicalResourceId]) => ({
        ResourceType,
        PhysicalResourceId,
        LogicalResourceId: ResourceType.split('::').pop(),
      })),
    }),
  };
}

function live(handlers: Handlers, target: 'ecs' | 'ecs-patterns' | 'eks' | 'apprunner' | 'express' = 'ecs') {
  const recorder = fakeRecorder();
  const aws = fakeAws(handlers);
  const context = new LiveContext(recorder, target, aws, loadConfig({}), OUTPUTS, TEST_TIMINGS, false);
  return { context, recorder, aws };
}

/** DescribeServices' service, as the ECS API Reference shows it. */
function service(name: string, running: number, rollouts: [string, string][]): EcsService {
  return {
    serviceName: name,
    serviceArn: `arn:aws:ecs:eu-west-1:123456789012:service/${CLUSTER}/${name}`,
    status: 'ACTIVE',
    desiredCount: 1,
    runningCount: running,
    deployments: rollouts.map(([status, rolloutState], i) => ({ id: `ecs-svc/${i}`, status, rolloutState })),
    loadBalancers: [
      { targetGroupArn: `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${name}/1` },
    ],
  };
}

describe('ECS services steady', () => {
  const check = async (answers: EcsService[][]) => {
    const { context, recorder } = live({
      ecs: { DescribeServices: sequence(...answers.map((services) => ({ services }))) },
    });
    await context.check('steady', async (c) => {
      (await servicesSteady(context, CLUSTER, ['ec2', 'fargate'], c)).forEach((line) => c.evidence(line));
    });
    return recorder.checks[0];
  };

  test('running = desired and one COMPLETED deployment each: passes, quoting the counts', async () => {
    const steady = await check([
      [service('ec2', 1, [['PRIMARY', 'COMPLETED']]), service('fargate', 1, [['PRIMARY', 'COMPLETED']])],
    ]);

    expect(steady.result).toBe('pass');
    expect(steady.evidence).toEqual([
      'ec2: 1/1 running, deployments: PRIMARY COMPLETED',
      'fargate: 1/1 running, deployments: PRIMARY COMPLETED',
    ]);
  });

  test('a rollout still IN_PROGRESS is waited for', async () => {
    const rolling = [
      service('ec2', 0, [
        ['PRIMARY', 'IN_PROGRESS'],
        ['ACTIVE', 'COMPLETED'],
      ]),
      service('fargate', 1, [['PRIMARY', 'COMPLETED']]),
    ];
    const done = [
      service('ec2', 1, [['PRIMARY', 'COMPLETED']]),
      service('fargate', 1, [['PRIMARY', 'COMPLETED']]),
    ];

    expect((await check([rolling, rolling, done])).result).toBe('pass');
  });

  test('a FAILED rollout (the circuit breaker gave up) fails at once, with its reason', async () => {
    const failed = service('ec2', 0, [['PRIMARY', 'FAILED']]);
    failed.deployments![0].rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';

    const result = await check([[failed, service('fargate', 1, [['PRIMARY', 'COMPLETED']])]]);

    expect(result.result).toBe('fail');
    expect(result.reason).toBe(
      'deployment ecs-svc/0 FAILED: ECS deployment circuit breaker: tasks failed to start.',
    );
  });

  test('never steady: fails at the bound, quoting the last state', async () => {
    const result = await check([
      [service('ec2', 0, [['PRIMARY', 'IN_PROGRESS']]), service('fargate', 1, [['PRIMARY', 'COMPLETED']])],
    ]);

    expect(result.result).toBe('fail');
    expect(result.reason).toMatch(
      /^ECS services steady: not within 60.0 s; last: ec2: 0\/1 running, deployments: PRIMARY IN_PROGRESS;/,
    );
  });
});

describe('every load balancer target healthy', () => {
  const GROUP =
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/coa-ecs-Ec2Ta/0123456789abcdef';
  const check = async (states: [string, string?][]) => {
    const { context, recorder } = live({
      // ELBv2 API Reference, DescribeTargetHealth
      elbv2: {
        DescribeTargetHealth: () => ({
          TargetHealthDescriptions: states.map(([State, Reason], i) => ({
            Target: { Id: `10.0.1.${i + 10}`, Port: 8080 },
            TargetHealth: { State, Reason },
          })),
        }),
      },
    });
    await context.check('healthy', async (c) => {
      (await targetsHealthy(context, [GROUP], c)).forEach((line) => c.evidence(line));
    });
    return recorder.checks[0];
  };

  test('all healthy', async () => {
    const result = await check([['healthy'], ['healthy']]);

    expect(result.result).toBe('pass');
    expect(result.evidence).toEqual([
      'targetgroup/coa-ecs-Ec2Ta/0123456789abcdef: 10.0.1.10:8080 healthy, 10.0.1.11:8080 healthy',
    ]);
  });

  test('one target unhealthy until the bound: fails naming its reason code', async () => {
    const result = await check([['healthy'], ['unhealthy', 'Target.Timeout']]);

    expect(result.result).toBe('fail');
    expect(result.reason).toMatch(/10\.0\.1\.11:8080 unhealthy \(Target\.Timeout\)/);
  });

  test('a target group with no targets is not healthy', async () => {
    expect((await check([])).reason).toMatch(/no targets$/);
  });
});

describe('ECR image scan', () => {
  // ECR API Reference, DescribeImageScanFindings
  const scan = (...answers: [string, Record<string, number>?][]) =>
    sequence(
      ...answers.map(([status, findingSeverityCounts]) => ({
        imageScanStatus: { status },
        imageScanFindings: findingSeverityCounts ? { findingSeverityCounts } : undefined,
      })),
    );

  test('waits for the scan, passes with HIGH findings only, and asks about the tag the platforms run', async () => {
    const { context, recorder, aws } = live({
      ecr: { DescribeImageScanFindings: scan(['IN_PROGRESS'], ['COMPLETE', { HIGH: 2, LOW: 5 }]) },
    });

    await registryChecks(context);

    expect(recorder.checks[0]).toMatchObject({
      result: 'pass',
      evidence: ['coa/sample-app:3f9c2a7e: scan COMPLETE, HIGH 2, LOW 5'],
    });
    expect(aws.calls[0].input).toEqual({
      repositoryName: 'coa/sample-app',
      imageId: { imageTag: '3f9c2a7e' },
    });
  });

  test('a CRITICAL finding fails', async () => {
    const { context, recorder } = live({
      ecr: { DescribeImageScanFindings: scan(['COMPLETE', { CRITICAL: 1, HIGH: 3 }]) },
    });

    await registryChecks(context);

    expect(recorder.checks[0]).toMatchObject({
      result: 'fail',
      reason: '1 CRITICAL findings in coa/sample-app:3f9c2a7e',
    });
  });

  test('a scan that could not complete is no proof', async () => {
    const { context, recorder } = live({ ecr: { DescribeImageScanFindings: scan(['UNSUPPORTED_IMAGE']) } });

    await registryChecks(context);

    expect(recorder.checks[0].reason).toMatch(/^scan of coa\/sample-app:3f9c2a7e is UNSUPPORTED_IMAGE/);
  });
});

describe('EKS', () => {
  const EKS_RESOURCES = stackResources({ 'coa-eks': [['AWS::EKS::Cluster', 'coa-eks']] });
  // EKS API Reference: DescribeCluster, ListNodegroups, DescribeNodegroup, ListAddons, DescribeAddon
  const eks = (
    nodegroup: { status: string; issues?: { code: string; message: string }[] },
    addonStatus = 'ACTIVE',
  ): Handlers => ({
    cloudformation: EKS_RESOURCES,
    eks: {
      DescribeCluster: ({ name }) => ({ cluster: { name, status: 'ACTIVE', version: '1.36' } }),
      ListNodegroups: () => ({ nodegroups: ['SpotNodes'] }),
      DescribeNodegroup: ({ nodegroupName }) => ({
        nodegroup: { nodegroupName, status: nodegroup.status, health: { issues: nodegroup.issues ?? [] } },
      }),
      ListAddons: () => ({ addons: ['vpc-cni', 'aws-efs-csi-driver'] }),
      DescribeAddon: ({ addonName }) => ({
        addon: { addonName, status: addonName === 'vpc-cni' ? 'ACTIVE' : addonStatus },
      }),
    },
    tagging: {
      GetResources: () => ({
        ResourceTagMappingList: [
          {
            ResourceARN:
              'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/k8s-sampleap-1/1',
          },
          { ResourceARN: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/k8s-sampleap-2/2' },
        ],
      }),
    },
    elbv2: {
      DescribeTargetHealth: () => ({
        TargetHealthDescriptions: [{ Target: { Id: '10.0.2.7' }, TargetHealth: { State: 'healthy' } }],
      }),
    },
  });

  test("cluster, node groups and add-ons ACTIVE, and the targets of the controller's ALB healthy", async () => {
    const { context, recorder, aws } = live(eks({ status: 'ACTIVE' }), 'eks');

    await eksChecks(context);

    expect(recorder.checks.slice(0, 4).map((c) => [c.name, c.result])).toEqual([
      ['EKS cluster ACTIVE', 'pass'],
      ['EKS node groups ACTIVE, no health issues', 'pass'],
      ['EKS add-ons ACTIVE', 'pass'],
      ['every load balancer target healthy', 'pass'],
    ]);
    expect(aws.calls.find((c) => c.operation === 'GetResources')?.input).toMatchObject({
      TagFilters: [{ Key: 'elbv2.k8s.aws/cluster', Values: ['coa-eks'] }],
    });
    expect(aws.calls.filter((c) => c.operation === 'DescribeTargetHealth').map((c) => c.input)).toEqual([
      { TargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/k8s-sampleap-2/2' },
    ]);
  });

  test('a DEGRADED node group fails with its health issue', async () => {
    const { context, recorder } = live(
      eks({
        status: 'DEGRADED',
        issues: [{ code: 'AsgInstanceLaunchFailures', message: 'Could not launch Spot Instances' }],
      }),
      'eks',
    );

    await eksChecks(context);

    expect(byName(recorder.checks, 'EKS node groups ACTIVE, no health issues')?.reason).toMatch(
      /SpotNodes: DEGRADED \(AsgInstanceLaunchFailures: Could not launch Spot Instances\)$/,
    );
  });

  test('an add-on that never turns ACTIVE fails naming it', async () => {
    const { context, recorder } = live(eks({ status: 'ACTIVE' }, 'CREATE_FAILED'), 'eks');

    await eksChecks(context);

    expect(byName(recorder.checks, 'EKS add-ons ACTIVE')?.reason).toMatch(
      /aws-efs-csi-driver: CREATE_FAILED$/,
    );
  });
});

test('App Runner: a service that failed to create fails at once', async () => {
  const { context, recorder } = live(
    {
      cloudformation: stackResources({
        'coa-apprunner': [
          ['AWS::AppRunner::Service', 'arn:aws:apprunner:eu-west-1:123456789012:service/Service-x/0a1b'],
        ],
      }),
      // App Runner API Reference, DescribeService
      apprunner: {
        DescribeService: () => ({ Service: { ServiceName: 'Service-x', Status: 'CREATE_FAILED' } }),
      },
    },
    'apprunner',
  );

  await appRunnerChecks(context);

  expect(recorder.checks[0]).toMatchObject({
    name: 'App Runner service RUNNING',
    result: 'fail',
    reason: 'arn:aws:apprunner:eu-west-1:123456789012:service/Service-x/0a1b is CREATE_FAILED',
  });
});

test('Express Mode: ACTIVE, then the ECS service it runs and its targets', async () => {
  const SERVICE = 'arn:aws:ecs:eu-west-1:123456789012:service/coa-express-Cluster/sample-app';
  const { context, recorder, aws } = live(
    {
      cloudformation: stackResources({ 'coa-express': [['AWS::ECS::ExpressGatewayService', SERVICE]] }),
      ecs: {
        // ECS API Reference, DescribeExpressGatewayService and DescribeServices
        DescribeExpressGatewayService: () => ({
          service: {
            cluster: 'coa-express-Cluster',
            serviceName: 'sample-app',
            status: { statusCode: 'ACTIVE' },
          },
        }),
        DescribeServices: () => ({ services: [service('sample-app', 1, [['PRIMARY', 'COMPLETED']])] }),
      },
      elbv2: {
        DescribeTargetHealth: () => ({
          TargetHealthDescriptions: [{ Target: { Id: '10.0.0.9' }, TargetHealth: { State: 'healthy' } }],
        }),
      },
    },
    'express',
  );

  await expressChecks(context);

  expect(recorder.checks.slice(0, 3).map((c) => [c.name, c.result])).toEqual([
    ['Express service ACTIVE', 'pass'],
    ['ECS service steady: running = desired, deployment completed', 'pass'],
    ['every load balancer target healthy', 'pass'],
  ]);
  expect(aws.calls.find((c) => c.operation === 'DescribeServices')?.input).toEqual({
    cluster: 'coa-express-Cluster',
    services: ['sample-app'],
  });
});

describe('ECS patterns', () => {
  const TASK_DEFINITION =
    'arn:aws:ecs:eu-west-1:123456789012:task-definition/coaecspatternsGuestbookPruningTask:1';
  const CLUSTER_ARN = `arn:aws:ecs:eu-west-1:123456789012:cluster/${CLUSTER}`;
  /** One task run: RunTask, then DescribeTasks says STOPPED with `exitCode` (ECS API Reference). */
  function patterns(options: { exitCodes: number[]; alert: boolean }): Handlers {
    let run = 0;
    const tasks: string[] = [];
    return {
      cloudformation: stackResources({
        'coa-ecs-patterns': [['AWS::Scheduler::Schedule', 'coa-ecs-patterns-Schedule-1']],
      }),
      // EventBridge Scheduler API Reference, GetSchedule
      scheduler: {
        GetSchedule: () => ({
          Target: {
            Arn: CLUSTER_ARN,
            EcsParameters: {
              TaskDefinitionArn: TASK_DEFINITION,
              CapacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
              NetworkConfiguration: {
                awsvpcConfiguration: {
                  Subnets: ['subnet-1', 'subnet-2'],
                  SecurityGroups: ['sg-1'],
                  AssignPublicIp: 'DISABLED',
                },
              },
            },
          },
        }),
      },
      s3: { PutObject: () => ({}), ListObjectsV2: () => ({ Contents: [] }) },
      sqs: {
        SendMessage: () => ({ MessageId: 'm-1' }),
        CreateQueue: ({ QueueName }) => ({
          QueueUrl: `https://sqs.eu-west-1.amazonaws.com/123456789012/${QueueName}`,
        }),
        ReceiveMessage: () => ({
          Messages: options.alert
            ? [{ MessageId: 'a-1', Body: `ECS task stopped because something failed. Task: ${tasks.at(-1)}` }]
            : [],
        }),
        DeleteQueue: () => ({}),
      },
      sns: {
        Subscribe: () => ({ SubscriptionArn: `${OUTPUTS['coa-ecs-patterns'].AlertsTopicArn}:sub-1` }),
        Unsubscribe: () => ({}),
      },
      ecs: {
        DescribeTaskDefinition: () => ({
          taskDefinition: { status: 'ACTIVE', containerDefinitions: [{ name: 'App' }] },
        }),
        RunTask: () => {
          const taskArn = `arn:aws:ecs:eu-west-1:123456789012:task/${CLUSTER}/task${run}`;
          tasks.push(taskArn);
          return { tasks: [{ taskArn, lastStatus: 'PROVISIONING' }] };
        },
        DescribeTasks: ({ tasks: [taskArn] }) => ({
          tasks: [
            {
              taskArn,
              lastStatus: 'STOPPED',
              containers: [{ name: 'App', exitCode: options.exitCodes[run++] }],
            },
          ],
        }),
      },
    };
  }

  test('the prune task runs as the schedule would, and exits 0', async () => {
    const { context, recorder, aws } = live(patterns({ exitCodes: [0, 1], alert: true }), 'ecs-patterns');

    await ecsPatternsChecks(context);

    expect(byName(recorder.checks, 'the prune task, run once on demand, exits 0')?.result).toBe('pass');
    expect(aws.calls.find((c) => c.operation === 'RunTask')?.input).toEqual({
      cluster: CLUSTER_ARN,
      taskDefinition: TASK_DEFINITION,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1, base: undefined }],
      launchType: undefined,
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-1', 'subnet-2'],
          securityGroups: ['sg-1'],
          assignPublicIp: 'DISABLED',
        },
      },
      overrides: undefined,
      startedBy: `verify-${context.run}`,
    });
  });

  test('the prune task exiting 1 fails', async () => {
    const { context, recorder } = live(patterns({ exitCodes: [1, 1], alert: true }), 'ecs-patterns');

    await ecsPatternsChecks(context);

    expect(byName(recorder.checks, 'the prune task, run once on demand, exits 0')?.reason).toMatch(
      /^exit code 1/,
    );
  });

  test('the stopped-task alert arrives on a temporary queue that only the topic may send to, then removed', async () => {
    const { context, recorder, aws } = live(patterns({ exitCodes: [0, 1], alert: true }), 'ecs-patterns');

    await ecsPatternsChecks(context);

    expect(byName(recorder.checks, 'a task made to fail raises the stopped-task alert')?.result).toBe('pass');
    const created = aws.calls.find((c) => c.operation === 'CreateQueue')?.input as {
      Attributes: { Policy: string };
    };
    expect(JSON.parse(created.Attributes.Policy).Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Condition: { ArnEquals: { 'aws:SourceArn': OUTPUTS['coa-ecs-patterns'].AlertsTopicArn } },
      }),
    ]);
    const failing = aws.calls.filter((c) => c.operation === 'RunTask')[1].input as { overrides: object };
    expect(failing.overrides).toEqual({
      containerOverrides: [{ name: 'App', environment: [{ name: 'MAX_AGE_DAYS', value: '0' }] }],
    });
    expect(aws.calls.slice(-2).map((c) => c.operation)).toEqual(['Unsubscribe', 'DeleteQueue']);
  });

  test('no alert within the bound: fails, and the temporary queue is removed all the same', async () => {
    const { context, recorder, aws } = live(patterns({ exitCodes: [0, 1], alert: false }), 'ecs-patterns');

    await ecsPatternsChecks(context);

    const alert = byName(recorder.checks, 'a task made to fail raises the stopped-task alert');
    expect(alert?.result).toBe('fail');
    expect(alert?.reason).toMatch(/^an alert naming task task1: not within/);
    expect(aws.calls.slice(-2).map((c) => c.operation)).toEqual(['Unsubscribe', 'DeleteQueue']);
  });

  test('an upload whose summary never appears fails at the bound', async () => {
    const { context, recorder, aws } = live(patterns({ exitCodes: [0, 1], alert: true }), 'ecs-patterns');

    await ecsPatternsChecks(context);

    expect(byName(recorder.checks, 'an upload under the watched prefix gets its summary')?.reason).toMatch(
      new RegExp(`^a summary of incoming/verify-${context.run}.txt: not within`),
    );
    expect(aws.calls[0]).toMatchObject({
      operation: 'PutObject',
      input: { Bucket: 'coa-ecs-patterns-bucket-1a2b', Key: `incoming/verify-${context.run}.txt` },
    });
  });
});
