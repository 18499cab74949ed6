import { Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as efs from 'aws-cdk-lib/aws-efs';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { GuestbookFileSystem } from '../guestbook-file-system';
import { SAMPLE_APP } from '../sample-app';
import type { StagePolicy } from '../stage';
import { podIdentity } from './addons';

export interface GuestbookStorageProps {
  readonly cluster: eks.Cluster;
  readonly vpc: ec2.IVpc;
  readonly policy: StagePolicy;
}

/**
 * EFS for the cluster: the guestbook file system, reachable from the cluster security group only (EC2
 * nodes and Fargate pods carry it), the sample app's access point, and the EFS CSI node plugin's identity.
 */
export class GuestbookStorage extends Construct {
  readonly fileSystem: efs.FileSystem;
  /** The sample app's directory, owned by and acting as the image's user. */
  readonly accessPoint: efs.AccessPoint;
  /** The EFS CSI node plugin's Pod Identity, to exist before the driver's pods start. */
  readonly nodePluginIdentity: eks.CfnPodIdentityAssociation;

  constructor(scope: Construct, id: string, props: GuestbookStorageProps) {
    super(scope, id);
    const { cluster } = props;
    const { fileSystem } = new GuestbookFileSystem(this, 'FileSystem', {
      vpc: props.vpc,
      policy: props.policy,
    });
    this.fileSystem = fileSystem;
    fileSystem.connections.allowDefaultPortFrom(cluster.clusterSecurityGroup, 'NFS from the EKS cluster');

    const user = { uid: `${SAMPLE_APP.user.uid}`, gid: `${SAMPLE_APP.user.gid}` };
    this.accessPoint = fileSystem.addAccessPoint('SampleAppAccessPoint', {
      path: '/eks-sample-app',
      createAcl: { ownerUid: user.uid, ownerGid: user.gid, permissions: '750' },
      posixUser: user,
    });
    // Pods on Fargate mount without an IAM identity. The file system refuses such clients at its root, but
    // admits them through an access point, which fixes the directory and the POSIX user they act as
    fileSystem.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
        resources: ['*'],
        conditions: {
          Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'true' },
          // the access point's own ARN would make the file system depend on its access point, and back
          StringLike: {
            'elasticfilesystem:AccessPointArn': Stack.of(this).formatArn({
              service: 'elasticfilesystem',
              resource: 'access-point',
              resourceName: '*',
            }),
          },
        },
      }),
    );

    // the node plugin mounts dynamically provisioned volumes (the `efs` StorageClass) with IAM authorization
    const nodePlugin = podIdentity(this, 'CsiNode', {
      cluster,
      namespace: 'kube-system',
      serviceAccount: 'efs-csi-node-sa',
      purpose: 'the EFS CSI node plugin mounts the file system',
    });
    fileSystem.grantReadWrite(nodePlugin.role);
    this.nodePluginIdentity = nodePlugin.association;
  }
}
