import { Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import { Construct } from 'constructs';
import { acknowledgeControlTowerRule } from './control-tower-acknowledgments';
import { customerManagedKey } from './customer-managed-keys';
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
    const { policy } = props;
    this.fileSystem = new efs.FileSystem(this, 'FileSystem', {
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      encrypted: true,
      performanceMode: efs.PerformanceMode.GENERAL_PURPOSE,
      throughputMode: efs.ThroughputMode.ELASTIC,
      removalPolicy: policy.dataRemovalPolicy,
      enableAutomaticBackups: policy.fileSystemBackups,
      // entries nobody read for a month move to the cheaper Infrequent Access class
      lifecyclePolicy: efs.LifecyclePolicy.AFTER_30_DAYS,
      outOfInfrequentAccessPolicy: efs.OutOfInfrequentAccessPolicy.AFTER_1_ACCESS,
    });
    if (!policy.fileSystemBackups) {
      acknowledgeControlTowerRule(
        this.fileSystem,
        'efs_automatic_backups_enabled_check',
        'Sandbox: recovery points would outlive cdk destroy and keep costing; the production stage backs up',
      );
    }
    if (policy.backupPlan) this.backUp(policy);
  }

  /**
   * An AWS Backup plan of our own beside EFS's automatic backups (which CT.ELASTICFILESYSYSTEM.PR.2
   * asks for): daily, each recovery point kept 35 days, in a vault encrypted with a customer managed
   * key, where the schedule, retention and key are ours to change or to copy to another account.
   */
  private backUp(policy: StagePolicy): void {
    const vault = new backup.BackupVault(this, 'Vault', {
      encryptionKey: customerManagedKey(
        this,
        'VaultKey',
        'Recovery points of the guestbook file system',
        policy,
      ),
      // kept with the data (a vault that holds recovery points cannot be deleted anyway); CDK names
      // it, so like a named log group it is never kept from a create that failed
      removalPolicy: policy.namedLogRemovalPolicy,
    });
    const plan = backup.BackupPlan.daily35DayRetention(this, 'Plan', vault);
    const selection = plan.addSelection('FileSystem', {
      resources: [backup.BackupResource.fromEfsFileSystem(this.fileSystem)],
    });
    Validations.of(selection).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      reason:
        "AWS Backup's own policy for its backup role: what the service needs to back up any resource type",
    });
  }
}
