import { CfnResource, IAspect } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { CfnLogGroup, LogGroup } from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';
import type { StagePolicy } from './stage';

/**
 * Gives every Lambda function's logs the stage's retention and removal policy.
 *
 * CDK's helper functions (custom resources for the VPC's default security group, EKS's kubectl
 * provider...) and our own (the ECR image copy) otherwise log to groups that never expire and
 * survive `cdk destroy`. Fixed here once, for every stack, rather than function by function:
 * - a `lambda.Function` gets its own `/aws/lambda/<name>` group from CDK
 *   (`@aws-cdk/aws-lambda:useCdkManagedLogGroup`): that group gets our policy;
 * - a bare function resource (CustomResourceProvider) gets a new group through `LoggingConfig`.
 */
export class LambdaLogGroups implements IAspect {
  constructor(private readonly policy: StagePolicy) {}

  visit(node: IConstruct): void {
    if (node instanceof CfnLogGroup && isCdkManagedFunctionLogGroup(node)) {
      node.retentionInDays = this.policy.logRetention;
      node.applyRemovalPolicy(this.policy.logRemovalPolicy);
    } else if (isBareFunction(node)) {
      const scope = node.node.scope ?? node;
      const id = `${node.node.id}LogGroup`;
      // aspects run again on every synth of the same app: the group is created once
      const logGroup =
        (scope.node.tryFindChild(id) as LogGroup | undefined) ??
        new LogGroup(scope, id, {
          retention: this.policy.logRetention,
          removalPolicy: this.policy.logRemovalPolicy,
        });
      node.addPropertyOverride('LoggingConfig.LogGroup', logGroup.logGroupName);
    }
  }
}

function isCdkManagedFunctionLogGroup(node: CfnLogGroup): boolean {
  const logGroup = node.node.scope;
  return logGroup?.node.id === 'LogGroup' && logGroup.node.scope instanceof lambda.Function;
}

function isBareFunction(node: IConstruct): node is CfnResource {
  return (
    CfnResource.isCfnResource(node) &&
    node.cfnResourceType === 'AWS::Lambda::Function' &&
    !(node.node.scope instanceof lambda.Function)
  );
}
