import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Stage } from './config';

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
}

export function stagePolicy(stage: Stage): StagePolicy {
  return stage === 'production'
    ? {
        stage,
        dataRemovalPolicy: RemovalPolicy.RETAIN,
        logRemovalPolicy: RemovalPolicy.RETAIN,
        logRetention: RetentionDays.THREE_MONTHS,
        deregistrationDelay: Duration.seconds(120),
      }
    : {
        stage,
        dataRemovalPolicy: RemovalPolicy.DESTROY,
        logRemovalPolicy: RemovalPolicy.DESTROY,
        logRetention: RetentionDays.ONE_WEEK,
        // short, so a sandbox deploy is not five minutes of draining
        deregistrationDelay: Duration.seconds(30),
      };
}
