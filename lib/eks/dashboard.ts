import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as efs from 'aws-cdk-lib/aws-efs';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import type { Construct } from 'constructs';
import type { Alerts } from '../alerts';
import { appMetrics, PERIOD, PlatformDashboard } from '../dashboard';
import { SAMPLE_APP_NAME, SAMPLE_APP_NAMESPACE } from './sample-app-chart';

export interface EksObservabilityProps {
  readonly cluster: eks.ICluster;
  readonly fileSystem: efs.IFileSystem;
  readonly alerts: Alerts;
}

/**
 * The EKS stack's dashboard and alarms. The load balancer controller builds the ALB outside the
 * template, so requests, 5xx and latency come from the app's own metrics (app/src/metrics.ts), and
 * pods from Container Insights: the amazon-cloudwatch-observability add-on's CloudWatch agent
 * publishes them (namespace ContainerInsights) for pods on EC2 nodes, not on Fargate.
 */
export function observeEks(scope: Construct, props: EksObservabilityProps): PlatformDashboard {
  const { cluster, fileSystem, alerts } = props;
  const insights = (metricName: string, dimensions: Record<string, string>, statistic: string) =>
    new cloudwatch.Metric({
      namespace: 'ContainerInsights',
      metricName,
      dimensionsMap: { ClusterName: cluster.clusterName, Namespace: SAMPLE_APP_NAMESPACE, ...dimensions },
      statistic,
      period: PERIOD,
    });
  // Container Insights names a Deployment's pods after the Deployment; the Service has the app's name too
  const pods = { PodName: SAMPLE_APP_NAME };
  const running = insights(
    'service_number_of_running_pods',
    { Service: SAMPLE_APP_NAME },
    cloudwatch.Stats.MINIMUM,
  );
  const restarts = insights('pod_number_of_container_restarts', pods, cloudwatch.Stats.MAXIMUM);

  // No pod behind the Service for three minutes: the ALB has no target to send to
  alerts.notifyOn(
    new cloudwatch.Alarm(scope, 'NoRunningPods', {
      alarmDescription: `${SAMPLE_APP_NAMESPACE}/${SAMPLE_APP_NAME}: no running pod behind the Service for 3 minutes`,
      metric: running,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    }),
  );
  // The restart count only grows while a pod lives: the alarm watches it grow
  alerts.notifyOn(
    new cloudwatch.Alarm(scope, 'PodRestarts', {
      alarmDescription: `${SAMPLE_APP_NAMESPACE}/${SAMPLE_APP_NAME}: containers restarted (crashes, failed liveness probes, OOM kills)`,
      metric: new cloudwatch.MathExpression({
        expression: 'DIFF(restarts)',
        usingMetrics: { restarts },
        label: 'Container restarts',
        period: PERIOD,
      }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
  );

  // pods on EC2 nodes (and EKS Auto Mode's) report eks-ec2, pods on Fargate eks-fargate
  const app = (['eks-ec2', 'eks-fargate'] as const).map(appMetrics);
  return new PlatformDashboard(scope, 'Dashboard', 'containers-on-aws: EKS', {
    requests: app.map((m) => m.requests),
    serverErrors: app.map((m) => m.serverErrors),
    latency: app.flatMap((m) => m.latency),
    running: [running, restarts],
    utilization: [
      insights('pod_cpu_utilization', pods, cloudwatch.Stats.AVERAGE),
      insights('pod_memory_utilization', pods, cloudwatch.Stats.AVERAGE),
    ],
    guestbookWrites: app.map((m) => m.guestbookWrites),
    fileSystem,
  });
}
