import { Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { addGuestbookVolume, type EfsGuestbook } from '../ecs/guestbook-volume';
import { hardenedContainer } from '../ecs/hardened-container';
import type { SampleAppEnvironment, SampleAppImage } from '../sample-app';

/** The sample image's commands besides `serve` (app/src/main.ts). */
export type JobCommand = 'summarize-object' | 'prune' | 'worker';

const JOB_MEMORY_MIB = 512;

export interface JobTaskProps {
  readonly vpc: ec2.IVpc;
  readonly image: SampleAppImage;
  readonly command: JobCommand;
  /** What the command does, for the descriptions of its roles and security group. */
  readonly purpose: string;
  readonly logGroup: logs.ILogGroup;
  readonly environment?: Record<string, string>;
}

/**
 * A Fargate task definition that runs one command of the sample app image: the same image as the web
 * server, another command. Its own task role (concept: "use different roles for the different ECS
 * services you run"), starting empty: each pattern grants exactly what its command calls.
 */
export class JobTask extends Construct {
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  /** Nothing inbound; outbound HTTPS (AWS APIs, ECR), and NFS to the guestbook once mounted. */
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: JobTaskProps) {
    super(scope, id);
    const { image, command, purpose } = props;
    const taskPrincipal = new iam.ServicePrincipal('ecs-tasks.amazonaws.com');
    const executionRole = new iam.Role(this, 'ExecutionRole', {
      assumedBy: taskPrincipal,
      description: `Task execution role of ${command}: pull the image, write logs`,
    });
    Validations.of(executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only ecr:GetAuthorizationToken is on *: the API has no resource scope; pulls are scoped to the repository',
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      taskRole: new iam.Role(this, 'TaskRole', {
        assumedBy: taskPrincipal,
        description: `Task role of ${command}: ${purpose}`,
      }),
      executionRole,
      // the smallest Fargate task: these commands stream, count and write small files
      cpu: 256,
      memoryLimitMiB: JOB_MEMORY_MIB,
      runtimePlatform: {
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        cpuArchitecture:
          image.cpuArchitecture === 'arm64' ? ecs.CpuArchitecture.ARM64 : ecs.CpuArchitecture.X86_64,
      },
    });
    this.container = this.taskDefinition.addContainer('App', {
      image: ecs.ContainerImage.fromEcrRepository(image.repository, image.tag),
      command: [command],
      environment: { IMAGE_VERSION: image.tag, ...props.environment } satisfies SampleAppEnvironment,
      logging: ecs.LogDrivers.awsLogs({ logGroup: props.logGroup, streamPrefix: command }),
      // non-root, read-only, no capabilities; the one container may use the whole task's memory
      ...hardenedContainer(this, JOB_MEMORY_MIB),
    });
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'Plain environment holds only names and limits (image tag, bucket prefixes, queue URL, ages): no secrets',
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${command}: nothing inbound; HTTPS out to AWS APIs and ECR`,
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs and ECR');
  }

  /** Mounts the ECS stack's guestbook volume, and lets NFS through to it. */
  mountGuestbook(guestbook: EfsGuestbook): void {
    addGuestbookVolume(this.taskDefinition, this.container, guestbook);
    // From this side: CDK then creates the file system's ingress rule in this stack, next to the
    // security group it names. A rule created from the file system's side would live in the ECS
    // stack, and the two stacks would each need the other deployed first.
    this.securityGroup.connections.allowToDefaultPort(
      guestbook.fileSystem,
      `NFS to the guestbook from ${this.node.path}`,
    );
  }
}
