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
  /**
   * From the request's first byte to the response's last, in milliseconds, by route and for all
   * routes together. Its sample count is the number of requests answered.
   */
  requestLatency: 'RequestLatency',
  /** Answers with a 5xx status. */
  serverErrors: 'ServerErrors',
} as const;

export const DIMENSION_NAMES = { platform: 'Platform', route: 'Route' } as const;

/**
 * The Route dimension of a path the app does not serve. Every dimension value makes one more custom
 * metric, billed monthly: a scanner trying thousands of paths must not create thousands of them.
 */
export const OTHER_ROUTE = 'other';

interface MetricDirective {
  Namespace: string;
  Dimensions: string[][];
  Metrics: { Name: string; Unit: 'Milliseconds' | 'Count' }[];
}

/**
 * A MetricDirective per metric: latency by platform and route and by platform alone (two metrics
 * from one value), writes and errors by platform.
 */
const LATENCY: MetricDirective = {
  Namespace: METRICS_NAMESPACE,
  Dimensions: [[DIMENSION_NAMES.platform, DIMENSION_NAMES.route], [DIMENSION_NAMES.platform]],
  Metrics: [{ Name: METRIC_NAMES.requestLatency, Unit: 'Milliseconds' }],
};
const byPlatform = (name: string): MetricDirective => ({
  Namespace: METRICS_NAMESPACE,
  Dimensions: [[DIMENSION_NAMES.platform]],
  Metrics: [{ Name: name, Unit: 'Count' }],
});
const WRITES = byPlatform(METRIC_NAMES.guestbookWrites);
const ERRORS = byPlatform(METRIC_NAMES.serverErrors);

export interface RequestMetrics {
  /** The platform id the app detected (app/src/platform.ts). */
  readonly platform: string;
  /** A route the app serves, or OTHER_ROUTE. */
  readonly route: string;
  readonly latencyMs: number;
  readonly status: number;
  /** Whether the request added a guestbook entry. */
  readonly guestbookWrite: boolean;
}

/**
 * The EMF members of one request's log line: the `_aws` metadata, and each dimension and metric value
 * as a member of the root node, where the directives point.
 */
export function requestMetricFields(metrics: RequestMetrics, now = Date.now()): Record<string, unknown> {
  const failed = metrics.status >= 500;
  const directives = [LATENCY];
  if (metrics.guestbookWrite) directives.push(WRITES);
  if (failed) directives.push(ERRORS);
  return {
    _aws: { Timestamp: now, CloudWatchMetrics: directives },
    [DIMENSION_NAMES.platform]: metrics.platform,
    [DIMENSION_NAMES.route]: metrics.route,
    [METRIC_NAMES.requestLatency]: metrics.latencyMs,
    ...(metrics.guestbookWrite ? { [METRIC_NAMES.guestbookWrites]: 1 } : {}),
    ...(failed ? { [METRIC_NAMES.serverErrors]: 1 } : {}),
  };
}
