import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as efs from 'aws-cdk-lib/aws-efs';
import { Construct } from 'constructs';
import { DIMENSION_NAMES, METRIC_NAMES, METRICS_NAMESPACE } from '../app/src/metrics';
import type { Platform } from '../app/src/platform';

/** Dashboards and alarms look at one-minute data: what ALB, ECS and Container Insights publish. */
export const PERIOD = Duration.minutes(1);

/** The latency every dashboard graphs: the median and the tail a user notices. */
export const LATENCY_PERCENTILES = [cloudwatch.Stats.p(50), cloudwatch.Stats.p(90)];

/** The app's own metrics (app/src/metrics.ts, embedded in its log lines) as one platform id reports them. */
export function appMetrics(platform: Platform) {
  const metric = (metricName: string, statistic: string) =>
    new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { [DIMENSION_NAMES.platform]: platform },
      statistic,
      period: PERIOD,
      label: `${platform} ${metricName} ${statistic}`,
    });
  return {
    requests: metric(METRIC_NAMES.requestLatency, cloudwatch.Stats.SAMPLE_COUNT),
    serverErrors: metric(METRIC_NAMES.serverErrors, cloudwatch.Stats.SUM),
    latency: LATENCY_PERCENTILES.map((p) => metric(METRIC_NAMES.requestLatency, p)),
    guestbookWrites: metric(METRIC_NAMES.guestbookWrites, cloudwatch.Stats.SUM),
  };
}

/**
 * Container Insights' per-service task counts (namespace ECS/ContainerInsights, published with
 * Container Insights on the cluster): AWS/ECS has no running-task metric.
 */
export function runningTasks(clusterName: string, serviceName: string) {
  const metric = (metricName: string) =>
    new cloudwatch.Metric({
      namespace: 'ECS/ContainerInsights',
      metricName,
      dimensionsMap: { ClusterName: clusterName, ServiceName: serviceName },
      statistic: cloudwatch.Stats.MINIMUM,
      period: PERIOD,
    });
  return { running: metric('RunningTaskCount'), desired: metric('DesiredTaskCount') };
}

/**
 * Fewer tasks running than the service wants, for ten minutes straight: tasks that keep stopping
 * (crashes, failed health checks, OOM kills) or cannot be placed. Ten minutes covers a scale-out that
 * waits for a new EC2 instance. Metric math over two metrics: billed as two alarm metrics.
 */
export function runningBelowDesiredAlarm(
  scope: Construct,
  id: string,
  what: string,
  { running, desired }: ReturnType<typeof runningTasks>,
): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, {
    alarmDescription: `${what}: fewer tasks running than desired for 10 minutes (tasks stopping or not placed)`,
    metric: new cloudwatch.MathExpression({
      expression: 'desired - running',
      usingMetrics: { desired, running },
      label: 'Tasks missing',
      period: PERIOD,
    }),
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    threshold: 1,
    evaluationPeriods: 10,
    // Container Insights publishes every minute while the service exists: no data is no news
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}

/** An EFS file system's metric (the EFS L2 has no `metric*()` methods): summed per minute. */
function efsMetric(fileSystem: efs.IFileSystem, metricName: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/EFS',
    metricName,
    dimensionsMap: { FileSystemId: fileSystem.fileSystemId },
    statistic: cloudwatch.Stats.SUM,
    period: PERIOD,
  });
}

/** What one platform's dashboard shows; each list is graphed together in one widget. */
export interface DashboardMetrics {
  readonly requests: cloudwatch.IMetric[];
  readonly serverErrors: cloudwatch.IMetric[];
  readonly latency: cloudwatch.IMetric[];
  /** Absent where the load balancer is built outside the template (EKS's controller). */
  readonly healthyTargets?: cloudwatch.IMetric[];
  readonly running: cloudwatch.IMetric[];
  readonly utilization: cloudwatch.IMetric[];
  /** Absent where no volume is mounted (App Runner). */
  readonly guestbookWrites?: cloudwatch.IMetric[];
  /** The guestbook's file system, where the platform mounts one. */
  readonly fileSystem?: efs.IFileSystem;
}

/**
 * One CloudWatch dashboard per platform stack, the same layout on each: traffic, then capacity,
 * then storage and the app's own writes. Its console URL is the stack output `DashboardUrl`.
 */
export class PlatformDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, title: string, metrics: DashboardMetrics) {
    super(scope, id);
    const graph = (heading: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []) =>
      new cloudwatch.GraphWidget({ title: heading, left, right, width: 8, height: 6 });
    const storage = metrics.fileSystem
      ? [
          graph(
            'EFS throughput (bytes) | client connections',
            [efsMetric(metrics.fileSystem, 'TotalIOBytes')],
            [efsMetric(metrics.fileSystem, 'ClientConnections')],
          ),
        ]
      : [];
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [new cloudwatch.TextWidget({ markdown: `# ${title}`, width: 24, height: 1 })],
        [
          graph('Requests', metrics.requests),
          graph('5xx answers', metrics.serverErrors),
          graph('Latency p50 / p90', metrics.latency),
        ],
        [
          graph(
            metrics.healthyTargets ? 'Running | healthy targets' : 'Running',
            metrics.running,
            metrics.healthyTargets,
          ),
          graph('CPU and memory (%)', metrics.utilization),
          ...(metrics.guestbookWrites ? [graph('Guestbook writes', metrics.guestbookWrites)] : []),
        ],
        storage,
      ],
    });
    const region = Stack.of(this).region;
    new CfnOutput(scope, 'DashboardUrl', {
      value: `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${this.dashboard.dashboardName}`,
    });
  }
}
