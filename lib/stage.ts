import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { CpuArchitecture, Stage } from './config';

/**
 * What each stage does with data when its stack is deleted, and how long logs live.
 * Sandbox: `cdk destroy` leaves nothing behind. Production: data outlives the stack.
 */
export interface StagePolicy {
  readonly stage: Stage;
  /** For resources that hold data: file systems, registries, buckets, queues, keys. */
  readonly dataRemovalPolicy: RemovalPolicy;
  readonly logRemovalPolicy: RemovalPolicy;
  readonly logRetention: RetentionDays;
  /** How long a load balancer drains a target before deregistering it. */
  readonly deregistrationDelay: Duration;
  /**
   * Whether interruption-tolerant Fargate tasks run on Fargate Spot, at a discount. Only x86_64:
   * ECS does not run ARM64 Linux tasks on Fargate Spot, so an arm64 sandbox uses regular Fargate.
   */
  readonly fargateSpot: boolean;
}

export function stagePolicy(stage: Stage, cpuArchitecture: CpuArchitecture): StagePolicy {
  return stage === 'production'
    ? {
        stage,
        dataRemovalPolicy: RemovalPolicy.RETAIN,
        logRemovalPolicy: RemovalPolicy.RETAIN,
        logRetention: RetentionDays.THREE_MONTHS,
        deregistrationDelay: Duration.seconds(120),
        fargateSpot: false,
      }
    : {
        stage,
        dataRemovalPolicy: RemovalPolicy.DESTROY,
        logRemovalPolicy: RemovalPolicy.DESTROY,
        logRetention: RetentionDays.ONE_WEEK,
        // short, so a sandbox deploy is not five minutes of draining
        deregistrationDelay: Duration.seconds(30),
        fargateSpot: cpuArchitecture === 'x86_64',
      };
}
