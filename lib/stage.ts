import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { ContainerInsights } from 'aws-cdk-lib/aws-ecs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { CpuArchitecture, Stage } from './config';

/**
 * Every way the stages differ, as one decision each. Sandbox: cheap, and `cdk destroy` leaves
 * nothing behind. Production: data outlives the stack, and what protects or observes it is on.
 */
export interface StagePolicy {
  /** For resources that hold data: file systems, registries, buckets, queues, keys. */
  readonly dataRemovalPolicy: RemovalPolicy;
  /** Whether deleting a repository or bucket deletes what is in it (with `dataRemovalPolicy` DESTROY). */
  readonly emptyOnDelete: boolean;
  readonly logRemovalPolicy: RemovalPolicy;
  /**
   * For log groups whose name a service fixes (EKS's control plane, Container Insights): never kept
   * from a create that failed, or the retry would find the name taken.
   */
  readonly namedLogRemovalPolicy: RemovalPolicy;
  readonly logRetention: RetentionDays;
  /** How long a deleted KMS key can still be restored. */
  readonly keyDeletionWindow: Duration;
  /** Stack termination protection and load balancer deletion protection. */
  readonly deletionProtection: boolean;
  /** Load balancer and S3 server access logs, kept in an access-log bucket. */
  readonly accessLogs: boolean;
  /** EFS's automatic daily backups (AWS Backup's default plan). */
  readonly fileSystemBackups: boolean;
  /** ECS Container Insights: enhanced adds container-level detail, worth its price where someone is paged. */
  readonly containerInsights: ContainerInsights;
  /**
   * Managed termination protection: a capacity provider's scale-in never stops a running task. Off
   * in the sandbox, where protected instances that still run tasks would keep `cdk destroy` waiting.
   */
  readonly scaleInProtection: boolean;
  /** How long a load balancer drains a target before deregistering it. */
  readonly deregistrationDelay: Duration;
  /**
   * Whether interruption-tolerant Fargate tasks run on Fargate Spot, at a discount. Only x86_64:
   * ECS does not run ARM64 Linux tasks on Fargate Spot, so an arm64 sandbox uses regular Fargate.
   */
  readonly fargateSpot: boolean;
  /** Interface endpoints in every AZ's private subnet, or (cheaper) in one. */
  readonly endpointsInEveryAz: boolean;
  // production controls: the edge
  /**
   * A WAF web ACL on the ECS ALB: AWS managed rule groups and a per-IP rate limit, with its logs.
   * Off in the sandbox, to keep it cheap: about $9 a month in fixed fees (docs/ecs.md).
   */
  readonly webAcl: boolean;
  // production controls: compute
  /**
   * EC2 detailed monitoring (1-minute instance metrics) on every launch template (CT.EC2.PR.10): about
   * $2.10 per instance a month (7 metrics at CloudWatch's $0.30), so the sandbox keeps 5-minute basic.
   */
  readonly detailedMonitoring: boolean;
  // debug access and observability
  /**
   * ECS Exec (a shell in a running container, through SSM) unless config `ecsExec` says otherwise.
   * Off in production: a shell there is a change nobody reviewed; turn it on for an incident.
   */
  readonly ecsExec: boolean;
  // production controls: data at rest
  /**
   * Whether `cdk synth` judges the templates by AWS Control Tower's proactive controls (cfn-guard).
   * Off in the sandbox, which keeps cheaper choices those rules refuse (docs/security.md).
   */
  readonly controlTowerRules: boolean;
  /** Every log group encrypted with its stack's customer managed key (CT.CLOUDWATCH.PR.3), one key a stack. */
  readonly logEncryption: boolean;
  /**
   * Buckets whose writers can use KMS encrypted with a customer managed key (CT.S3.PR.10), else SSE-S3.
   * Access-log buckets stay SSE-S3 in every stage: ALB and S3 server access logging cannot write SSE-KMS.
   */
  readonly bucketKeys: boolean;
  /** Secrets encrypted with a customer managed key rather than Secrets Manager's AWS managed one. */
  readonly secretKeys: boolean;
  /**
   * File systems in an AWS Backup plan (daily, kept 35 days) with a vault under a customer managed key.
   * Off in the sandbox: a vault that holds recovery points cannot be deleted, so `cdk destroy` would fail.
   */
  readonly backupPlan: boolean;
}

export function stagePolicy(stage: Stage, cpuArchitecture: CpuArchitecture): StagePolicy {
  return stage === 'production'
    ? {
        dataRemovalPolicy: RemovalPolicy.RETAIN,
        emptyOnDelete: false,
        logRemovalPolicy: RemovalPolicy.RETAIN,
        namedLogRemovalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        logRetention: RetentionDays.ONE_YEAR,
        keyDeletionWindow: Duration.days(30),
        deletionProtection: true,
        accessLogs: true,
        fileSystemBackups: true,
        containerInsights: ContainerInsights.ENHANCED,
        scaleInProtection: true,
        deregistrationDelay: Duration.seconds(120),
        fargateSpot: false,
        endpointsInEveryAz: true,
        // production controls: the edge
        webAcl: true,
        // production controls: compute
        detailedMonitoring: true,
        // debug access and observability
        ecsExec: false,
        // production controls: data at rest
        controlTowerRules: true,
        logEncryption: true,
        bucketKeys: true,
        secretKeys: true,
        backupPlan: true,
      }
    : {
        dataRemovalPolicy: RemovalPolicy.DESTROY,
        emptyOnDelete: true,
        logRemovalPolicy: RemovalPolicy.DESTROY,
        namedLogRemovalPolicy: RemovalPolicy.DESTROY,
        logRetention: RetentionDays.ONE_WEEK,
        keyDeletionWindow: Duration.days(7),
        deletionProtection: false,
        accessLogs: false,
        fileSystemBackups: false,
        containerInsights: ContainerInsights.ENABLED,
        scaleInProtection: false,
        // short, so a sandbox deploy is not five minutes of draining
        deregistrationDelay: Duration.seconds(30),
        fargateSpot: cpuArchitecture === 'x86_64',
        endpointsInEveryAz: false,
        // production controls: the edge
        webAcl: false,
        // production controls: compute
        detailedMonitoring: false,
        // debug access and observability
        ecsExec: true,
        // production controls: data at rest
        controlTowerRules: false,
        logEncryption: false,
        bucketKeys: false,
        secretKeys: false,
        backupPlan: false,
      };
}
