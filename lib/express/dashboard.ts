import { Fn } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { Construct } from 'constructs';
import type { Alerts } from '../alerts';
import {
  LATENCY_PERCENTILES,
  PERIOD,
  PlatformDashboard,
  runningBelowDesiredAlarm,
  runningTasks,
} from '../dashboard';

export interface ExpressObservabilityProps {
  readonly service: ecs.CfnExpressGatewayService;
  readonly cluster: ecs.ICluster;
  readonly alerts: Alerts;
}

/**
 * The Express Mode stack's dashboard and alarm. ECS builds the load balancer and the service outside
 * the template, and reports what it built as attributes of the Express service: the load balancer's
 * ARN gives its metrics (through the imported L2), the service's ARN ends in the ECS service's name.
 * The load balancer's metrics count every Express service that shares it (services in the same VPC
 * may); this stack's has it alone. No guestbook writes: Express mounts no volume.
 */
export function observeExpress(scope: Construct, props: ExpressObservabilityProps): PlatformDashboard {
  const { service, cluster, alerts } = props;
  const alb = elbv2.ApplicationLoadBalancer.fromApplicationLoadBalancerAttributes(scope, 'ExpressAlb', {
    loadBalancerArn: service.attrEcsManagedResourceArnsIngressPathLoadBalancerArn,
    securityGroupId: Fn.select(0, service.attrEcsManagedResourceArnsIngressPathLoadBalancerSecurityGroups),
  });
  // arn:aws:ecs:<region>:<account>:service/<cluster>/<service>
  const serviceName = Fn.select(2, Fn.split('/', service.attrServiceArn));
  const tasks = runningTasks(cluster.clusterName, serviceName);
  const sum = { statistic: cloudwatch.Stats.SUM, period: PERIOD };
  // what AWS/ECS publishes per service; an imported service has no metric*() methods
  const utilization = (metricName: string) =>
    new cloudwatch.Metric({
      namespace: 'AWS/ECS',
      metricName,
      dimensionsMap: { ClusterName: cluster.clusterName, ServiceName: serviceName },
      statistic: cloudwatch.Stats.AVERAGE,
      period: PERIOD,
    });

  alerts.notifyOn(runningBelowDesiredAlarm(scope, 'RunningBelowDesired', 'express', tasks));

  return new PlatformDashboard(scope, 'Dashboard', 'containers-on-aws: ECS Express Mode', {
    requests: [alb.metrics.requestCount(sum)],
    serverErrors: [
      alb.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, sum),
      alb.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, sum),
    ],
    latency: LATENCY_PERCENTILES.map((statistic) =>
      alb.metrics.targetResponseTime({ statistic, period: PERIOD }),
    ),
    running: [tasks.running],
    utilization: [utilization('CPUUtilization'), utilization('MemoryUtilization')],
  });
}
