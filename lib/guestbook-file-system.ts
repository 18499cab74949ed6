import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import { Construct } from 'constructs';
import type { StagePolicy } from './stage';

export interface GuestbookFileSystemProps {
  readonly vpc: ec2.IVpc;
  readonly policy: StagePolicy;
}

/**
 * EFS for the guestbook: one file system that tasks and pods in every AZ mount and share.
 * Encrypted at rest; the file system policy CDK writes (with the current feature flags) refuses
 * anonymous clients, so every client mounts with IAM authorization and TLS. NFS is open only to
 * the security groups the platform stacks allow through `connections`.
 */
export class GuestbookFileSystem extends Construct {
  readonly fileSystem: efs.FileSystem;

  constructor(scope: Construct, id: string, props: GuestbookFileSystemProps) {
    super(scope, id);
    this.fileSystem = new efs.FileSystem(this, 'FileSystem', {
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      encrypted: true,
      performanceMode: efs.PerformanceMode.GENERAL_PURPOSE,
      throughputMode: efs.ThroughputMode.ELASTIC,
      removalPolicy: props.policy.dataRemovalPolicy,
      enableAutomaticBackups: props.policy.fileSystemBackups,
      // entries nobody read for a month move to the cheaper Infrequent Access class
      lifecyclePolicy: efs.LifecyclePolicy.AFTER_30_DAYS,
      outOfInfrequentAccessPolicy: efs.OutOfInfrequentAccessPolicy.AFTER_1_ACCESS,
    });
  }
}
