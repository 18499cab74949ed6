import type * as apprunner from '@aws-cdk/aws-apprunner-alpha';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import type { Alerts } from '../alerts';
import { LATENCY_PERCENTILES, PERIOD, PlatformDashboard } from '../dashboard';

/**
 * The App Runner stack's dashboard and alarm, on the metrics App Runner publishes per service
 * (namespace AWS/AppRunner, dimensions ServiceName and ServiceID, both the service's attributes; the
 * alpha L2 has no `metric*()` methods). No guestbook writes: App Runner mounts no volume.
 */
export function observeAppRunner(
  scope: Construct,
  service: apprunner.Service,
  alerts: Alerts,
): PlatformDashboard {
  const metric = (metricName: string, statistic: string) =>
    new cloudwatch.Metric({
      namespace: 'AWS/AppRunner',
      metricName,
      dimensionsMap: { ServiceName: service.serviceName, ServiceID: service.serviceId },
      statistic,
      period: PERIOD,
    });
  const serverErrors = metric('5xxStatusResponses', cloudwatch.Stats.SUM);

  // App Runner replaces failing instances itself and publishes no health metric: what reaches
  // users is answers. A 5xx in each of five minutes running is an outage, not a blip.
  alerts.notifyOn(
    new cloudwatch.Alarm(scope, 'ServerErrors', {
      alarmDescription: 'App Runner sample app: 5xx answers in each of the last 5 minutes',
      metric: serverErrors,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 5,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
  );

  return new PlatformDashboard(scope, 'Dashboard', 'containers-on-aws: App Runner', {
    requests: [metric('Requests', cloudwatch.Stats.SUM)],
    serverErrors: [serverErrors],
    latency: LATENCY_PERCENTILES.map((p) => metric('RequestLatency', p)),
    running: [metric('ActiveInstances', cloudwatch.Stats.MAXIMUM)],
    utilization: [
      metric('CPUUtilization', cloudwatch.Stats.AVERAGE),
      metric('MemoryUtilization', cloudwatch.Stats.AVERAGE),
    ],
  });
}
