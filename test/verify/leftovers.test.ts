// The leftover hunt with fakes answering in the shapes of each API Reference: what escaped destroy is
// named with the command that removes it; what is gone, or belongs to someone else, is not.
import { arnLeftover, hunt, leftoverCheck, type HuntScope } from '../../tools/verify/leftovers';
import { awsError, fakeAws, fakeRecorder, type Handlers } from './support/fakes';

const REGION = 'eu-west-1';
const ARN = (service: string, resource: string) => `arn:aws:${service}:${REGION}:123456789012:${resource}`;
const SCOPE: HuntScope = {
  stage: 'sandbox',
  stacks: ['coa-network', 'coa-registry', 'coa-eks'],
  inventory: { vpcs: ['vpc-0a1b'], ecsClusters: [], eksClusters: ['coa-eks'], appRunnerServices: [] },
};

/** An account where destroy removed everything. */
function clean(overrides: Handlers = {}): Handlers {
  return {
    cloudformation: {
      DescribeStacks: ({ StackName }) => {
        throw awsError('ValidationError', `Stack with id ${StackName} does not exist`);
      },
    },
    tagging: { GetResources: () => ({ ResourceTagMappingList: [] }) },
    logs: { DescribeLogGroups: () => ({ logGroups: [] }) },
    ec2: {
      DescribeVolumes: () => ({ Volumes: [] }),
      DescribeNetworkInterfaces: () => ({ NetworkInterfaces: [] }),
      DescribeSecurityGroups: () => ({ SecurityGroups: [] }),
    },
    elbv2: {
      DescribeLoadBalancers: () => ({ LoadBalancers: [] }),
      DescribeTargetGroups: () => ({ TargetGroups: [] }),
    },
    ...overrides,
  };
}

test('nothing left: nothing reported, and every place was searched', async () => {
  const aws = fakeAws(clean());

  expect(await hunt(aws, SCOPE)).toEqual([]);
  const searched = aws.calls.map((c) => `${c.operation} ${JSON.stringify(c.input)}`);
  expect(searched).toEqual(
    expect.arrayContaining([
      'GetResources {"TagFilters":[{"Key":"project","Values":["containers-on-aws"]},{"Key":"stage","Values":["sandbox"]}]}',
      'GetResources {"TagFilters":[{"Key":"elbv2.k8s.aws/cluster","Values":["coa-eks"]}]}',
      'DescribeLogGroups {"logGroupNamePrefix":"/aws/eks/coa-eks/"}',
      'DescribeLogGroups {"logGroupNamePrefix":"/aws/containerinsights/coa-eks/"}',
      'DescribeLogGroups {"logGroupNamePrefix":"coa-eks-"}',
      'DescribeLogGroups {"logGroupNamePrefix":"/aws/lambda/coa-eks-"}',
      'DescribeVolumes {"Filters":[{"Name":"tag:kubernetes.io/cluster/coa-eks","Values":["owned"]}]}',
      'DescribeNetworkInterfaces {"Filters":[{"Name":"vpc-id","Values":["vpc-0a1b"]}]}',
    ]),
  );
});

test('a stack that failed to delete, with the command that deletes it', async () => {
  const handlers = clean();
  handlers.cloudformation!.DescribeStacks = ({ StackName }) => {
    if (StackName !== 'coa-network')
      throw awsError('ValidationError', `Stack with id ${StackName} does not exist`);
    return { Stacks: [{ StackName, StackStatus: 'DELETE_FAILED' }] };
  };

  expect(await hunt(fakeAws(handlers), SCOPE)).toEqual([
    {
      kind: 'CloudFormation stack (DELETE_FAILED)',
      id: 'coa-network',
      command: `aws cloudformation delete-stack --stack-name coa-network --region ${REGION}`,
    },
  ]);
});

test("the controller's load balancer and the cluster's log group and volume are found", async () => {
  const ALB = ARN('elasticloadbalancing', 'loadbalancer/app/k8s-sampleap-0a1b/2c3d');
  const aws = fakeAws(
    clean({
      tagging: {
        GetResources: ({ TagFilters }) => ({
          ResourceTagMappingList:
            TagFilters[0].Key === 'elbv2.k8s.aws/cluster'
              ? [{ ResourceARN: ALB, Tags: [{ Key: 'elbv2.k8s.aws/cluster', Value: 'coa-eks' }] }]
              : [],
        }),
      },
      logs: {
        DescribeLogGroups: ({ logGroupNamePrefix }) => ({
          logGroups:
            logGroupNamePrefix === '/aws/containerinsights/coa-eks/'
              ? [{ logGroupName: '/aws/containerinsights/coa-eks/performance' }]
              : [],
        }),
      },
      ec2: {
        ...clean().ec2,
        DescribeVolumes: ({ Filters }) => ({
          Volumes:
            Filters[0].Name === 'tag:KubernetesCluster'
              ? [{ VolumeId: 'vol-0abc', State: 'available', Size: 10 }]
              : [],
        }),
      },
    }),
  );

  expect(await hunt(aws, SCOPE)).toEqual([
    {
      kind: 'elasticloadbalancing loadbalancer',
      id: ALB,
      command: `aws elbv2 delete-load-balancer --load-balancer-arn ${ALB} --region ${REGION}`,
    },
    {
      kind: 'log group',
      id: '/aws/containerinsights/coa-eks/performance',
      command: `aws logs delete-log-group --log-group-name /aws/containerinsights/coa-eks/performance --region ${REGION}`,
    },
    {
      kind: 'EBS volume',
      id: 'vol-0abc',
      command: `aws ec2 delete-volume --volume-id vol-0abc --region ${REGION}`,
    },
  ]);
});

test('tagged but gone or not ours: terminated instances, keys pending deletion, other stacks', async () => {
  const aws = fakeAws(
    clean({
      tagging: {
        GetResources: ({ TagFilters }) => ({
          ResourceTagMappingList:
            TagFilters[0].Key === 'project'
              ? [
                  {
                    ResourceARN: ARN('ec2', 'instance/i-0abc'),
                    Tags: [{ Key: 'aws:cloudformation:stack-name', Value: 'coa-eks' }],
                  },
                  {
                    ResourceARN: ARN('kms', 'key/1234abcd'),
                    Tags: [{ Key: 'aws:cloudformation:stack-name', Value: 'coa-eks' }],
                  },
                  {
                    ResourceARN: ARN('sqs', 'coa-ecs-patterns-Queue'),
                    Tags: [{ Key: 'aws:cloudformation:stack-name', Value: 'coa-ecs-patterns' }],
                  },
                  // made outside any template, in another deployment's cluster
                  {
                    ResourceARN: ARN('ecs', 'task/other-ecs-Cluster1A2B/0a1b2c'),
                    Tags: [{ Key: 'stage', Value: 'sandbox' }],
                  },
                ]
              : [],
        }),
      },
      // EC2 API Reference, DescribeInstances; KMS API Reference, DescribeKey
      ec2: {
        ...clean().ec2,
        DescribeInstances: () => ({
          Reservations: [{ Instances: [{ InstanceId: 'i-0abc', State: { Name: 'terminated' } }] }],
        }),
      },
      kms: { DescribeKey: () => ({ KeyMetadata: { KeyId: '1234abcd', KeyState: 'PendingDeletion' } }) },
    }),
  );

  expect(await hunt(aws, SCOPE)).toEqual([]);
});

test('a tagged queue of the run that still exists is a leftover', async () => {
  const QUEUE = ARN('sqs', 'coa-registry-Queue');
  const aws = fakeAws(
    clean({
      tagging: {
        GetResources: ({ TagFilters }) => ({
          ResourceTagMappingList:
            TagFilters[0].Key === 'project'
              ? [
                  {
                    ResourceARN: QUEUE,
                    Tags: [{ Key: 'aws:cloudformation:stack-name', Value: 'coa-registry' }],
                  },
                ]
              : [],
        }),
      },
    }),
  );

  expect(await hunt(aws, SCOPE)).toEqual([
    {
      kind: 'sqs',
      id: QUEUE,
      command: `aws sqs delete-queue --queue-url https://sqs.${REGION}.amazonaws.com/123456789012/coa-registry-Queue --region ${REGION}`,
    },
  ]);
});

test('made outside the templates but named after what the run deployed: a leftover', async () => {
  const NODEGROUP = ARN('eks', 'nodegroup/coa-eks/SpotNodes/0a1b');
  const aws = fakeAws(
    clean({
      tagging: {
        GetResources: ({ TagFilters }) => ({
          ResourceTagMappingList:
            TagFilters[0].Key === 'project'
              ? [{ ResourceARN: NODEGROUP, Tags: [{ Key: 'stage', Value: 'sandbox' }] }]
              : [],
        }),
      },
    }),
  );

  expect((await hunt(aws, SCOPE)).map((l) => l.command)).toEqual([
    `aws eks delete-nodegroup --cluster-name coa-eks --nodegroup-name SpotNodes --region ${REGION}`,
  ]);
});

describe('the check', () => {
  test('a leftover the listing forgets on the next pass is no leftover', async () => {
    let pass = 0;
    const handlers = clean();
    handlers.logs!.DescribeLogGroups = () => ({
      logGroups: pass++ === 0 ? [{ logGroupName: 'coa-eks-LogGroup0-abc' }] : [],
    });
    const recorder = fakeRecorder();

    expect(
      await leftoverCheck(recorder, 'eks', fakeAws(handlers), SCOPE, {
        settleMs: 60_000,
        intervalMs: 10_000,
      }),
    ).toBe(true);
  });

  test('a leftover that stays fails the run, with its command in the evidence', async () => {
    const handlers = clean();
    handlers.ec2!.DescribeNetworkInterfaces = () => ({
      NetworkInterfaces: [{ NetworkInterfaceId: 'eni-0abc', Status: 'available' }],
    });
    const recorder = fakeRecorder();

    expect(
      await leftoverCheck(recorder, 'eks', fakeAws(handlers), SCOPE, {
        settleMs: 60_000,
        intervalMs: 10_000,
      }),
    ).toBe(false);
    expect(recorder.checks[0]).toMatchObject({
      name: 'nothing left behind',
      result: 'fail',
      reason: '1 left behind, still billing or in the way',
      evidence: [
        `network interface eni-0abc: aws ec2 delete-network-interface --network-interface-id eni-0abc --region ${REGION}`,
      ],
    });
  });
});

test.each([
  [
    ARN('logs', 'log-group:/aws/apprunner/Service-x/0a1b/application:*'),
    'aws logs delete-log-group --log-group-name /aws/apprunner/Service-x/0a1b/application',
  ],
  ['arn:aws:s3:::coa-ecs-patterns-bucket-1a2b', 'aws s3 rb s3://coa-ecs-patterns-bucket-1a2b --force'],
  [
    ARN('ecr', 'repository/coa/sample-app'),
    'aws ecr delete-repository --repository-name coa/sample-app --force',
  ],
  [
    ARN('elasticloadbalancing', 'targetgroup/k8s-x/1'),
    `aws elbv2 delete-target-group --target-group-arn ${ARN('elasticloadbalancing', 'targetgroup/k8s-x/1')}`,
  ],
  [ARN('ec2', 'security-group/sg-0abc'), 'aws ec2 delete-security-group --group-id sg-0abc'],
  [
    ARN('eks', 'nodegroup/coa-eks/SpotNodes/0a1b'),
    'aws eks delete-nodegroup --cluster-name coa-eks --nodegroup-name SpotNodes',
  ],
])('%s is removed with: %s', (arn, command) => {
  expect(arnLeftover(arn, REGION).command).toBe(
    `${command}${command.startsWith('aws s3 ') ? '' : ` --region ${REGION}`}`,
  );
});
