import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { IConstruct } from 'constructs';
import { acknowledgeManagedPolicies } from './findings';

/** The Kubernetes service account an add-on runs as, and the AWS managed policies its role gets. */
interface AddonIdentity {
  readonly serviceAccount: string;
  readonly namespace: string;
  readonly managedPolicies: readonly string[];
}

interface AddonSpec {
  readonly name: string;
  readonly identity?: AddonIdentity;
  readonly configuration?: Record<string, unknown>;
}

/** Pod networking. Nodes only become Ready once the CNI runs, so node groups wait for these. */
const NETWORKING_ADDONS: readonly AddonSpec[] = [
  {
    name: 'vpc-cni',
    identity: {
      serviceAccount: 'aws-node',
      namespace: 'kube-system',
      managedPolicies: ['AmazonEKS_CNI_Policy'],
    },
    // prefixes instead of single addresses: room for all these add-ons' pods on one small node
    configuration: { env: { ENABLE_PREFIX_DELEGATION: 'true' } },
  },
  { name: 'kube-proxy' },
];

/** Add-ons whose pods need nodes: installed once compute exists, removed before it goes. */
const WORKLOAD_ADDONS: readonly AddonSpec[] = [
  { name: 'coredns' },
  {
    name: 'aws-ebs-csi-driver',
    identity: {
      serviceAccount: 'ebs-csi-controller-sa',
      namespace: 'kube-system',
      managedPolicies: ['service-role/AmazonEBSCSIDriverPolicy'],
    },
  },
  {
    name: 'aws-efs-csi-driver',
    identity: {
      serviceAccount: 'efs-csi-controller-sa',
      namespace: 'kube-system',
      managedPolicies: ['service-role/AmazonEFSCSIDriverPolicy'],
    },
  },
  {
    // Container Insights: the CloudWatch agent and Fluent Bit as DaemonSets (EC2 nodes only, not Fargate)
    name: 'amazon-cloudwatch-observability',
    identity: {
      serviceAccount: 'cloudwatch-agent',
      namespace: 'amazon-cloudwatch',
      managedPolicies: ['CloudWatchAgentServerPolicy', 'AWSXrayWriteOnlyAccess'],
    },
  },
  // the resource metrics API that HorizontalPodAutoscalers read (an EKS community add-on)
  { name: 'metrics-server' },
];

/** Auto Mode runs the CNI, kube-proxy, CoreDNS, the EBS CSI driver and the Pod Identity agent itself. */
const AUTO_MODE_ADDONS: readonly string[] = [
  'aws-efs-csi-driver',
  'amazon-cloudwatch-observability',
  'metrics-server',
];

export interface ManagedAddonsProps {
  readonly cluster: eks.Cluster;
  readonly autoMode: boolean;
  /** Node groups, self-managed nodes, Fargate profile: what workload add-ons need to run on. */
  readonly compute: readonly IConstruct[];
  /** The EFS CSI node plugin's identity (it mounts with IAM authorization), associated before the driver starts. */
  readonly efsNodeIdentity: IConstruct;
}

/**
 * EKS managed add-ons, each with its own IAM role through EKS Pod Identity: the add-on's service
 * account gets the role, not the node, so one add-on's permissions are not every pod's.
 *
 * Versions: no `addonVersion`, so EKS installs its default build for the cluster's Kubernetes version
 * when the add-on is created; CloudFormation leaves it there. To upgrade, pin a version from
 * `aws eks describe-addon-versions --kubernetes-version <v> --addon-name <name>` in the spec.
 */
export class ManagedAddons extends Construct {
  /** Every add-on this construct installs (the Pod Identity agent is the cluster's own). */
  readonly addons: eks.CfnAddon[] = [];
  /** EKS Pod Identity agent: the DaemonSet that hands out the roles below (built into Auto Mode). */
  private readonly podIdentityAgent?: IConstruct;

  constructor(scope: Construct, id: string, props: ManagedAddonsProps) {
    super(scope, id);
    const { cluster, autoMode } = props;
    const workload = autoMode
      ? WORKLOAD_ADDONS.filter((spec) => AUTO_MODE_ADDONS.includes(spec.name))
      : WORKLOAD_ADDONS;
    if (!autoMode) {
      this.podIdentityAgent = cluster.eksPodIdentityAgent;
      const networking = [
        this.podIdentityAgent!,
        ...NETWORKING_ADDONS.map((spec) => this.addAddon(cluster, spec)),
      ];
      for (const group of props.compute) group.node.addDependency(...networking);
    }
    for (const spec of workload) {
      const addon = this.addAddon(cluster, spec);
      addon.node.addDependency(...props.compute);
      // the node plugin's pods get their Pod Identity credentials only if the association is there first
      if (spec.name === 'aws-efs-csi-driver') addon.node.addDependency(props.efsNodeIdentity);
    }
  }

  private addAddon(cluster: eks.Cluster, spec: AddonSpec): eks.CfnAddon {
    const role = spec.identity && this.podIdentityRole(spec.name, spec.identity);
    const addon = new eks.CfnAddon(this, spec.name, {
      clusterName: cluster.clusterName,
      addonName: spec.name,
      configurationValues: spec.configuration && JSON.stringify(spec.configuration),
      // the configuration here wins over edits made with kubectl
      resolveConflicts: 'OVERWRITE',
      preserveOnDelete: false,
      podIdentityAssociations: role && [
        { serviceAccount: spec.identity!.serviceAccount, roleArn: role.roleArn },
      ],
    });
    // EKS refuses Pod Identity associations for add-ons while the agent is not installed
    if (role && this.podIdentityAgent) addon.node.addDependency(this.podIdentityAgent);
    this.addons.push(addon);
    return addon;
  }

  private podIdentityRole(addonName: string, identity: AddonIdentity): iam.Role {
    const role = new iam.Role(this, `${addonName}-role`, {
      assumedBy: podIdentityPrincipal(),
      description: `EKS Pod Identity role of the ${addonName} add-on (${identity.namespace}/${identity.serviceAccount})`,
      managedPolicies: identity.managedPolicies.map((name) =>
        iam.ManagedPolicy.fromAwsManagedPolicyName(name),
      ),
    });
    acknowledgeManagedPolicies(role, identity.managedPolicies, `the ${addonName} add-on`);
    return role;
  }
}

/** Who assumes a Pod Identity role: the EKS Auth service, tagging the session with the pod's identity. */
function podIdentityPrincipal(): iam.IPrincipal {
  return new iam.SessionTagsPrincipal(new iam.ServicePrincipal('pods.eks.amazonaws.com'));
}

export interface PodIdentity {
  readonly role: iam.Role;
  /** Pods of the service account started after this exists get the role's credentials. */
  readonly association: eks.CfnPodIdentityAssociation;
}

/**
 * A role for one Kubernetes service account through EKS Pod Identity, for software that is not an
 * EKS add-on. The service account needs no annotation (that would be IRSA's) and may not exist yet.
 */
export function podIdentity(
  scope: Construct,
  id: string,
  props: { cluster: eks.Cluster; namespace: string; serviceAccount: string; purpose: string },
): PodIdentity {
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: podIdentityPrincipal(),
    description: `EKS Pod Identity role of ${props.namespace}/${props.serviceAccount}: ${props.purpose}`,
  });
  const association = new eks.CfnPodIdentityAssociation(scope, `${id}Identity`, {
    clusterName: props.cluster.clusterName,
    namespace: props.namespace,
    serviceAccount: props.serviceAccount,
    roleArn: role.roleArn,
  });
  return { role, association };
}
