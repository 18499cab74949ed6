/**
 * ECS: both services steady, every load balancer target healthy, the app over HTTP through the ALB and
 * through each service (`?platform=`), the two sharing one EFS volume; with --deep, a forced new
 * deployment of each service under steady load, counting failed requests.
 */
import { Agent } from 'node:http';
import { appChecks } from '../app-checks';
import type { EcsService } from '../aws/api';
import { send } from '../http';
import { formatMs, poll, VerifyError, type CheckContext } from '../runner';
import type { LiveContext } from './context';

export async function ecsChecks(live: LiveContext): Promise<void> {
  const outputs = live.outputsOf('ecs');
  // Url takes turns over both services; Url-<platform> outputs pin one (lib/ecs-stack.ts)
  const pinned = Object.keys(outputs)
    .filter((key) => key !== 'Url' && key.startsWith('Url'))
    .sort()
    .map((key) => outputs[key]);
  let cluster = '';
  let services: string[] = [];
  await live.check('ECS services steady: running = desired, deployment completed', async (context) => {
    cluster = await live.resource('ecs', 'AWS::ECS::Cluster');
    services = await live.resources('ecs', 'AWS::ECS::Service');
    const steady = await servicesSteady(live, cluster, services, context);
    steady.forEach((line) => context.evidence(line));
  });
  await live.check('every load balancer target healthy', async (context) => {
    const described = await describeServices(live, cluster, services);
    const groups = described.flatMap((s) => (s.loadBalancers ?? []).flatMap((lb) => lb.targetGroupArn ?? []));
    (await targetsHealthy(live, groups, context)).forEach((line) => context.evidence(line));
  });
  await appChecks(
    live.recorder,
    live.target,
    {
      url: live.output('ecs', 'Url'),
      platforms: ['ecs-ec2', 'ecs-fargate'],
      imageVersion: live.imageTag(),
      volume: true,
      replicas: { pinned },
    },
    live.timings.http,
  );
  if (live.deep) {
    for (const service of services) {
      await live.check(
        `forced new deployment of ${service.split('/').pop()} under load: 0 failed requests`,
        (context) => deploymentUnderLoad(live, cluster, service, context),
      );
    }
  }
}

export async function describeServices(
  live: LiveContext,
  cluster: string,
  services: string[],
): Promise<EcsService[]> {
  if (services.length === 0) throw new VerifyError(`no ECS service in cluster ${cluster}`);
  const answer = await live.aws.call('ecs', 'DescribeServices', { cluster, services });
  const missing = answer.failures ?? [];
  if (missing.length > 0) {
    throw new VerifyError(`DescribeServices: ${missing.map((f) => `${f.arn}: ${f.reason}`).join(', ')}`);
  }
  return answer.services ?? [];
}

/**
 * Polls until every service is ACTIVE with runningCount = desiredCount and one deployment whose rollout
 * COMPLETED. A FAILED rollout (the circuit breaker gave up) fails at once. Resolves with one line each.
 */
export async function servicesSteady(
  live: LiveContext,
  cluster: string,
  services: string[],
  context: CheckContext,
): Promise<string[]> {
  return poll(
    context,
    { timeoutMs: live.timings.steadyMs, intervalMs: live.timings.intervalMs, what: 'ECS services steady' },
    async (state) => {
      const described = await describeServices(live, cluster, services);
      const lines = described.map(serviceState);
      state(lines.join('; '));
      const failed = described.flatMap((s) => s.deployments ?? []).find((d) => d.rolloutState === 'FAILED');
      if (failed)
        throw new VerifyError(`deployment ${failed.id} FAILED: ${failed.rolloutStateReason}`, lines);
      return described.every(isSteady) ? lines : undefined;
    },
  );
}

function isSteady(service: EcsService): boolean {
  const deployments = service.deployments ?? [];
  return (
    service.status === 'ACTIVE' &&
    service.runningCount === service.desiredCount &&
    (service.desiredCount ?? 0) > 0 &&
    deployments.length === 1 &&
    deployments[0].rolloutState === 'COMPLETED'
  );
}

function serviceState(service: EcsService): string {
  const deployments = (service.deployments ?? []).map((d) => `${d.status} ${d.rolloutState}`).join(', ');
  return `${service.serviceName}: ${service.runningCount}/${service.desiredCount} running, deployments: ${deployments || 'none'}`;
}

/** Polls until every target of every group is healthy; resolves with one line per group. */
export async function targetsHealthy(
  live: LiveContext,
  targetGroups: string[],
  context: CheckContext,
): Promise<string[]> {
  if (targetGroups.length === 0) throw new VerifyError('no target group to check');
  return poll(
    context,
    { timeoutMs: live.timings.steadyMs, intervalMs: live.timings.intervalMs, what: 'every target healthy' },
    async (state) => {
      const groups = await Promise.all(
        targetGroups.map(async (arn) => {
          const { TargetHealthDescriptions = [] } = await live.aws.call('elbv2', 'DescribeTargetHealth', {
            TargetGroupArn: arn,
          });
          const states = TargetHealthDescriptions.map(
            (t) =>
              `${t.Target?.Id}:${t.Target?.Port} ${t.TargetHealth?.State}${t.TargetHealth?.Reason ? ` (${t.TargetHealth.Reason})` : ''}`,
          );
          const healthy =
            states.length > 0 && TargetHealthDescriptions.every((t) => t.TargetHealth?.State === 'healthy');
          return { healthy, line: `${arn.split(':').pop()}: ${states.join(', ') || 'no targets'}` };
        }),
      );
      state(groups.map((g) => g.line).join('; '));
      return groups.every((g) => g.healthy) ? groups.map((g) => g.line) : undefined;
    },
  );
}

/** Requests per second the --deep load sends: steady, from one machine, bounded by the deployment. */
const DEEP_LOAD_PER_SECOND = 5;

/**
 * Forces a new deployment of one service while steady traffic goes through the load balancer (to both
 * services, taking turns), until the deployment has completed: a rolling deployment done right
 * (draining, health checks, grace period) fails no request.
 */
async function deploymentUnderLoad(
  live: LiveContext,
  cluster: string,
  service: string,
  context: CheckContext,
): Promise<void> {
  const url = live.output('ecs', 'Url');
  const agent = new Agent({ keepAlive: true });
  const counts = { sent: 0, failed: 0, statuses: new Map<string, number>() };
  const stop = new AbortController();
  const load = (async () => {
    while (!stop.signal.aborted) {
      const started = live.recorder.clock.now();
      counts.sent++;
      const outcome = await send(url, { timeoutMs: live.timings.http.requestMs, agent })
        .then((answer) => String(answer.status))
        .catch((error: Error) => error.message);
      counts.statuses.set(outcome, (counts.statuses.get(outcome) ?? 0) + 1);
      if (outcome !== '200') counts.failed++;
      const pause = 1000 / DEEP_LOAD_PER_SECOND - (live.recorder.clock.now() - started);
      if (pause > 0) await live.recorder.clock.sleep(pause, stop.signal).catch(() => undefined);
    }
  })();
  const started = live.recorder.clock.now();
  try {
    const { service: updated } = await live.aws.call('ecs', 'UpdateService', {
      cluster,
      service,
      forceNewDeployment: true,
    });
    const deployment = updated?.deployments?.find((d) => d.status === 'PRIMARY')?.id;
    context.evidence(`UpdateService forceNewDeployment: deployment ${deployment}`);
    await poll(
      context,
      {
        timeoutMs: live.timings.deploymentMs,
        intervalMs: live.timings.intervalMs,
        what: `deployment ${deployment} completed`,
      },
      async (state) => {
        const [described] = await describeServices(live, cluster, [service]);
        state(serviceState(described));
        return isSteady(described) && described.deployments?.[0].id === deployment ? true : undefined;
      },
    );
  } finally {
    stop.abort();
    await load;
    agent.destroy();
  }
  const statuses = [...counts.statuses].map(([status, n]) => `${status}: ${n}`).join(', ');
  context.evidence(
    `${counts.sent} requests over ${formatMs(live.recorder.clock.now() - started)} at ${DEEP_LOAD_PER_SECOND}/s; ${statuses}`,
  );
  if (counts.failed > 0)
    throw new VerifyError(`${counts.failed} of ${counts.sent} requests failed (${statuses})`);
}
