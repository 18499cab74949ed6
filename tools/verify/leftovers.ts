/**
 * Step 5, after destroy: what still exists of the run, each with the exact command that removes it. It
 * looks where things escape `cdk destroy`: stacks that did not delete; resources with the project's tags;
 * what the AWS Load Balancer Controller tagged for the cluster; log groups that services write outside
 * the templates (Container Insights, EKS, App Runner, Lambda); EBS volumes of the cluster; and load
 * balancers, target groups, security groups and network interfaces left in the VPC (Express Mode's and
 * the controller's load balancers live there).
 */
import { allPages, isAwsError, type Aws } from './aws/api';
import { listResources } from './live/context';
import { CONTROLLER_CLUSTER_TAG } from './live/eks';
import { describeStack } from './preflight';
import { poll, VerifyError, type Recorder } from './runner';

/** The tags lib/app.ts puts on every resource of the app. */
export const PROJECT_TAG = { Key: 'project', Value: 'containers-on-aws' };
const STACK_NAME_TAG = 'aws:cloudformation:stack-name';

export interface Leftover {
  /** What it is, e.g. "log group" or an ARN's service and type. */
  readonly kind: string;
  readonly id: string;
  /** The AWS CLI command that removes it. */
  readonly command: string;
}

/** The physical resources a run's stacks had, read before destroy: where to look once they are gone. */
export interface Inventory {
  readonly vpcs: readonly string[];
  readonly ecsClusters: readonly string[];
  readonly eksClusters: readonly string[];
  readonly appRunnerServices: readonly string[];
}

export interface HuntScope {
  readonly stage: string;
  /** The run's stacks. */
  readonly stacks: readonly string[];
  readonly inventory: Inventory;
}

/** Reads what the hunt needs from the stacks that exist now. */
export async function takeInventory(aws: Aws, stacks: readonly string[]): Promise<Inventory> {
  const resources = (
    await Promise.all(
      stacks.map((stack) =>
        listResources(aws, stack).catch((error: unknown) => {
          if (isAwsError(error, 'ValidationError')) return []; // the stack does not exist
          throw error;
        }),
      ),
    )
  ).flat();
  const of = (type: string) => resources.filter((r) => r.type === type).map((r) => r.id);
  return {
    vpcs: of('AWS::EC2::VPC'),
    ecsClusters: of('AWS::ECS::Cluster'),
    eksClusters: of('AWS::EKS::Cluster'),
    appRunnerServices: of('AWS::AppRunner::Service'),
  };
}

/**
 * The leftover check: hunts until nothing is left or `settleMs` has passed (listings such as the
 * tagging API show a deleted resource for a while), then fails with each leftover and its command.
 */
export async function leftoverCheck(
  recorder: Recorder,
  target: string,
  aws: Aws,
  scope: HuntScope,
  bounds: { settleMs: number; intervalMs: number },
): Promise<boolean> {
  return recorder.check(target, 'leftovers', 'nothing left behind', async (context) => {
    let found: Leftover[] = [];
    try {
      await poll(
        context,
        { timeoutMs: bounds.settleMs, intervalMs: bounds.intervalMs, what: 'nothing left' },
        async (state) => {
          found = await hunt(aws, scope);
          state(`${found.length} left`);
          return found.length === 0 ? true : undefined;
        },
      );
    } catch (error) {
      if (found.length === 0) throw error;
      throw new VerifyError(
        `${found.length} left behind, still billing or in the way`,
        found.map((f) => `${f.kind} ${f.id}: ${f.command}`),
      );
    }
    context.evidence(
      `searched: stacks ${scope.stacks.join(', ')}; tags ${PROJECT_TAG.Key}=${PROJECT_TAG.Value}, stage=${scope.stage}`,
    );
  });
}

/** One pass of every search, duplicates removed. */
export async function hunt(aws: Aws, scope: HuntScope): Promise<Leftover[]> {
  const { inventory } = scope;
  const region = aws.region;
  const found: Leftover[] = [];

  for (const stack of scope.stacks) {
    const described = await describeStack(aws, stack);
    if (described && described.status !== 'DELETE_COMPLETE') {
      found.push({
        kind: `CloudFormation stack (${described.status})`,
        id: stack,
        command: `aws cloudformation delete-stack --stack-name ${stack} --region ${region}`,
      });
    }
  }

  const tagged = [
    ...(
      await tagSearch(aws, [
        { Key: PROJECT_TAG.Key, Values: [PROJECT_TAG.Value] },
        { Key: 'stage', Values: [scope.stage] },
      ])
    ).filter((r) => {
      // the run's own: made by one of its stacks, or outside them (tasks, instances) and named after one
      const stack = r.Tags?.find((t) => t.Key === STACK_NAME_TAG)?.Value;
      if (stack !== undefined) return scope.stacks.includes(stack);
      return [...scope.stacks, ...inventory.eksClusters].some((name) => r.ResourceARN?.includes(name));
    }),
    ...(
      await Promise.all(
        inventory.eksClusters.map((cluster) =>
          tagSearch(aws, [{ Key: CONTROLLER_CLUSTER_TAG, Values: [cluster] }]),
        ),
      )
    ).flat(),
  ];
  for (const arn of tagged.flatMap((r) => r.ResourceARN ?? [])) {
    if (await stillExists(aws, arn)) found.push(arnLeftover(arn, region));
  }

  const logPrefixes = [
    ...scope.stacks.flatMap((stack) => [`${stack}-`, `/aws/lambda/${stack}-`]),
    ...inventory.ecsClusters.map((cluster) => `/aws/ecs/containerinsights/${cluster}/`),
    ...inventory.eksClusters.flatMap((cluster) => [
      `/aws/eks/${cluster}/`,
      `/aws/containerinsights/${cluster}/`,
    ]),
    ...inventory.appRunnerServices.map((arn) => `/aws/apprunner/${arn.split('/')[1]}/`),
  ];
  for (const logGroupNamePrefix of logPrefixes) {
    const groups = await allPages(
      (nextToken) => aws.call('logs', 'DescribeLogGroups', { logGroupNamePrefix, nextToken }),
      (page) => page.logGroups,
      (page) => page.nextToken,
    );
    for (const { logGroupName } of groups) {
      found.push({
        kind: 'log group',
        id: logGroupName!,
        command: `aws logs delete-log-group --log-group-name ${logGroupName} --region ${region}`,
      });
    }
  }

  const ec2 = <T>(
    operation: 'DescribeVolumes' | 'DescribeNetworkInterfaces' | 'DescribeSecurityGroups',
    filter: { Name: string; Values: string[] },
    items: (page: Record<string, unknown>) => T[] | undefined,
  ) =>
    allPages(
      (NextToken) =>
        aws.call('ec2', operation, { Filters: [filter], NextToken }) as Promise<Record<string, unknown>>,
      items,
      (page) => page.NextToken as string | undefined,
    );
  for (const cluster of inventory.eksClusters) {
    // what the EBS CSI driver tags the volumes of a cluster's claims with
    for (const filter of [
      { Name: `tag:kubernetes.io/cluster/${cluster}`, Values: ['owned'] },
      { Name: 'tag:KubernetesCluster', Values: [cluster] },
    ]) {
      for (const volume of await ec2(
        'DescribeVolumes',
        filter,
        (p) => p.Volumes as { VolumeId?: string }[],
      )) {
        found.push(ec2Leftover('EBS volume', volume.VolumeId!, 'delete-volume --volume-id', region));
      }
    }
  }
  for (const vpc of inventory.vpcs) {
    const inVpc = { Name: 'vpc-id', Values: [vpc] };
    const enis = await ec2(
      'DescribeNetworkInterfaces',
      inVpc,
      (p) => p.NetworkInterfaces as { NetworkInterfaceId?: string }[],
    );
    for (const eni of enis) {
      found.push(
        ec2Leftover(
          'network interface',
          eni.NetworkInterfaceId!,
          'delete-network-interface --network-interface-id',
          region,
        ),
      );
    }
    const groups = await ec2(
      'DescribeSecurityGroups',
      inVpc,
      (p) => p.SecurityGroups as { GroupId?: string; GroupName?: string }[],
    );
    // the default group goes with its VPC
    for (const group of groups.filter((g) => g.GroupName !== 'default')) {
      found.push(ec2Leftover('security group', group.GroupId!, 'delete-security-group --group-id', region));
    }
    const balancers = await allPages(
      (Marker) => aws.call('elbv2', 'DescribeLoadBalancers', { Marker }),
      (page) => page.LoadBalancers,
      (page) => page.NextMarker,
    );
    for (const lb of balancers.filter((b) => b.VpcId === vpc))
      found.push(arnLeftover(lb.LoadBalancerArn!, region));
    const targetGroups = await allPages(
      (Marker) => aws.call('elbv2', 'DescribeTargetGroups', { Marker }),
      (page) => page.TargetGroups,
      (page) => page.NextMarker,
    );
    for (const group of targetGroups.filter((g) => g.VpcId === vpc))
      found.push(arnLeftover(group.TargetGroupArn!, region));
  }

  // the same thing found twice (by tag and in the VPC) has the same command
  return [...new Map(found.map((f) => [f.command, f])).values()];
}

function tagSearch(aws: Aws, TagFilters: { Key: string; Values: string[] }[]) {
  return allPages(
    (PaginationToken) => aws.call('tagging', 'GetResources', { TagFilters, PaginationToken }),
    (page) => page.ResourceTagMappingList,
    (page) => page.PaginationToken,
  );
}

/**
 * The tagging API also lists resources that are gone but still visible for a while in their own
 * service: terminated instances, keys pending deletion, secrets scheduled for deletion, deregistered
 * task definitions. None of them bills; ask their service.
 */
async function stillExists(aws: Aws, arn: string): Promise<boolean> {
  const [, , service, , , resource] = arn.split(':');
  const id = resource.slice(resource.indexOf('/') + 1);
  const gone = (error: unknown): undefined => {
    if (isAwsError(error) && /NotFound|NoSuch|Invalid.*\.NotFound/.test(error.code)) return undefined;
    throw error;
  };
  if (service === 'ec2' && resource.startsWith('instance/')) {
    const answer = await aws.call('ec2', 'DescribeInstances', { InstanceIds: [id] }).catch(gone);
    const state = answer?.Reservations?.[0]?.Instances?.[0]?.State?.Name;
    return state !== undefined && state !== 'terminated';
  }
  if (service === 'kms' && resource.startsWith('key/')) {
    const answer = await aws.call('kms', 'DescribeKey', { KeyId: id }).catch(gone);
    return answer !== undefined && answer.KeyMetadata?.KeyState !== 'PendingDeletion';
  }
  if (service === 'secretsmanager') {
    const answer = await aws.call('secretsmanager', 'DescribeSecret', { SecretId: arn }).catch(gone);
    return answer !== undefined && answer.DeletedDate === undefined;
  }
  if (service === 'ecs' && resource.startsWith('task-definition/')) {
    const answer = await aws.call('ecs', 'DescribeTaskDefinition', { taskDefinition: arn }).catch(gone);
    return answer !== undefined && answer.taskDefinition?.status === 'ACTIVE';
  }
  return true;
}

function ec2Leftover(kind: string, id: string, command: string, region: string): Leftover {
  return { kind, id, command: `aws ec2 ${command} ${id} --region ${region}` };
}

/** A resource known by its ARN, with the command of its service that deletes it. */
export function arnLeftover(arn: string, region: string): Leftover {
  const [, , service, , account, ...rest] = arn.split(':');
  const resource = rest.join(':');
  // `type/name` or `type:name` (log groups, functions, alarms); S3, SQS and SNS have a name alone
  const separator = resource.search(/[:/]/);
  const type = separator === -1 ? '' : resource.slice(0, separator);
  const name = separator === -1 ? resource : resource.slice(separator + 1);
  const r = `--region ${region}`;
  const commands: Record<string, () => string> = {
    'ec2 instance': () => `aws ec2 terminate-instances --instance-ids ${name} ${r}`,
    'ec2 volume': () => `aws ec2 delete-volume --volume-id ${name} ${r}`,
    'ec2 security-group': () => `aws ec2 delete-security-group --group-id ${name} ${r}`,
    'ec2 network-interface': () => `aws ec2 delete-network-interface --network-interface-id ${name} ${r}`,
    'ec2 elastic-ip': () => `aws ec2 release-address --allocation-id ${name} ${r}`,
    'ec2 natgateway': () => `aws ec2 delete-nat-gateway --nat-gateway-id ${name} ${r}`,
    'ec2 vpc-endpoint': () => `aws ec2 delete-vpc-endpoints --vpc-endpoint-ids ${name} ${r}`,
    'ec2 launch-template': () => `aws ec2 delete-launch-template --launch-template-id ${name} ${r}`,
    'ec2 subnet': () => `aws ec2 delete-subnet --subnet-id ${name} ${r}`,
    'ec2 vpc': () => `aws ec2 delete-vpc --vpc-id ${name} ${r}`,
    'elasticloadbalancing loadbalancer': () =>
      `aws elbv2 delete-load-balancer --load-balancer-arn ${arn} ${r}`,
    'elasticloadbalancing targetgroup': () => `aws elbv2 delete-target-group --target-group-arn ${arn} ${r}`,
    'logs log-group': () => `aws logs delete-log-group --log-group-name ${name.replace(/:\*$/, '')} ${r}`,
    's3 ': () => `aws s3 rb s3://${name} --force`,
    'ecr repository': () => `aws ecr delete-repository --repository-name ${name} --force ${r}`,
    'elasticfilesystem file-system': () =>
      `aws efs describe-mount-targets --file-system-id ${name} ${r} (delete each), then aws efs delete-file-system --file-system-id ${name} ${r}`,
    'kms key': () => `aws kms schedule-key-deletion --key-id ${name} --pending-window-in-days 7 ${r}`,
    'sqs ': () =>
      `aws sqs delete-queue --queue-url https://sqs.${region}.amazonaws.com/${account}/${name} ${r}`,
    'sns ': () => `aws sns delete-topic --topic-arn ${arn} ${r}`,
    'secretsmanager secret': () =>
      `aws secretsmanager delete-secret --secret-id ${arn} --force-delete-without-recovery ${r}`,
    'ssm parameter': () => `aws ssm delete-parameter --name ${name} ${r}`,
    'ecs cluster': () => `aws ecs delete-cluster --cluster ${arn} ${r}`,
    'ecs service': () =>
      `aws ecs delete-service --cluster ${name.split('/')[0]} --service ${arn} --force ${r}`,
    'ecs task-definition': () => `aws ecs deregister-task-definition --task-definition ${name} ${r}`,
    'eks cluster': () => `aws eks delete-cluster --name ${name} ${r}`,
    'eks nodegroup': () =>
      `aws eks delete-nodegroup --cluster-name ${name.split('/')[0]} --nodegroup-name ${name.split('/')[1]} ${r}`,
    'apprunner service': () => `aws apprunner delete-service --service-arn ${arn} ${r}`,
    'cloudwatch alarm': () => `aws cloudwatch delete-alarms --alarm-names ${name} ${r}`,
    'events rule': () => `aws events delete-rule --name ${name} --force ${r}`,
    'scheduler schedule': () =>
      `aws scheduler delete-schedule --group-name ${name.split('/')[0]} --name ${name.split('/')[1]} ${r}`,
    'lambda function': () => `aws lambda delete-function --function-name ${name} ${r}`,
  };
  const command = commands[`${service} ${type}`]?.();
  return {
    kind: `${service} ${type}`.trim(),
    id: arn,
    command: command ?? `no command known to verify: delete it in the ${service} console`,
  };
}
