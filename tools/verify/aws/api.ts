/**
 * The AWS API calls verify makes, and no others: each operation's input and the part of its response
 * verify reads, shaped as the service's API Reference documents it (named in each block). This is the
 * narrow interface between the checks and AWS: the SDK for JavaScript v3 behind it in sdk.ts, fakes
 * returning these same shapes in the tests.
 *
 * The types are written out here rather than imported from the SDK packages: their declarations are
 * thousands of files, and would add seconds to every `npm test` type check for a tool that reads a
 * few fields of a few dozen operations.
 */

type Tag = { Key?: string; Value?: string };

export interface Api {
  // AWS Security Token Service API Reference, GetCallerIdentity
  sts: {
    GetCallerIdentity: [object, { Account?: string; Arn?: string }];
  };
  // AWS CloudFormation API Reference, DescribeStacks (a stack that does not exist: ValidationError) and
  // ListStackResources
  cloudformation: {
    DescribeStacks: [
      { StackName: string },
      { Stacks?: { StackName?: string; StackStatus?: string; StackStatusReason?: string }[] },
    ];
    ListStackResources: [
      { StackName: string; NextToken?: string },
      {
        StackResourceSummaries?: {
          LogicalResourceId?: string;
          PhysicalResourceId?: string;
          ResourceType?: string;
        }[];
        NextToken?: string;
      },
    ];
  };
  // IAM API Reference, GetRole (a role that does not exist: NoSuchEntity)
  iam: {
    GetRole: [{ RoleName: string }, { Role?: { RoleName?: string; Arn?: string } }];
  };
  // Amazon ECS API Reference: DescribeServices, DescribeTasks, RunTask, DescribeTaskDefinition,
  // UpdateService, DescribeExpressGatewayService
  ecs: {
    DescribeServices: [
      { cluster: string; services: string[] },
      { services?: EcsService[]; failures?: { arn?: string; reason?: string }[] },
    ];
    DescribeTasks: [{ cluster: string; tasks: string[] }, { tasks?: EcsTask[] }];
    RunTask: [
      {
        cluster: string;
        taskDefinition: string;
        capacityProviderStrategy?: { capacityProvider: string; weight?: number; base?: number }[];
        launchType?: string;
        networkConfiguration?: AwsVpcNetwork;
        overrides?: {
          containerOverrides: { name: string; environment: { name: string; value: string }[] }[];
        };
        startedBy?: string;
      },
      { tasks?: EcsTask[]; failures?: { arn?: string; reason?: string }[] },
    ];
    DescribeTaskDefinition: [
      { taskDefinition: string },
      { taskDefinition?: { status?: string; containerDefinitions?: { name?: string }[] } },
    ];
    UpdateService: [
      { cluster: string; service: string; forceNewDeployment: boolean },
      { service?: EcsService },
    ];
    DescribeExpressGatewayService: [
      { serviceArn: string },
      {
        service?: {
          cluster?: string;
          serviceName?: string;
          status?: { statusCode?: string; statusReason?: string };
        };
      },
    ];
  };
  // Elastic Load Balancing API Reference (version 2015-12-01): DescribeTargetHealth,
  // DescribeLoadBalancers, DescribeTargetGroups
  elbv2: {
    DescribeTargetHealth: [
      { TargetGroupArn: string },
      {
        TargetHealthDescriptions?: {
          Target?: { Id?: string; Port?: number };
          TargetHealth?: { State?: string; Reason?: string; Description?: string };
        }[];
      },
    ];
    DescribeLoadBalancers: [
      { Marker?: string },
      {
        LoadBalancers?: { LoadBalancerArn?: string; LoadBalancerName?: string; VpcId?: string }[];
        NextMarker?: string;
      },
    ];
    DescribeTargetGroups: [
      { Marker?: string },
      {
        TargetGroups?: { TargetGroupArn?: string; TargetGroupName?: string; VpcId?: string }[];
        NextMarker?: string;
      },
    ];
  };
  // Amazon ECR API Reference, DescribeImageScanFindings
  ecr: {
    DescribeImageScanFindings: [
      { repositoryName: string; imageId: { imageTag: string } },
      {
        imageScanStatus?: { status?: string; description?: string };
        imageScanFindings?: { findingSeverityCounts?: Record<string, number> };
      },
    ];
  };
  // Amazon EKS API Reference: DescribeCluster, ListNodegroups, DescribeNodegroup, ListAddons, DescribeAddon
  eks: {
    DescribeCluster: [{ name: string }, { cluster?: { name?: string; status?: string; version?: string } }];
    ListNodegroups: [
      { clusterName: string; nextToken?: string },
      { nodegroups?: string[]; nextToken?: string },
    ];
    DescribeNodegroup: [
      { clusterName: string; nodegroupName: string },
      {
        nodegroup?: {
          nodegroupName?: string;
          status?: string;
          health?: { issues?: { code?: string; message?: string }[] };
        };
      },
    ];
    ListAddons: [{ clusterName: string; nextToken?: string }, { addons?: string[]; nextToken?: string }];
    DescribeAddon: [
      { clusterName: string; addonName: string },
      {
        addon?: {
          addonName?: string;
          status?: string;
          health?: { issues?: { code?: string; message?: string }[] };
        };
      },
    ];
  };
  // AWS App Runner API Reference: ListServices, DescribeService
  apprunner: {
    ListServices: [
      { NextToken?: string },
      {
        ServiceSummaryList?: { ServiceName?: string; ServiceArn?: string; Status?: string }[];
        NextToken?: string;
      },
    ];
    DescribeService: [
      { ServiceArn: string },
      { Service?: { ServiceName?: string; ServiceId?: string; Status?: string; ServiceUrl?: string } },
    ];
  };
  // Resource Groups Tagging API Reference, GetResources
  tagging: {
    GetResources: [
      { TagFilters: { Key: string; Values?: string[] }[]; PaginationToken?: string },
      { ResourceTagMappingList?: { ResourceARN?: string; Tags?: Tag[] }[]; PaginationToken?: string },
    ];
  };
  // Amazon CloudWatch Logs API Reference, DescribeLogGroups
  logs: {
    DescribeLogGroups: [
      { logGroupNamePrefix: string; nextToken?: string },
      { logGroups?: { logGroupName?: string; storedBytes?: number }[]; nextToken?: string },
    ];
  };
  // Amazon EC2 API Reference: DescribeVolumes, DescribeNetworkInterfaces, DescribeSecurityGroups,
  // DescribeInstances
  ec2: {
    DescribeVolumes: [
      { Filters: Filter[]; NextToken?: string },
      { Volumes?: { VolumeId?: string; State?: string; Size?: number }[]; NextToken?: string },
    ];
    DescribeNetworkInterfaces: [
      { Filters: Filter[]; NextToken?: string },
      {
        NetworkInterfaces?: { NetworkInterfaceId?: string; Description?: string; Status?: string }[];
        NextToken?: string;
      },
    ];
    DescribeSecurityGroups: [
      { Filters: Filter[]; NextToken?: string },
      { SecurityGroups?: { GroupId?: string; GroupName?: string }[]; NextToken?: string },
    ];
    DescribeInstances: [
      { InstanceIds: string[] },
      { Reservations?: { Instances?: { InstanceId?: string; State?: { Name?: string } }[] }[] },
    ];
  };
  // Amazon S3 API Reference: PutObject, ListObjectsV2, GetObject (the SDK hands the body as a stream)
  s3: {
    PutObject: [{ Bucket: string; Key: string; Body: string; ContentType: string }, object];
    ListObjectsV2: [
      { Bucket: string; Prefix?: string; ContinuationToken?: string },
      { Contents?: { Key?: string; Size?: number }[]; NextContinuationToken?: string },
    ];
    GetObject: [{ Bucket: string; Key: string }, { Body?: { transformToString(): Promise<string> } }];
  };
  // Amazon SQS API Reference: SendMessage, CreateQueue, ReceiveMessage, DeleteQueue
  sqs: {
    SendMessage: [{ QueueUrl: string; MessageBody: string }, { MessageId?: string }];
    CreateQueue: [{ QueueName: string; Attributes: Record<string, string> }, { QueueUrl?: string }];
    ReceiveMessage: [
      { QueueUrl: string; WaitTimeSeconds: number; MaxNumberOfMessages: number },
      { Messages?: { MessageId?: string; Body?: string }[] },
    ];
    DeleteQueue: [{ QueueUrl: string }, object];
  };
  // Amazon SNS API Reference: Subscribe, Unsubscribe
  sns: {
    Subscribe: [
      {
        TopicArn: string;
        Protocol: string;
        Endpoint: string;
        Attributes?: Record<string, string>;
        ReturnSubscriptionArn: boolean;
      },
      { SubscriptionArn?: string },
    ];
    Unsubscribe: [{ SubscriptionArn: string }, object];
  };
  // EventBridge Scheduler API Reference, GetSchedule
  scheduler: {
    GetSchedule: [
      { Name: string; GroupName?: string },
      {
        Target?: {
          /** The cluster a schedule with ECS parameters runs its task in. */
          Arn?: string;
          EcsParameters?: {
            TaskDefinitionArn?: string;
            NetworkConfiguration?: {
              awsvpcConfiguration?: {
                Subnets?: string[];
                SecurityGroups?: string[];
                AssignPublicIp?: string;
              };
            };
            CapacityProviderStrategy?: { capacityProvider?: string; weight?: number; base?: number }[];
            LaunchType?: string;
          };
        };
      },
    ];
  };
  // AWS KMS API Reference, DescribeKey
  kms: {
    DescribeKey: [{ KeyId: string }, { KeyMetadata?: { KeyId?: string; KeyState?: string } }];
  };
  // AWS Secrets Manager API Reference, DescribeSecret
  secretsmanager: {
    DescribeSecret: [{ SecretId: string }, { Name?: string; DeletedDate?: Date }];
  };
}

type Filter = { Name: string; Values: string[] };

interface AwsVpcNetwork {
  awsvpcConfiguration: { subnets: string[]; securityGroups?: string[]; assignPublicIp?: string };
}

export interface EcsService {
  serviceName?: string;
  serviceArn?: string;
  status?: string;
  desiredCount?: number;
  runningCount?: number;
  deployments?: { id?: string; status?: string; rolloutState?: string; rolloutStateReason?: string }[];
  loadBalancers?: { targetGroupArn?: string }[];
}

export interface EcsTask {
  taskArn?: string;
  lastStatus?: string;
  stopCode?: string;
  stoppedReason?: string;
  containers?: { name?: string; exitCode?: number; reason?: string }[];
}

export type Service = keyof Api;
export type Operation<S extends Service> = keyof Api[S] & string;
type Pair<S extends Service, O extends Operation<S>> = Api[S][O] extends [infer I, infer R] ? [I, R] : never;
export type Input<S extends Service, O extends Operation<S>> = Pair<S, O>[0];
export type Output<S extends Service, O extends Operation<S>> = Pair<S, O>[1];

/** One region's AWS, as verify sees it. */
export interface Aws {
  readonly region: string;
  call<S extends Service, O extends Operation<S>>(
    service: S,
    operation: O,
    input: Input<S, O>,
  ): Promise<Output<S, O>>;
}

/**
 * An error an AWS API answered (or the SDK raised before asking: no credentials), by the name the SDK
 * gives it, e.g. `NoSuchEntityException` or `ValidationError`. Printed as one line, never as a stack trace.
 */
export class AwsError extends Error {
  constructor(
    readonly service: string,
    readonly operation: string,
    readonly code: string,
    message: string,
  ) {
    super(`${service} ${operation}: ${code}: ${message}`);
    this.name = 'AwsError';
  }
}

export function isAwsError(error: unknown, code?: string): error is AwsError {
  return error instanceof AwsError && (code === undefined || error.code === code);
}

/** Every page of a list operation that answers with a token for the next one. */
export async function allPages<T, R>(
  fetchPage: (token: string | undefined) => Promise<R>,
  items: (page: R) => readonly T[] | undefined,
  next: (page: R) => string | undefined,
): Promise<T[]> {
  const all: T[] = [];
  let token: string | undefined;
  do {
    const page = await fetchPage(token);
    all.push(...(items(page) ?? []));
    token = next(page);
  } while (token);
  return all;
}

/** Every operation above, as data: test/verify/sdk.test.ts checks each is a command of its SDK package. */
export const OPERATIONS = {
  sts: { GetCallerIdentity: true },
  cloudformation: { DescribeStacks: true, ListStackResources: true },
  iam: { GetRole: true },
  ecs: {
    DescribeServices: true,
    DescribeTasks: true,
    RunTask: true,
    DescribeTaskDefinition: true,
    UpdateService: true,
    DescribeExpressGatewayService: true,
  },
  elbv2: { DescribeTargetHealth: true, DescribeLoadBalancers: true, DescribeTargetGroups: true },
  ecr: { DescribeImageScanFindings: true },
  eks: {
    DescribeCluster: true,
    ListNodegroups: true,
    DescribeNodegroup: true,
    ListAddons: true,
    DescribeAddon: true,
  },
  apprunner: { ListServices: true, DescribeService: true },
  tagging: { GetResources: true },
  logs: { DescribeLogGroups: true },
  ec2: {
    DescribeVolumes: true,
    DescribeNetworkInterfaces: true,
    DescribeSecurityGroups: true,
    DescribeInstances: true,
  },
  s3: { PutObject: true, ListObjectsV2: true, GetObject: true },
  sqs: { SendMessage: true, CreateQueue: true, ReceiveMessage: true, DeleteQueue: true },
  sns: { Subscribe: true, Unsubscribe: true },
  scheduler: { GetSchedule: true },
  kms: { DescribeKey: true },
  secretsmanager: { DescribeSecret: true },
} as const satisfies { [S in Service]: Record<Operation<S>, true> };
