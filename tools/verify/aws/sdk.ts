/**
 * The Aws interface on the AWS SDK for JavaScript v3: one client per service, created on first use,
 * with the SDK's default credential chain (environment, profile, SSO, web identity in CI).
 *
 * Packages are loaded by name (see api.ts for why their types are not imported); test/verify/sdk.test.ts
 * checks that every operation api.ts lists is a command of the installed package.
 */
import { createRequire } from 'node:module';
import { AwsError, type Aws, type Service } from './api';

/** Each service's SDK package and client class. */
export const SDK_PACKAGES: Readonly<Record<Service, { package: string; client: string }>> = {
  sts: { package: '@aws-sdk/client-sts', client: 'STSClient' },
  cloudformation: { package: '@aws-sdk/client-cloudformation', client: 'CloudFormationClient' },
  iam: { package: '@aws-sdk/client-iam', client: 'IAMClient' },
  ecs: { package: '@aws-sdk/client-ecs', client: 'ECSClient' },
  elbv2: { package: '@aws-sdk/client-elastic-load-balancing-v2', client: 'ElasticLoadBalancingV2Client' },
  ecr: { package: '@aws-sdk/client-ecr', client: 'ECRClient' },
  eks: { package: '@aws-sdk/client-eks', client: 'EKSClient' },
  apprunner: { package: '@aws-sdk/client-apprunner', client: 'AppRunnerClient' },
  tagging: {
    package: '@aws-sdk/client-resource-groups-tagging-api',
    client: 'ResourceGroupsTaggingAPIClient',
  },
  logs: { package: '@aws-sdk/client-cloudwatch-logs', client: 'CloudWatchLogsClient' },
  ec2: { package: '@aws-sdk/client-ec2', client: 'EC2Client' },
  s3: { package: '@aws-sdk/client-s3', client: 'S3Client' },
  sqs: { package: '@aws-sdk/client-sqs', client: 'SQSClient' },
  sns: { package: '@aws-sdk/client-sns', client: 'SNSClient' },
  scheduler: { package: '@aws-sdk/client-scheduler', client: 'SchedulerClient' },
  kms: { package: '@aws-sdk/client-kms', client: 'KMSClient' },
  secretsmanager: { package: '@aws-sdk/client-secrets-manager', client: 'SecretsManagerClient' },
};

type Module = Record<string, new (arg: object) => unknown>;
interface Client {
  send(command: unknown): Promise<unknown>;
  config: { region(): Promise<string> };
}

const requirePackage = createRequire(__filename);
const load = (service: Service): Module => requirePackage(SDK_PACKAGES[service].package) as Module;

function asAwsError(service: string, operation: string, error: unknown): AwsError {
  const { name = 'Error', message = String(error) } = error as { name?: string; message?: string };
  return new AwsError(service, operation, name, message);
}

/**
 * Resolves the region the way the AWS CLI and the CDK CLI do (given, else AWS_REGION or the profile's
 * region) and returns the Aws interface for it. Throws an AwsError when there is none.
 */
export async function sdkAws(region?: string): Promise<Aws> {
  const clients = new Map<Service, Client>();
  const client = (service: Service, inRegion?: string): Client => {
    const { client: name } = SDK_PACKAGES[service];
    if (!inRegion) return new (load(service)[name])({}) as Client;
    if (!clients.has(service))
      clients.set(service, new (load(service)[name])({ region: inRegion }) as Client);
    return clients.get(service)!;
  };
  const resolved =
    region ??
    (await client('sts')
      .config.region()
      .catch((error: unknown) => {
        throw asAwsError('sts', 'region', error);
      }));
  return {
    region: resolved,
    async call(service, operation, input) {
      const Command = load(service)[`${operation}Command`];
      try {
        return (await client(service, resolved).send(new Command(input as object))) as never;
      } catch (error) {
        throw asAwsError(service, operation, error);
      }
    },
  };
}
