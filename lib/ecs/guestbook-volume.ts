import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { GuestbookFileSystem } from '../guestbook-file-system';
import { SAMPLE_APP } from '../sample-app';
import type { StagePolicy } from '../stage';

/** The guestbook's EFS file system and the access point every task mounts it through. */
export interface EfsGuestbook {
  readonly fileSystem: efs.IFileSystem;
  readonly accessPoint: efs.IAccessPoint;
}

const VOLUME_NAME = 'guestbook';

/**
 * EFS: tasks in every AZ, on EC2 and on Fargate, share the same files (Fargate + EFS = serverless).
 * The access point makes every client the app's user and creates the directory on first mount.
 */
export function sampleAppGuestbook(scope: Construct, vpc: ec2.IVpc, policy: StagePolicy): EfsGuestbook {
  const { fileSystem } = new GuestbookFileSystem(scope, 'Guestbook', { vpc, policy });
  const { uid, gid } = SAMPLE_APP.user;
  const accessPoint = fileSystem.addAccessPoint('GuestbookAccessPoint', {
    path: '/guestbook',
    posixUser: { uid: String(uid), gid: String(gid) },
    createAcl: { ownerUid: String(uid), ownerGid: String(gid), permissions: '755' },
  });
  return { fileSystem, accessPoint };
}

/**
 * Mounts the guestbook into `container` (concept: "mount EFS file systems onto ECS tasks", the same on
 * EC2 and Fargate) and lets the task role do exactly what the mount needs.
 *
 * With IAM authorization the mount is made with the task role's credentials, and the file system
 * policy does not allow `ClientMount` to anyone: without this grant the task stops at start-up with
 * `access denied by server`. The grant only holds through the guestbook access point, which pins
 * the POSIX user and the directory. Open NFS to the task's security group separately
 * (`fileSystem.connections.allowDefaultPortFrom(service)`).
 */
export function addGuestbookVolume(
  taskDefinition: ecs.TaskDefinition,
  container: ecs.ContainerDefinition,
  guestbook: EfsGuestbook,
): void {
  taskDefinition.addVolume({
    name: VOLUME_NAME,
    efsVolumeConfiguration: {
      fileSystemId: guestbook.fileSystem.fileSystemId,
      transitEncryption: 'ENABLED',
      authorizationConfig: { accessPointId: guestbook.accessPoint.accessPointId, iam: 'ENABLED' },
    },
  });
  container.addMountPoints({
    sourceVolume: VOLUME_NAME,
    containerPath: SAMPLE_APP.guestbookMountPath,
    readOnly: false,
  });
  container.addEnvironment('GUESTBOOK_DIR', SAMPLE_APP.guestbookMountPath);
  // a task mounts as it starts: nothing may run this task definition before the mount targets exist
  taskDefinition.node.addDependency(guestbook.fileSystem.mountTargetsAvailable);
  taskDefinition.taskRole.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
      resources: [guestbook.fileSystem.fileSystemArn],
      conditions: {
        StringEquals: { 'elasticfilesystem:AccessPointArn': guestbook.accessPoint.accessPointArn },
      },
    }),
  );
}
