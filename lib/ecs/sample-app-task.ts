import { Duration, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  SAMPLE_APP,
  type SampleAppEnvironment,
  type SampleAppImage,
  type SampleAppShutdown,
} from '../sample-app';
import { hardenedContainer } from './hardened-container';

/** Where the task runs: an EC2 instance of our capacity provider, or Fargate. */
export type EcsLaunchType = 'ec2' | 'fargate';

export interface SampleAppTaskProps {
  readonly launchType: EcsLaunchType;
  readonly image: SampleAppImage;
  /** CPU units and memory of the task (Fargate) and of its one container (both launch types). */
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly logGroup: logs.ILogGroup;
  /** Environment variables whose values ECS fetches at task start; only the execution role can read them. */
  readonly secrets?: Record<string, ecs.Secret>;
  /**
   * How the app stops on SIGTERM; the container's stop timeout covers its deadline.
   * @default SAMPLE_APP.shutdown, the app's own defaults
   */
  readonly shutdown?: SampleAppShutdown;
  /**
   * ECS Exec on the task's service: its SSM agent writes inside the container, so the root file
   * system stays writable (lib/ecs/exec.ts).
   * @default false
   */
  readonly ecsExec?: boolean;
}

/**
 * A task definition running the sample app image (`repository:tag`), with its own task role and
 * task execution role. The same image, port, logging and roles on both launch types; only the task
 * definition class differs (Fargate sizes the task and needs the CPU architecture up front).
 */
export class SampleAppTask extends Construct {
  readonly taskDefinition: ecs.TaskDefinition;
  readonly container: ecs.ContainerDefinition;

  constructor(scope: Construct, id: string, props: SampleAppTaskProps) {
    super(scope, id);
    const { launchType, image } = props;
    const shutdown = props.shutdown ?? SAMPLE_APP.shutdown;
    const taskPrincipal = new iam.ServicePrincipal('ecs-tasks.amazonaws.com');

    // Task role (concept: "ECS task role"): what the app itself may call on AWS. One per service, so
    // each service gets only its own permissions; here just the guestbook mount, added by
    // addGuestbookVolume.
    const taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: taskPrincipal,
      description: `Task role of the sample app on ECS ${launchType}: what the app may call`,
    });
    // Task execution role: what ECS itself needs to start the task for us: pull the image, create
    // the log stream, read the secrets. CDK adds each grant as the container uses the resource.
    const executionRole = new iam.Role(this, 'ExecutionRole', {
      assumedBy: taskPrincipal,
      description: `Task execution role of the sample app on ECS ${launchType}: pull, log, read secrets`,
    });
    Validations.of(executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only ecr:GetAuthorizationToken is on *: the API has no resource scope; pulls are scoped to the repository',
    });

    const shared = { taskRole, executionRole, networkMode: ecs.NetworkMode.AWS_VPC };
    this.taskDefinition =
      launchType === 'fargate'
        ? new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
            ...shared,
            cpu: props.cpu,
            memoryLimitMiB: props.memoryMiB,
            runtimePlatform: {
              operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
              cpuArchitecture:
                image.cpuArchitecture === 'arm64' ? ecs.CpuArchitecture.ARM64 : ecs.CpuArchitecture.X86_64,
            },
          })
        : // awsvpc on EC2 too: each task gets its own network interface and security group, so NFS
          // and the load balancer can allow exactly this service rather than the whole instance
          new ecs.Ec2TaskDefinition(this, 'TaskDefinition', shared);

    this.container = this.taskDefinition.addContainer('SampleApp', {
      image: ecs.ContainerImage.fromEcrRepository(image.repository, image.tag),
      cpu: props.cpu,
      // non-root, read-only, no capabilities, and the task's memory as the container's hard limit
      ...hardenedContainer(this, props.memoryMiB),
      portMappings: [{ containerPort: SAMPLE_APP.port, name: 'http' }],
      environment: {
        IMAGE_VERSION: image.tag,
        ...shutdownEnvironment(shutdown),
      } satisfies SampleAppEnvironment,
      // ECS sends SIGKILL this long after SIGTERM: after the app's own deadline, never before
      stopTimeout: Duration.seconds(shutdown.timeoutSeconds + SAMPLE_APP.stopMarginSeconds),
      secrets: props.secrets,
      logging: ecs.LogDrivers.awsLogs({ logGroup: props.logGroup, streamPrefix: launchType }),
      // the app writes only to the guestbook volume; ECS Exec's agent needs the root writable
      readonlyRootFilesystem: !props.ecsExec,
    });
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'Plain environment holds only the image tag and the mount path; secrets arrive through `secrets`',
    });
  }
}

/** The app's shutdown settings as environment variables, where they differ from its defaults. */
function shutdownEnvironment(shutdown: SampleAppShutdown): Partial<SampleAppEnvironment> {
  return shutdown === SAMPLE_APP.shutdown
    ? {}
    : {
        SHUTDOWN_DRAIN_MS: String(shutdown.drainSeconds * 1000),
        SHUTDOWN_TIMEOUT_MS: String(shutdown.timeoutSeconds * 1000),
      };
}
