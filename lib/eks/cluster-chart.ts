import { ApiObject, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import type { Construct } from 'constructs';
import { ALB_INGRESS_CLASS } from './load-balancer-controller';

export interface ClusterChartProps {
  /** Auto Mode has its own EBS CSI driver and load balancer controller, under other names. */
  readonly autoMode: boolean;
  /** The file system the `efs` StorageClass carves access points from. */
  readonly fileSystemId: string;
}

/** Names workloads use to ask for storage. */
export const STORAGE_CLASSES = { gp3: 'gp3', efs: 'efs' } as const;

/**
 * Cluster-wide objects: the StorageClasses (seed: "specify a StorageClass manifest on your EKS cluster;
 * it leverages a CSI-compliant driver") and, in Auto Mode, the IngressClass for its built-in ALB support.
 */
export class ClusterChart extends Chart {
  constructor(scope: Construct, id: string, props: ClusterChartProps) {
    super(scope, id);

    // EBS: a volume per claim, in the zone of the pod that first uses it; not for Fargate pods
    new k8s.KubeStorageClass(this, 'Gp3', {
      metadata: {
        name: STORAGE_CLASSES.gp3,
        // claims that name no class get this one (EKS marks none as default since 1.30)
        annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      },
      provisioner: props.autoMode ? 'ebs.csi.eks.amazonaws.com' : 'ebs.csi.aws.com',
      parameters: { type: 'gp3', encrypted: 'true' },
      volumeBindingMode: 'WaitForFirstConsumer',
      reclaimPolicy: 'Delete',
      allowVolumeExpansion: true,
    });

    // EFS: dynamic provisioning creates an access point per claim, under /dynamic, owned by a fresh uid/gid
    new k8s.KubeStorageClass(this, 'Efs', {
      metadata: { name: STORAGE_CLASSES.efs },
      provisioner: 'efs.csi.aws.com',
      parameters: {
        provisioningMode: 'efs-ap',
        fileSystemId: props.fileSystemId,
        directoryPerms: '700',
        basePath: '/dynamic',
      },
      // the file system refuses anonymous clients: the node plugin mounts with its Pod Identity role
      // (encryption in transit is the driver's default)
      mountOptions: ['iam'],
      reclaimPolicy: 'Delete',
    });

    if (props.autoMode) {
      // Auto Mode's load balancing answers to the eks.amazonaws.com/alb controller name;
      // IngressClassParams (an Auto Mode CRD, hence a plain ApiObject) makes its ALBs internet-facing
      const params = new ApiObject(this, 'AlbParams', {
        apiVersion: 'eks.amazonaws.com/v1',
        kind: 'IngressClassParams',
        metadata: { name: ALB_INGRESS_CLASS },
        spec: { scheme: 'internet-facing' },
      });
      new k8s.KubeIngressClass(this, 'Alb', {
        metadata: { name: ALB_INGRESS_CLASS },
        spec: {
          controller: 'eks.amazonaws.com/alb',
          parameters: { apiGroup: 'eks.amazonaws.com', kind: params.kind, name: params.name },
        },
      });
    }
  }
}
