import { ArnFormat, Stack, type IAspect } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { CfnLogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';
import { acknowledgeControlTowerRule } from './control-tower-acknowledgments';
import { customerManagedKey } from './customer-managed-keys';
import type { StagePolicy } from './stage';

const KEY_ID = 'LogsKey';

/**
 * CT.CLOUDWATCH.PR.3: every log group of a stack, ours and those CDK makes for its helper functions,
 * encrypted with that stack's customer managed key (one per stack: no stack holds another's key).
 *
 * The key policy lets CloudWatch Logs of this region use the key for this account's log groups only,
 * as "Encrypt log data in CloudWatch Logs using AWS KMS" in the CloudWatch Logs user guide shows. The
 * policy is part of the key resource, and each group names the key's ARN: CloudFormation creates the
 * key with its policy before any group that uses it, and a group created earlier would be refused.
 */
export class LogEncryption implements IAspect {
  constructor(private readonly policy: StagePolicy) {}

  visit(node: IConstruct): void {
    if (!(node instanceof CfnLogGroup)) return;
    if (this.policy.logEncryption) {
      node.kmsKeyId = logsKey(Stack.of(node), this.policy).keyArn;
      return;
    }
    // the sandbox's choices, named in the stage policy, where `npm run guard` judges the sandbox
    acknowledgeControlTowerRule(
      node,
      'cloudwatch_log_group_encrypted_check',
      'Sandbox: CloudWatch Logs encryption without a key to pay for (logEncryption)',
    );
    if (this.policy.logRetention < RetentionDays.ONE_YEAR) {
      acknowledgeControlTowerRule(
        node,
        'cloudwatch_log_group_retention_period_check',
        'Sandbox: logs kept as long as the stage policy says (logRetention), not a year',
      );
    }
  }
}

function logsKey(stack: Stack, policy: StagePolicy): kms.Key {
  const existing = stack.node.tryFindChild(KEY_ID) as kms.Key | undefined;
  if (existing) return existing;
  const key = customerManagedKey(stack, KEY_ID, `${stack.stackName}: its CloudWatch Logs log groups`, policy);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchLogsOfThisAccount',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }),
  );
  return key;
}
