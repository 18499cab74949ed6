/**
 * ECS Express Mode: the Express service ACTIVE, the ECS service it runs steady, the targets of the load
 * balancer it built healthy, and the app over HTTPS at its endpoint (no volume there).
 */
import { appChecks } from '../app-checks';
import { poll, VerifyError } from '../runner';
import type { LiveContext } from './context';
import { describeServices, servicesSteady, targetsHealthy } from './ecs';

export async function expressChecks(live: LiveContext): Promise<void> {
  let cluster = '';
  let serviceName = '';
  await live.check('Express service ACTIVE', async (context) => {
    const serviceArn = await live.resource('express', 'AWS::ECS::ExpressGatewayService');
    const service = await poll(
      context,
      {
        timeoutMs: live.timings.steadyMs,
        intervalMs: live.timings.intervalMs,
        what: 'Express service ACTIVE',
      },
      async (state) => {
        const { service: described } = await live.aws.call('ecs', 'DescribeExpressGatewayService', {
          serviceArn,
        });
        const status = described?.status?.statusCode;
        state(`${status} ${described?.status?.statusReason ?? ''}`);
        if (status === 'INACTIVE')
          throw new VerifyError(`${serviceArn} is INACTIVE: ${described?.status?.statusReason}`);
        return status === 'ACTIVE' ? described : undefined;
      },
    );
    cluster = service?.cluster ?? '';
    serviceName = service?.serviceName ?? '';
    context.evidence(`${serviceName} in ${cluster}: ACTIVE`);
  });
  await live.check('ECS service steady: running = desired, deployment completed', async (context) => {
    (await servicesSteady(live, cluster, [serviceName], context)).forEach((line) => context.evidence(line));
  });
  await live.check('every load balancer target healthy', async (context) => {
    const [service] = await describeServices(live, cluster, [serviceName]);
    const groups = (service.loadBalancers ?? []).flatMap((lb) => lb.targetGroupArn ?? []);
    (await targetsHealthy(live, groups, context)).forEach((line) => context.evidence(line));
  });
  await appChecks(
    live.recorder,
    live.target,
    {
      url: live.output('express', 'ServiceUrl'),
      platforms: ['express'],
      imageVersion: live.imageTag(),
      volume: false,
    },
    live.timings.http,
  );
}
