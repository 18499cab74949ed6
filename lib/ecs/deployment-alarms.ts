import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';

/**
 * When a deployment is bad enough to roll back, measured at the service's target groups each
 * minute, two minutes out of three. Above the point where step scaling adds tasks for latency
 * (lib/ecs/scaling.ts: 0.5 s and 1 s), so load alone does not roll a release back.
 */
export const DEPLOYMENT_ALARM_THRESHOLDS = {
  /** Target 5xx responses, as a percentage of the requests. */
  target5xxPercent: 5,
  /** p90 target response time, in seconds. */
  p90Seconds: 2,
  /** Targets failing their health checks. */
  unhealthyHosts: 1,
};
const PERIOD = Duration.minutes(1);

/**
 * A service's deployment alarms (concept: "deployment alarms"): ECS watches them during a
 * deployment and its bake time, and rolls back when one goes off; the circuit breaker covers tasks
 * that do not start at all, these the ones that start and then answer badly. Over every target group
 * the service's tasks can be in: with traffic shifting, the pair, so green's errors count whichever
 * group it is in. The alarms carry no actions here: the stack points them at its alerts topic.
 */
export class DeploymentAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[];

  constructor(
    scope: Construct,
    id: string,
    service: ecs.BaseService,
    targetGroups: elbv2.ApplicationTargetGroup[],
  ) {
    super(scope, id);
    const perMinute = { period: PERIOD };
    const errors = named(
      'e',
      targetGroups.map((group) =>
        group.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
          ...perMinute,
          statistic: 'Sum',
        }),
      ),
    );
    const requests = named(
      'r',
      targetGroups.map((group) => group.metrics.requestCount({ ...perMinute, statistic: 'Sum' })),
    );
    // a group without requests this minute (the empty one of a pair) counts as 0, not as missing
    const sum = (metrics: Record<string, cloudwatch.IMetric>) =>
      Object.keys(metrics)
        .map((name) => `FILL(${name}, 0)`)
        .join(' + ');
    const errorRate = new cloudwatch.MathExpression({
      expression: `100 * (${sum(errors)}) / (${sum(requests)})`,
      usingMetrics: { ...errors, ...requests },
      label: 'Target 5xx, % of requests',
      period: PERIOD,
    });
    const p90 = combined(
      'MAX',
      targetGroups.map((group) => group.metrics.targetResponseTime({ ...perMinute, statistic: 'p90' })),
      'p90 target response time (s)',
    );
    const unhealthy = combined(
      'SUM',
      targetGroups.map((group) => group.metrics.unhealthyHostCount({ ...perMinute, statistic: 'Maximum' })),
      'Unhealthy targets',
    );

    const { target5xxPercent, p90Seconds, unhealthyHosts } = DEPLOYMENT_ALARM_THRESHOLDS;
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, threshold: number, description: string) =>
      new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        // no requests is no evidence against a deployment
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `${description}: rolls back a deployment of ${service.node.id}`,
      });
    this.alarms = [
      alarm(
        'Target5xx',
        errorRate,
        target5xxPercent,
        `Target 5xx at ${target5xxPercent} % of requests or more`,
      ),
      alarm('LatencyP90', p90, p90Seconds, `p90 target response time at ${p90Seconds} s or more`),
      alarm('UnhealthyTargets', unhealthy, unhealthyHosts, `${unhealthyHosts} or more unhealthy targets`),
    ];
    service.enableDeploymentAlarms(
      this.alarms.map((a) => a.alarmName),
      { behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM },
    );
  }
}

/** Metrics under the ids metric math refers to them by: `prefix` and a number. */
function named(prefix: string, metrics: cloudwatch.IMetric[]): Record<string, cloudwatch.IMetric> {
  return Object.fromEntries(metrics.map((metric, i) => [`${prefix}${i}`, metric]));
}

/** One target group's metric as it is; several, combined point by point with `fn` (MAX or SUM). */
function combined(fn: 'MAX' | 'SUM', metrics: cloudwatch.IMetric[], label: string): cloudwatch.IMetric {
  if (metrics.length === 1) return metrics[0];
  const usingMetrics = named('m', metrics);
  return new cloudwatch.MathExpression({
    expression: `${fn}([${Object.keys(usingMetrics).join(', ')}])`,
    usingMetrics,
    label,
    period: PERIOD,
  });
}
