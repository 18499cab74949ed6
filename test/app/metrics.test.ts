// The app's embedded metric format (EMF) lines, checked against the format's specification:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
// Both the function that builds the members and the request lines the real server writes to stdout.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Guestbook } from '../../app/src/guestbook';
import { logToStdout } from '../../app/src/log';
import {
  DIMENSION_NAMES,
  METRIC_NAMES,
  METRICS_NAMESPACE,
  OTHER_ROUTE,
  requestMetricFields,
} from '../../app/src/metrics';
import type { RuntimeFacts } from '../../app/src/platform';
import { startServer } from '../../app/src/server';

/** The spec's units (MetricDefinition.Unit: a CloudWatch StandardUnit). */
const UNITS = new Set(['Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Count', 'Percent', 'None']);

/**
 * Every rule of the specification's document structure, as a list of violations (empty: valid):
 * - the LogEvent message is one JSON object, nothing before or after it;
 * - the root has `_aws`, an object with `Timestamp` (milliseconds since the epoch, a number) and
 *   `CloudWatchMetrics`, an array of MetricDirective objects;
 * - a MetricDirective has `Namespace` (a string), `Dimensions` (an array of DimensionSets, each an
 *   array of at most 30 dimension keys) and `Metrics` (an array of at most 100 MetricDefinitions);
 * - a MetricDefinition has `Name`, optionally `Unit` and `StorageResolution` (1 or 60);
 * - every dimension key and metric name a directive references is a member of the root node:
 *   dimensions with a string value, metrics with a number (or an array of at most 100 numbers).
 */
function emfViolations(line: string): string[] {
  const problems: string[] = [];
  if (line.trim() !== line) problems.push('data around the JSON object');
  let root: Record<string, unknown>;
  try {
    root = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return [...problems, 'not JSON'];
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root)) return [...problems, 'not an object'];
  const meta = root._aws as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | undefined;
  if (typeof meta !== 'object' || meta === null) return [...problems, '_aws is not an object'];
  if (typeof meta.Timestamp !== 'number' || !Number.isInteger(meta.Timestamp)) {
    problems.push('_aws.Timestamp is not a number of milliseconds');
  }
  if (!Array.isArray(meta.CloudWatchMetrics)) return [...problems, '_aws.CloudWatchMetrics is not an array'];
  for (const directive of meta.CloudWatchMetrics as Record<string, unknown>[]) {
    if (typeof directive.Namespace !== 'string' || directive.Namespace === '') problems.push('no Namespace');
    const dimensionSets = directive.Dimensions as unknown[][];
    if (!Array.isArray(dimensionSets)) problems.push('Dimensions is not an array');
    for (const set of dimensionSets ?? []) {
      if (!Array.isArray(set) || set.length > 30) problems.push('a DimensionSet over 30 keys');
      for (const key of set) {
        if (typeof root[key as string] !== 'string')
          problems.push(`dimension ${String(key)}: no string member`);
      }
    }
    const metrics = directive.Metrics as Record<string, unknown>[];
    if (!Array.isArray(metrics) || metrics.length > 100)
      problems.push('Metrics: not an array of at most 100');
    for (const metric of metrics ?? []) {
      const value = root[metric.Name as string];
      const values = Array.isArray(value) ? value : [value];
      if (values.length > 100 || !values.every((v) => typeof v === 'number')) {
        problems.push(`metric ${String(metric.Name)}: no number member`);
      }
      if (metric.Unit !== undefined && !UNITS.has(metric.Unit as string))
        problems.push(`unit ${String(metric.Unit)}`);
      if (![undefined, 1, 60].includes(metric.StorageResolution as number))
        problems.push('StorageResolution');
    }
  }
  return problems;
}

const directives = (fields: Record<string, unknown>) =>
  (fields._aws as { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] })
    .CloudWatchMetrics;

describe('requestMetricFields', () => {
  const read = { platform: 'eks-ec2', route: '/', latencyMs: 12.5, status: 200, guestbookWrite: false };

  test('a request: its latency in milliseconds, by platform and route and by platform, as a valid EMF document', () => {
    const fields = requestMetricFields(read, 1_700_000_000_000);

    expect(emfViolations(JSON.stringify(fields))).toEqual([]);
    expect(fields).toEqual({
      _aws: {
        Timestamp: 1_700_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [[DIMENSION_NAMES.platform, DIMENSION_NAMES.route], [DIMENSION_NAMES.platform]],
            Metrics: [{ Name: METRIC_NAMES.requestLatency, Unit: 'Milliseconds' }],
          },
        ],
      },
      Platform: 'eks-ec2',
      Route: '/',
      RequestLatency: 12.5,
    });
  });

  test('a guestbook write adds a count of 1, by platform only', () => {
    const fields = requestMetricFields({ ...read, guestbookWrite: true });

    expect(emfViolations(JSON.stringify(fields))).toEqual([]);
    expect(directives(fields)[1]).toEqual({
      Namespace: METRICS_NAMESPACE,
      Dimensions: [[DIMENSION_NAMES.platform]],
      Metrics: [{ Name: METRIC_NAMES.guestbookWrites, Unit: 'Count' }],
    });
    expect(fields[METRIC_NAMES.guestbookWrites]).toBe(1);
    expect(fields).not.toHaveProperty(METRIC_NAMES.serverErrors);
  });

  test('a 5xx answer adds a server error, by platform only', () => {
    const fields = requestMetricFields({ ...read, status: 503 });

    expect(emfViolations(JSON.stringify(fields))).toEqual([]);
    expect(directives(fields)[1]).toEqual({
      Namespace: METRICS_NAMESPACE,
      Dimensions: [[DIMENSION_NAMES.platform]],
      Metrics: [{ Name: METRIC_NAMES.serverErrors, Unit: 'Count' }],
    });
    expect(fields[METRIC_NAMES.serverErrors]).toBe(1);
  });

  test('the validator catches what the specification forbids', () => {
    const fields = requestMetricFields(read);
    const broken = { ...fields, RequestLatency: '12.5', Platform: undefined };

    expect(emfViolations(`x${JSON.stringify(fields)}`)).toContain('not JSON');
    expect(emfViolations(JSON.stringify(broken))).toEqual([
      // once per DimensionSet that names it
      'dimension Platform: no string member',
      'dimension Platform: no string member',
      'metric RequestLatency: no number member',
    ]);
    const wide = {
      ...fields,
      _aws: {
        Timestamp: 1,
        CloudWatchMetrics: [{ Namespace: 'n', Dimensions: [Array(31).fill('Route')], Metrics: [] }],
      },
    };
    expect(emfViolations(JSON.stringify(wide))).toEqual(['a DimensionSet over 30 keys']);
  });
});

describe('the request lines the server writes to stdout', () => {
  const FACTS = { platform: 'ecs-ec2', replicaId: 'r', detectionErrors: [] } as unknown as RuntimeFacts;
  let dir: string;
  let lines: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coa-metrics-'));
    lines = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const server = await startServer({
      port: 0,
      host: '127.0.0.1',
      imageVersion: 'v1',
      facts: Promise.resolve(FACTS),
      guestbook: new Guestbook(dir),
      drainMs: 0,
      log: logToStdout,
    });
    const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;
    await fetch(url('/api/guestbook'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Ada', message: 'counted' }),
    });
    await fetch(url('/wp-login.php'));
    await server.close();
    write.mockRestore();
    lines = lines.filter((line) => line.startsWith('{"level":"info","msg":"request"'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('each is one valid EMF document on its own line', () => {
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line.endsWith('\n')).toBe(true);
      expect(emfViolations(line.slice(0, -1))).toEqual([]);
    }
  });

  test('the write counts, under its route and the detected platform', () => {
    const written = JSON.parse(lines[0]) as Record<string, unknown>;

    expect(written).toMatchObject({ Platform: 'ecs-ec2', Route: '/api/guestbook', GuestbookWrites: 1 });
  });

  test('a path the app does not serve is one "other" route, so scanners create no metrics', () => {
    const scanned = JSON.parse(lines[1]) as Record<string, unknown>;

    expect(scanned).toMatchObject({ path: '/wp-login.php', Route: OTHER_ROUTE });
    expect(scanned).not.toHaveProperty(METRIC_NAMES.guestbookWrites);
  });
});
