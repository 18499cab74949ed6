import { ArnFormat, Stack } from 'aws-cdk-lib';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { stackCreationId } from '../insights-cluster';
import type { StagePolicy } from '../stage';

/**
 * The rate-based rule's limit: requests from one client IP in any 5 minutes (WAF's default
 * evaluation window). 2,000 is about 7 a second for 5 minutes on end: far above a person reading
 * and signing the guestbook, or an office of them behind one NAT address, and low enough that one
 * host flooding the app is blocked shortly after it passes the limit, until its rate drops again.
 */
const RATE_LIMIT_PER_5_MINUTES = 2_000;

/**
 * AWS managed rule groups, in the order the web ACL evaluates them after the rate limit; each is
 * billed as one rule. All three are in WAF's base price (no per-request fee of their own).
 */
const MANAGED_RULE_GROUPS = [
  // IP addresses Amazon threat intelligence saw in bots, reconnaissance and DDoS
  'AWSManagedRulesAmazonIpReputationList',
  // request patterns known to be malicious: Log4j, Java deserialization, localhost host headers
  'AWSManagedRulesKnownBadInputsRuleSet',
  // the OWASP Top 10 basics: cross-site scripting, local and remote file inclusion, bad sizes
  'AWSManagedRulesCommonRuleSet',
] as const;

/**
 * Rules of the common rule set that only count. SizeRestrictions_BODY blocks bodies over 8 KB; a
 * valid guestbook entry can be larger (280 characters of emoji sequences, percent-encoded, come to
 * ~30 KiB), so the app's own limit (64 KiB, 413 beyond) decides instead. An ALB's WAF inspects only
 * the first 8 KB of a body, so the other body rules still look at every entry's beginning.
 */
const COUNTED_COMMON_RULES = ['SizeRestrictions_BODY'] as const;

export interface WebAclProps {
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  readonly policy: StagePolicy;
}

/**
 * A WAF web ACL in front of an ALB: a per-IP rate limit, then AWS managed rule groups; what no rule
 * blocks is allowed. Every request is logged to a CloudWatch Logs group, with what a client sends as
 * credentials redacted.
 */
export class WebAcl extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: WebAclProps) {
    super(scope, id);
    const { loadBalancer, policy } = props;
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      metricName,
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
    });
    const rateLimit: wafv2.CfnWebACL.RuleProperty = {
      name: 'RateLimitPerIp',
      priority: 0,
      action: { block: {} },
      statement: {
        rateBasedStatement: {
          limit: RATE_LIMIT_PER_5_MINUTES,
          aggregateKeyType: 'IP',
          evaluationWindowSec: 300,
        },
      },
      visibilityConfig: visibility('RateLimitPerIp'),
    };
    const managed = MANAGED_RULE_GROUPS.map((name, index): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority: index + 1,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name,
          ruleActionOverrides:
            name === 'AWSManagedRulesCommonRuleSet'
              ? COUNTED_COMMON_RULES.map((rule) => ({ name: rule, actionToUse: { count: {} } }))
              : undefined,
        },
      },
      visibilityConfig: visibility(name),
    }));
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      rules: [rateLimit, ...managed],
      visibilityConfig: visibility(`${Stack.of(this).stackName}-alb`),
    });
    new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: loadBalancer.loadBalancerArn,
      webAclArn: this.webAcl.attrArn,
    });
    this.logGroup = this.logTo(policy);
  }

  /**
   * WAF logs to a group whose name starts with `aws-waf-logs-`. The name ends in the stack's creation
   * ID, so a group production retained from an earlier deployment never blocks this one.
   */
  private logTo(policy: StagePolicy): logs.LogGroup {
    const stack = Stack.of(this);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `aws-waf-logs-${stack.stackName}-${stackCreationId(stack)}`,
      retention: policy.logRetention,
      removalPolicy: policy.logRemovalPolicy,
    });
    // the destination as WAF takes it: the group's ARN without the `:*` that Fn::GetAtt adds
    const destination = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: logGroup.logGroupName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    // Log delivery writes for WAF; without this resource policy WAF would add its own account-wide
    // one (AWSWAF-LOGS) when logging is first turned on. The statement CloudWatch Logs documents for
    // vended logs ("Logs sent to CloudWatch Logs"), scoped to this group and this account's deliveries.
    const { policyDependable } = logGroup.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AWSLogDeliveryWrite',
        principals: [new iam.ServicePrincipal('delivery.logs.amazonaws.com')],
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`${destination}:log-stream:*`],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'logs',
              resource: '*',
              arnFormat: ArnFormat.NO_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    const logging = new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      logDestinationConfigs: [destination],
      redactedFields: [{ singleHeader: { Name: 'authorization' } }, { singleHeader: { Name: 'cookie' } }],
    });
    if (policyDependable) logging.node.addDependency(policyDependable);
    return logGroup;
  }
}
