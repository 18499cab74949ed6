import { CfnResource, IAspect } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { CfnLogGroup, LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct, IConstruct } from 'constructs';
import { acknowledgeControlTowerRule } from './control-tower-acknowledgments';
import type { StagePolicy } from './stage';

/**
 * Gives every Lambda function's logs the stage's retention and removal policy, in a group the
 * function depends on.
 *
 * CDK's helper functions (custom resources for the VPC's default security group, EKS's kubectl
 * provider...) and our own (the ECR image copy) otherwise log to groups that never expire and survive
 * `cdk destroy`. Fixed here once, for every stack, rather than function by function:
 * - a `lambda.Function` gets its own group from CDK (`@aws-cdk/aws-lambda:useCdkManagedLogGroup`):
 *   that group gets our policy;
 * - a bare function resource (CustomResourceProvider) gets a new group.
 *
 * Either way the function logs to its group through `LoggingConfig.LogGroup`, so CloudFormation
 * creates the group before the function and deletes it after. CDK names its group
 * `/aws/lambda/<function name>`, which makes the group depend on the function instead: whatever
 * invokes the function (a custom resource, through a provider framework function) could run before
 * the group exists, Lambda creates it, and the group's own create fails with AlreadyExists
 * (aws/aws-cdk#34612); on delete the group goes first and Lambda recreates it, without expiry, for
 * the custom resources' last invocations. So that group is left to CloudFormation to name.
 */
export class LambdaLogGroups implements IAspect {
  constructor(private readonly policy: StagePolicy) {}

  visit(node: IConstruct): void {
    if (node instanceof lambda.Function) {
      const logGroup = node.node.tryFindChild('LogGroup');
      if (!(logGroup instanceof LogGroup)) return;
      const resource = logGroup.node.defaultChild as CfnLogGroup;
      resource.logGroupName = undefined;
      resource.retentionInDays = this.policy.logRetention;
      logGroup.applyRemovalPolicy(this.policy.logRemovalPolicy);
      logTo(node.node.defaultChild as CfnResource, logGroup);
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
      logTo(node, logGroup);
      acknowledgeControlTowerRule(
        node,
        'lambda_inside_vpc_check',
        "CDK's singleton provider function for a custom resource of its own: its CfnResource takes no VPC configuration",
      );
    }
  }
}

/** A reference to the group: the function depends on it. */
function logTo(fn: CfnResource, logGroup: LogGroup): void {
  fn.addPropertyOverride('LoggingConfig.LogGroup', logGroup.logGroupName);
}

function isBareFunction(node: IConstruct): node is CfnResource {
  return (
    CfnResource.isCfnResource(node) &&
    node.cfnResourceType === 'AWS::Lambda::Function' &&
    !(node.node.scope instanceof lambda.Function)
  );
}

/**
 * Lets one of our functions write to the log group CDK makes for it (the aspect above gives it our
 * retention), as a policy of its own on the function's role: the function waits only for the role's
 * default policy, so whatever must not invoke it before it can log depends on this policy.
 */
export function functionLogsPolicy(
  scope: Construct,
  id: string,
  fn: lambda.Function,
  role: iam.IRole,
): iam.Policy {
  return new iam.Policy(scope, id, {
    roles: [role],
    statements: [
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [fn.logGroup.logGroupArn],
      }),
    ],
  });
}
