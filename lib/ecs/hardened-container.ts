import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';
import { SAMPLE_APP } from '../sample-app';

/** The sample app image's user as ECS names it: `uid:gid`, the Dockerfile's `USER`. */
export const SAMPLE_APP_CONTAINER_USER = `${SAMPLE_APP.user.uid}:${SAMPLE_APP.user.gid}`;

/** The container settings that confine the sample app image: every container definition of ours uses them. */
export type HardenedContainerOptions = Pick<
  ecs.ContainerDefinitionOptions,
  'user' | 'memoryLimitMiB' | 'readonlyRootFilesystem' | 'linuxParameters'
>;

/**
 * What a container of the sample app image may do, the same on the EC2 and Fargate launch types:
 * - `user` (CT.ECS.PR.3): the image's non-root user, stated in the task definition too, so the task
 *   runs unprivileged whatever a future image says;
 * - `memoryLimitMiB` (CT.ECS.PR.7): the hard limit, past which the container is killed rather than
 *   starving its neighbours on an instance;
 * - `readonlyRootFilesystem` (CT.ECS.PR.6): the app writes only inside the guestbook directory (its
 *   entries and their temporary files, app/src/guestbook.ts) and never to a temporary directory, so
 *   it needs no scratch volume;
 * - Linux capabilities: ALL dropped, from the bounding set too, so not even a setuid binary in the
 *   image gains one. Fargate accepts drops (it only limits what is added, to SYS_PTRACE).
 *
 * Not set, on purpose: `privileged` (not valid on Fargate; false by default, and the EC2 instances
 * refuse privileged containers: ECS_DISABLE_PRIVILEGED in lib/ecs/ec2-capacity.ts), and
 * `dockerSecurityOptions: ['no-new-privileges']` (not valid on Fargate; on EC2 the ECS docs tie security
 * options to an agent registered as SELinux or AppArmor capable, which the ECS-optimized AL2023 AMI is
 * not; with every capability dropped a privilege gain has nothing left to grant).
 */
export function hardenedContainer(scope: Construct, memoryLimitMiB: number): HardenedContainerOptions {
  const linuxParameters = new ecs.LinuxParameters(scope, 'LinuxParameters');
  linuxParameters.dropCapabilities(ecs.Capability.ALL);
  return { user: SAMPLE_APP_CONTAINER_USER, memoryLimitMiB, readonlyRootFilesystem: true, linuxParameters };
}
