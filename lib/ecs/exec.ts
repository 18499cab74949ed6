import { Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { StagePolicy } from '../stage';

/**
 * ECS Exec (concept: "ECS Exec: a shell in a running container, without SSH"): `aws ecs
 * execute-command` opens a Session Manager session to the SSM agent that ECS runs inside the
 * container. What it takes:
 * - the cluster says where sessions are logged: every command and its output, in `logGroup`;
 * - each service sets `enableExecuteCommand`, and CDK grants its task role the four
 *   `ssmmessages:*Channel` actions (the agent's channels to Session Manager) and writing to that log
 *   group, nothing else;
 * - the container's root file system is writable: the agent keeps its state and logs under
 *   /var/lib/amazon/ssm and /var/log/amazon/ssm, and ECS Exec does not support read-only root file
 *   systems (aws/containers-roadmap#1359). So a stage with ECS Exec trades that hardening for a shell;
 *   production keeps both off unless `ecsExec=true`.
 * - on EC2 the ECS agent brings the SSM agent: the ECS-optimized AMI (agent 1.50.2 or later) does.
 *
 * Sessions travel over TLS. A KMS key (`kmsKey`) would encrypt the session data once more, for $1 a
 * month and a key policy every user of `execute-command` must also be granted: not worth it for a
 * feature that is off in production; the stage's log group settings (retention, and encryption where
 * the stage encrypts logs) cover what sessions leave behind.
 */
export class EcsExec {
  /** The cluster's `executeCommandConfiguration`; undefined when ECS Exec is off. */
  readonly configuration?: ecs.ExecuteCommandConfiguration;
  readonly logGroup?: logs.LogGroup;

  constructor(
    scope: Construct,
    readonly enabled: boolean,
    policy: StagePolicy,
  ) {
    if (!enabled) return;
    this.logGroup = new logs.LogGroup(scope, 'ExecSessionLogs', {
      retention: policy.logRetention,
      removalPolicy: policy.logRemovalPolicy,
    });
    this.configuration = {
      logging: ecs.ExecuteCommandLogging.OVERRIDE,
      logConfiguration: { cloudWatchLogGroup: this.logGroup },
    };
  }

  /** The findings CDK's ECS Exec grants raise on a service's task role, each with its reason. */
  acknowledgeGrants(taskRole: iam.IRole): void {
    if (!this.enabled) return;
    Validations.of(taskRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ECS Exec: the ssmmessages channel actions and logs:DescribeLogGroups have no resource to scope to',
    });
    Validations.of(taskRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:<${this.logGroupLogicalId()}>:*]`,
      reason: 'ECS Exec: log streams of the session log group, which the SSM agent creates per session',
    });
  }

  private logGroupLogicalId(): string {
    const group = this.logGroup!;
    return group.stack.getLogicalId(group.node.defaultChild as logs.CfnLogGroup);
  }
}
