/**
 * Reading one synthesized template: the look-ups every per-stack test shares. By type (`only`,
 * `onlyId`, `resourcesOf`) or by construct path (`logicalIdAt`, `resourceAt`, `statementsOfRoleAt`),
 * and the IAM and network shapes several stacks are checked for.
 */
import type { CfnElement, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { IMetric } from 'aws-cdk-lib/aws-cloudwatch';

/* eslint-disable @typescript-eslint/no-explicit-any -- CloudFormation JSON: its shape depends on the type */
export type Resource = {
  Type: string;
  Properties: any;
  DependsOn?: string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  UpdatePolicy?: any;
  CreationPolicy?: any;
};

/** A stack with its synthesized template: what look-ups by construct path need. */
export interface SynthesizedStack {
  readonly stack: Stack;
  readonly template: Template;
}

/** Every resource of `type` (whose properties match `properties`), by logical ID. */
export function resourcesOf(template: Template, type: string, properties?: object): Record<string, Resource> {
  return template.findResources(type, properties ? { Properties: properties } : undefined) as Record<
    string,
    Resource
  >;
}

/** The logical ID of the only resource of `type` (whose properties match); fails unless there is one. */
export function onlyId(template: Template, type: string, properties?: object): string {
  const ids = Object.keys(resourcesOf(template, type, properties));
  expect(ids).toHaveLength(1);
  return ids[0];
}

/** The only resource of `type` (whose properties match); fails unless there is exactly one. */
export function only(template: Template, type: string, properties?: object): Resource {
  return resourcesOf(template, type, properties)[onlyId(template, type, properties)];
}

/** The logical ID of the construct at `path` under the stack (an L2's default child), e.g. `QueueWorker/Queue`. */
export function logicalIdAt({ stack }: SynthesizedStack, path: string): string {
  const construct = stack.node.findAll().find((c) => c.node.path === `${stack.node.path}/${path}`);
  if (!construct) throw new Error(`no construct at ${path}`);
  return stack.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
}

/** The resource of the construct at `path` under the stack. */
export function resourceAt(s: SynthesizedStack, path: string): Resource {
  return s.template.toJSON().Resources[logicalIdAt(s, path)];
}

/** The statements of every inline policy attached to the role with this logical ID. */
export function statementsOfRole(template: Template, roleId: string): any[] {
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((policy) => policy.Properties.Roles.some((role: any) => role.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

/** The statements of every inline policy attached to the role at `path` under the stack. */
export function statementsOfRoleAt(s: SynthesizedStack, path: string): any[] {
  return statementsOfRole(s.template, logicalIdAt(s, path));
}

/** Every action the statements allow, sorted. */
export function actionsOf(statements: any[]): string[] {
  return statements.flatMap((s) => [s.Action].flat()).sort();
}

/** The logical ID of the only role `service` may assume (whose description matches `description`). */
export function roleAssumedBy(template: Template, service: string, description?: string): string {
  const trust = { Statement: [Match.objectLike({ Principal: { Service: service } })] };
  return onlyId(template, 'AWS::IAM::Role', {
    AssumeRolePolicyDocument: trust,
    ...(description === undefined ? {} : { Description: Match.stringLikeRegexp(description) }),
  });
}

/** 'private' or 'public' for each subnet reference imported from the network stack. */
export function subnetKinds(subnets: unknown[]): string[] {
  return subnets.map((subnet) => /(private|public)Subnet/.exec(JSON.stringify(subnet))?.[1] ?? 'unknown');
}

/** An Fn::Join as text, the values CloudFormation fills in shown as their JSON. */
export function joined(value: { 'Fn::Join': [string, unknown[]] }): string {
  const [separator, parts] = value['Fn::Join'];
  return parts.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(separator);
}

/**
 * A dashboard's body as JSON. A value CloudFormation fills in (a Ref, an Fn::GetAtt) is put back as
 * that object; one inside a longer string is shown as its JSON, as `joined` shows it.
 */
export function dashboardBody(dashboard: Resource): any {
  const [separator, parts] = dashboard.Properties.DashboardBody['Fn::Join'] as [string, unknown[]];
  const text = parts.map((part, i) => (typeof part === 'string' ? part : `@@${i}@@`)).join(separator);
  return JSON.parse(text, (_key, value) => {
    if (typeof value !== 'string') return value;
    const whole = /^@@(\d+)@@$/.exec(value);
    if (whole) return parts[Number(whole[1])];
    return value.replace(/@@(\d+)@@/g, (_match, i: string) => JSON.stringify(parts[Number(i)]));
  });
}

/** Every metric a dashboard graphs: `[namespace, name, dimension, value, ..., { stat, label, ... }]`. */
export function dashboardMetricLines(dashboard: Resource): unknown[][] {
  return dashboardBody(dashboard).widgets.flatMap((widget: any) => widget.properties.metrics ?? []);
}

/** Every metric a dashboard graphs, as `[namespace, name, dimension, value, ...]` without its options. */
export function dashboardMetrics(dashboard: Resource): unknown[][] {
  const isOptions = (part: unknown) =>
    typeof part === 'object' &&
    part !== null &&
    !Object.keys(part).some((k) => k === 'Ref' || k.startsWith('Fn::'));
  return dashboardMetricLines(dashboard).map((metric) => metric.filter((part) => !isOptions(part)));
}

/** An alarm's `Dimensions` as `metricAsGraphed` lists them. */
export function dimensionsAsGraphed(dimensions: { Name: string; Value: any }[]): unknown[] {
  return dimensions.flatMap(({ Name, Value }) => [Name, Value['Fn::Join'] ? joined(Value) : Value]);
}

/** A metric as `dashboardMetrics` lists it, with its dimension values as `stack` resolves them. */
export function metricAsGraphed(stack: Stack, metric: IMetric): unknown[] {
  const { namespace, metricName, dimensions = [] } = metric.toMetricConfig().metricStat!;
  return [
    namespace,
    metricName,
    ...dimensions.flatMap(({ name, value }) => {
      const resolved = stack.resolve(value);
      return [name, resolved?.['Fn::Join'] ? joined(resolved) : resolved];
    }),
  ];
}

/**
 * The stack's alarms: each tells the alerts topic (lib/alerts.ts) of ALARM and OK, and the topic's
 * policy lets CloudWatch publish for that alarm alone. Returns them by logical ID.
 */
export function alarmsToAlertsTopic(s: SynthesizedStack): Record<string, Resource> {
  const topic = { Ref: logicalIdAt(s, 'Alerts/Topic') };
  const alarms = resourcesOf(s.template, 'AWS::CloudWatch::Alarm', { AlarmActions: [topic] });
  const statements = resourceAt(s, 'Alerts/Topic/Policy').Properties.PolicyDocument.Statement;
  for (const [id, alarm] of Object.entries(alarms)) {
    expect(alarm.Properties.OKActions).toEqual([topic]);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'sns:Publish',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [id, 'Arn'] } } },
      }),
    );
  }
  // encrypted with a key of its own, which CloudWatch may use
  expect(resourceAt(s, 'Alerts/Topic').Properties.KmsMasterKeyId).toEqual({
    'Fn::GetAtt': [logicalIdAt(s, 'Alerts/Key'), 'Arn'],
  });
  return alarms;
}
