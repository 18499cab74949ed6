/** What every platform's live checks share: the stack outputs, the stacks' physical resources, the bounds. */
import { randomBytes } from 'node:crypto';
import type { AppConfig } from '../../../lib/config';
import type { HttpTimings } from '../app-checks';
import { allPages, type Aws } from '../aws/api';
import { VerifyError, type CheckContext, type Recorder } from '../runner';
import type { AwsTarget } from '../targets';

/** How long each kind of wait may last. Injectable: the tests use milliseconds. */
export interface Timings {
  readonly http: HttpTimings;
  /** ECS services and EKS parts settling, load balancer targets turning healthy. */
  readonly steadyMs: number;
  /** ECR's scan of the image it was pushed. */
  readonly scanMs: number;
  /** Each ECS pattern: a summary written, a queued entry added (the worker scales up from zero), a task run. */
  readonly patternsMs: number;
  /** --deep: one forced deployment of an ECS service. */
  readonly deploymentMs: number;
  /** After destroy: how long the leftover hunt asks again while listings catch up with deletions. */
  readonly settleMs: number;
  /** Between two polls of an AWS API. */
  readonly intervalMs: number;
}

const MINUTE = 60_000;

export const DEFAULT_TIMINGS: Timings = {
  http: { requestMs: 10_000, readyMs: 10 * MINUTE, replicasMs: 10 * MINUTE, intervalMs: 5_000 },
  steadyMs: 15 * MINUTE,
  scanMs: 5 * MINUTE,
  patternsMs: 10 * MINUTE,
  deploymentMs: 15 * MINUTE,
  settleMs: 5 * MINUTE,
  intervalMs: 15_000,
};

/** `cdk deploy --outputs-file`: stack name -> output key -> value. */
export type Outputs = Readonly<Record<string, Readonly<Record<string, string>>>>;

export class LiveContext {
  /** Names this run's messages and objects, so they are told apart from anything else. */
  readonly run = randomBytes(4).toString('hex');
  private readonly listed = new Map<string, Promise<{ type: string; id: string }[]>>();

  constructor(
    readonly recorder: Recorder,
    readonly target: AwsTarget,
    readonly aws: Aws,
    readonly config: AppConfig,
    readonly outputs: Outputs,
    readonly timings: Timings,
    readonly deep: boolean,
  ) {}

  /** `<prefix>-<suffix>`, the name lib/app.ts gives the stack. */
  stack(suffix: string): string {
    return `${this.config.prefix}-${suffix}`;
  }

  check(name: string, body: (context: CheckContext) => Promise<void>): Promise<boolean> {
    return this.recorder.check(this.target, 'live', name, body);
  }

  /** An output of the stack `<prefix>-<suffix>`; a missing one fails the check that needs it. */
  output(suffix: string, key: string): string {
    const value = this.outputs[this.stack(suffix)]?.[key];
    if (!value) throw new VerifyError(`${this.stack(suffix)} has no output ${key}`);
    return value;
  }

  /** Every output of the stack, by key. */
  outputsOf(suffix: string): Readonly<Record<string, string>> {
    return this.outputs[this.stack(suffix)] ?? {};
  }

  /** The image tag the registry stack copied: every platform runs it, and /api/info names it. */
  imageTag(): string {
    return this.output('registry', 'SampleAppImageUri').split(':').pop()!;
  }

  /** The physical IDs of a stack's resources of one CloudFormation type, e.g. AWS::ECS::Cluster. */
  async resources(suffix: string, type: string): Promise<string[]> {
    const stack = this.stack(suffix);
    if (!this.listed.has(stack)) this.listed.set(stack, listResources(this.aws, stack));
    return (await this.listed.get(stack)!).filter((r) => r.type === type).map((r) => r.id);
  }

  /** The one resource of a type, failing the check when there is none. */
  async resource(suffix: string, type: string): Promise<string> {
    const [id] = await this.resources(suffix, type);
    if (!id) throw new VerifyError(`${this.stack(suffix)} has no ${type}`);
    return id;
  }
}

export async function listResources(aws: Aws, stack: string): Promise<{ type: string; id: string }[]> {
  const summaries = await allPages(
    (NextToken) => aws.call('cloudformation', 'ListStackResources', { StackName: stack, NextToken }),
    (page) => page.StackResourceSummaries,
    (page) => page.NextToken,
  );
  return summaries.flatMap((s) =>
    s.ResourceType && s.PhysicalResourceId ? [{ type: s.ResourceType, id: s.PhysicalResourceId }] : [],
  );
}
