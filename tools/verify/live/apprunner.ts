/** App Runner: the service RUNNING, and the app over HTTPS at its service URL (no volume there). */
import { appChecks } from '../app-checks';
import { poll, VerifyError } from '../runner';
import type { LiveContext } from './context';

export async function appRunnerChecks(live: LiveContext): Promise<void> {
  await live.check('App Runner service RUNNING', async (context) => {
    const ServiceArn = await live.resource('apprunner', 'AWS::AppRunner::Service');
    const service = await poll(
      context,
      {
        timeoutMs: live.timings.steadyMs,
        intervalMs: live.timings.intervalMs,
        what: 'App Runner service RUNNING',
      },
      async (state) => {
        const { Service } = await live.aws.call('apprunner', 'DescribeService', { ServiceArn });
        state(`${Service?.Status}`);
        if (Service?.Status && /FAILED$/.test(Service.Status))
          throw new VerifyError(`${ServiceArn} is ${Service.Status}`);
        return Service?.Status === 'RUNNING' ? Service : undefined;
      },
    );
    context.evidence(`${service.ServiceName} (${service.ServiceId}): RUNNING at ${service.ServiceUrl}`);
  });
  await appChecks(
    live.recorder,
    live.target,
    {
      url: live.output('apprunner', 'ServiceUrl'),
      platforms: ['apprunner'],
      imageVersion: live.imageTag(),
      volume: false,
    },
    live.timings.http,
  );
}
