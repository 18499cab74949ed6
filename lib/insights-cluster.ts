import { Fn, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledgeControlTowerRule } from './control-tower-acknowledgments';
import type { StagePolicy } from './stage';

/**
 * An ECS cluster with Container Insights, whose log group is part of the template.
 *
 * Container Insights writes to `/aws/ecs/containerinsights/<cluster>/performance`, a group the service
 * creates on first use: outside the template, it never expires and survives `cdk destroy`, one more
 * for every cluster name. Here the group comes first (the cluster depends on it), with the stage's
 * retention and removal policy. The cluster's name ends in this stack's creation ID, so a group that
 * production retained from an earlier deployment never collides with this one's.
 */
export function insightsCluster(
  scope: Construct,
  id: string,
  props: Omit<ecs.ClusterProps, 'clusterName'>,
  policy: StagePolicy,
): ecs.Cluster {
  const stack = Stack.of(scope);
  const clusterName = `${stack.stackName}-${stackCreationId(stack)}`;
  const performanceLogs = new LogGroup(scope, `${id}PerformanceLogs`, {
    logGroupName: `/aws/ecs/containerinsights/${clusterName}/performance`,
    retention: policy.logRetention,
    removalPolicy: policy.logRemovalPolicy,
  });
  const cluster = new ecs.Cluster(scope, id, { ...props, clusterName });
  cluster.node.addDependency(performanceLogs);
  if (props.containerInsightsV2 === ecs.ContainerInsights.ENHANCED) {
    // CT.ECS.PR.2 accepts only `enabled`; `enhanced` is Container Insights with everything `enabled`
    // collects, plus container-level metrics
    acknowledgeControlTowerRule(
      cluster,
      'ecs_container_insights_enabled_check',
      "Container Insights is on, as 'enhanced' (enhanced observability), a superset of the 'enabled' the rule knows",
    );
  }
  return cluster;
}

/**
 * The first block of the stack ID's UUID (arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>):
 * new with every creation of the stack, so names ending in it never meet a retained resource's.
 */
export function stackCreationId(stack: Stack): string {
  return Fn.select(0, Fn.split('-', Fn.select(2, Fn.split('/', stack.stackId))));
}
