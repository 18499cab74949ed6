import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as efs from 'aws-cdk-lib/aws-efs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { Construct } from 'constructs';
import type { Alerts } from '../alerts';
import {
  appMetrics,
  LATENCY_PERCENTILES,
  PERIOD,
  PlatformDashboard,
  runningBelowDesiredAlarm,
  runningTasks,
} from '../dashboard';

/** One service behind the ALB, by the platform id the app reports there. */
export interface ObservedService {
  readonly platform: 'ecs-ec2' | 'ecs-fargate';
  readonly service: ecs.BaseService;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
}

export interface EcsObservabilityProps {
  readonly alb: elbv2.ApplicationLoadBalancer;
  readonly services: readonly ObservedService[];
  /** The guestbook's file system. */
  readonly fileSystem: efs.IFileSystem;
  readonly alerts: Alerts;
}

/**
 * The ECS stack's dashboard and alarms. Every metric comes from the resource it describes: the
 * target groups', the ALB's and the services' `metric*()` methods name the namespace and dimensions.
 */
export function observeEcs(scope: Construct, props: EcsObservabilityProps): PlatformDashboard {
  const { alb, services, fileSystem, alerts } = props;
  const byService = (metric: (s: ObservedService) => cloudwatch.IMetric | cloudwatch.IMetric[]) =>
    services.flatMap(metric);
  const options = (s: ObservedService, statistic: string, what = statistic) => ({
    statistic,
    period: PERIOD,
    label: `${s.platform} ${what}`,
  });

  for (const s of services) {
    // No healthy target for three minutes: the load balancer answers 503 for this service's share
    // of the traffic, and the pinned URL fails outright
    alerts.notifyOn(
      new cloudwatch.Alarm(scope, `NoHealthyTargets-${s.platform}`, {
        alarmDescription: `${s.platform}: no healthy target in its target group for 3 minutes`,
        metric: s.targetGroup.metrics.healthyHostCount({
          statistic: cloudwatch.Stats.MINIMUM,
          period: PERIOD,
        }),
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        threshold: 1,
        evaluationPeriods: 3,
        // the ALB reports every minute while the target group is in use: silence is no healthy target
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
    );
    alerts.notifyOn(
      runningBelowDesiredAlarm(
        scope,
        `RunningBelowDesired-${s.platform}`,
        s.platform,
        runningTasks(s.service.cluster.clusterName, s.service.serviceName),
      ),
    );
  }

  return new PlatformDashboard(scope, 'Dashboard', 'containers-on-aws: ECS on EC2 and Fargate, one ALB', {
    requests: byService((s) => s.targetGroup.metrics.requestCount(options(s, cloudwatch.Stats.SUM))),
    serverErrors: [
      ...byService((s) =>
        s.targetGroup.metrics.httpCodeTarget(
          elbv2.HttpCodeTarget.TARGET_5XX_COUNT,
          options(s, cloudwatch.Stats.SUM),
        ),
      ),
      // 5xx the ALB answers itself: 502 (a target reset), 503 (no healthy target), 504 (timeout)
      alb.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, {
        statistic: cloudwatch.Stats.SUM,
        period: PERIOD,
        label: 'ALB 5xx',
      }),
    ],
    latency: byService((s) =>
      LATENCY_PERCENTILES.map((p) => s.targetGroup.metrics.targetResponseTime(options(s, p))),
    ),
    healthyTargets: byService((s) =>
      s.targetGroup.metrics.healthyHostCount(options(s, cloudwatch.Stats.MINIMUM)),
    ),
    running: byService((s) => runningTasks(s.service.cluster.clusterName, s.service.serviceName).running),
    utilization: byService((s) => [
      s.service.metricCpuUtilization(options(s, cloudwatch.Stats.AVERAGE, 'CPU')),
      s.service.metricMemoryUtilization(options(s, cloudwatch.Stats.AVERAGE, 'memory')),
    ]),
    guestbookWrites: byService((s) => appMetrics(s.platform).guestbookWrites),
    fileSystem,
  });
}
