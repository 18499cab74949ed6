/**
 * EKS: the cluster, its managed node groups and add-ons ACTIVE, every target of the ALB the load
 * balancer controller made healthy, and the app over HTTP through it, two pods sharing one EFS volume.
 */
import { appChecks } from '../app-checks';
import { allPages } from '../aws/api';
import { poll, VerifyError } from '../runner';
import type { LiveContext } from './context';
import { targetsHealthy } from './ecs';

/** The tag the AWS Load Balancer Controller puts on what it creates for a cluster. */
export const CONTROLLER_CLUSTER_TAG = 'elbv2.k8s.aws/cluster';

export async function eksChecks(live: LiveContext): Promise<void> {
  let clusterName = '';
  const { aws } = live;
  const bounds = { timeoutMs: live.timings.steadyMs, intervalMs: live.timings.intervalMs };
  await live.check('EKS cluster ACTIVE', async (context) => {
    clusterName = await live.resource('eks', 'AWS::EKS::Cluster');
    const cluster = await poll(
      context,
      { ...bounds, what: `cluster ${clusterName} ACTIVE` },
      async (state) => {
        const { cluster: described } = await aws.call('eks', 'DescribeCluster', { name: clusterName });
        state(`${described?.status}`);
        return described?.status === 'ACTIVE' ? described : undefined;
      },
    );
    context.evidence(`${clusterName}: ACTIVE, Kubernetes ${cluster.version}`);
  });
  await live.check('EKS node groups ACTIVE, no health issues', async (context) => {
    const names = await allPages(
      (nextToken) => aws.call('eks', 'ListNodegroups', { clusterName, nextToken }),
      (page) => page.nodegroups,
      (page) => page.nextToken,
    );
    if (names.length === 0) {
      context.evidence('no managed node groups (Auto Mode, self-managed or Fargate compute)');
      return;
    }
    const lines = await poll(context, { ...bounds, what: 'every node group ACTIVE' }, async (state) => {
      const groups = await Promise.all(
        names.map(
          async (nodegroupName) =>
            (await aws.call('eks', 'DescribeNodegroup', { clusterName, nodegroupName })).nodegroup,
        ),
      );
      const described = groups.map((g) => `${g?.nodegroupName}: ${g?.status}${issues(g?.health?.issues)}`);
      state(described.join('; '));
      return groups.every((g) => g?.status === 'ACTIVE' && !g.health?.issues?.length) ? described : undefined;
    });
    lines.forEach((line) => context.evidence(line));
  });
  await live.check('EKS add-ons ACTIVE', async (context) => {
    const names = await allPages(
      (nextToken) => aws.call('eks', 'ListAddons', { clusterName, nextToken }),
      (page) => page.addons,
      (page) => page.nextToken,
    );
    if (names.length === 0) throw new VerifyError(`${clusterName} lists no add-ons`);
    const lines = await poll(context, { ...bounds, what: 'every add-on ACTIVE' }, async (state) => {
      const addons = await Promise.all(
        names.map(
          async (addonName) => (await aws.call('eks', 'DescribeAddon', { clusterName, addonName })).addon,
        ),
      );
      const described = addons.map((a) => `${a?.addonName}: ${a?.status}${issues(a?.health?.issues)}`);
      state(described.join('; '));
      return addons.every((a) => a?.status === 'ACTIVE') ? described : undefined;
    });
    lines.forEach((line) => context.evidence(line));
  });
  await live.check('every load balancer target healthy', async (context) => {
    const tagged = await allPages(
      (PaginationToken) =>
        aws.call('tagging', 'GetResources', {
          TagFilters: [{ Key: CONTROLLER_CLUSTER_TAG, Values: [clusterName] }],
          PaginationToken,
        }),
      (page) => page.ResourceTagMappingList,
      (page) => page.PaginationToken,
    );
    const groups = tagged.flatMap((r) => (r.ResourceARN?.includes(':targetgroup/') ? [r.ResourceARN] : []));
    (await targetsHealthy(live, groups, context)).forEach((line) => context.evidence(line));
  });
  await appChecks(
    live.recorder,
    live.target,
    {
      url: live.output('eks', 'SampleAppUrl'),
      platforms: ['eks-ec2', 'eks-fargate', 'eks'],
      imageVersion: live.imageTag(),
      volume: true,
      replicas: { spread: 2 },
    },
    live.timings.http,
  );
}

function issues(list: readonly { code?: string; message?: string }[] | undefined): string {
  return list?.length ? ` (${list.map((i) => `${i.code}: ${i.message}`).join('; ')})` : '';
}
