// The app's own metrics, in CloudWatch's embedded metric format (EMF): members added to the one JSON
// log line each request writes anyway, which CloudWatch Logs turns into metrics as the line arrives.
// No agent, no SDK call, no extra write. The specification:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
//
// The names below are the contract with the stacks' dashboards (lib/dashboard.ts imports this file),
// so they are written once, here, and this module imports nothing.

export const METRICS_NAMESPACE = 'ContainersOnAws/SampleApp';

export const METRIC_NAMES = {
  /** Guestbook entries added, through the form or the API. */
  guestbookWrites: 'GuestbookWrites',
  /** From the request's first byte to the response's last, per route, in milliseconds. */
  requestLatency: 'RequestLatency',
} as const;

export const DIMENSION_NAMES = { platform: 'Platform', route: 'Route' } as const;

/**
 * The Route dimension of a path the app does not serve. Every dimension value makes one more custom
 * metric, billed monthly: a scanner trying thousands of paths must not create thousands of them.
 */
export const OTHER_ROUTE = 'other';

/** A MetricDirective per metric: latency by platform and route, writes by platform. */
const LATENCY = {
  Namespace: METRICS_NAMESPACE,
  Dimensions: [[DIMENSION_NAMES.platform, DIMENSION_NAMES.route]],
  Metrics: [{ Name: METRIC_NAMES.requestLatency, Unit: 'Milliseconds' }],
};
const WRITES = {
  Namespace: METRICS_NAMESPACE,
  Dimensions: [[DIMENSION_NAMES.platform]],
  Metrics: [{ Name: METRIC_NAMES.guestbookWrites, Unit: 'Count' }],
};

export interface RequestMetrics {
  /** The platform id the app detected (app/src/platform.ts). */
  readonly platform: string;
  /** A route the app serves, or OTHER_ROUTE. */
  readonly route: string;
  readonly latencyMs: number;
  /** Whether the request added a guestbook entry. */
  readonly guestbookWrite: boolean;
}

/**
 * The EMF members of one request's log line: the `_aws` metadata, and each dimension and metric value
 * as a member of the root node, where the directives point.
 */
export function requestMetricFields(metrics: RequestMetrics, now = Date.now()): Record<string, unknown> {
  return {
    _aws: { Timestamp: now, CloudWatchMetrics: metrics.guestbookWrite ? [LATENCY, WRITES] : [LATENCY] },
    [DIMENSION_NAMES.platform]: metrics.platform,
    [DIMENSION_NAMES.route]: metrics.route,
    [METRIC_NAMES.requestLatency]: metrics.latencyMs,
    ...(metrics.guestbookWrite ? { [METRIC_NAMES.guestbookWrites]: 1 } : {}),
  };
}
