import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct, IConstruct } from 'constructs';
import { nameAvailabilityZones } from '../auto-scaling-zones';
import type { CpuArchitecture, EksConfig } from '../config';
import { acknowledgeManagedPolicies } from './findings';

/** Labels every EC2 node with its node type, so `kubectl get nodes -L node-type` tells them apart. */
export const NODE_TYPE_LABEL = 'node-type';

/**
 * VPC CNI prefix delegation gives each node /28 prefixes instead of single addresses, so a t3.medium
 * runs up to 110 pods instead of 17: the add-ons' DaemonSets and controllers alone need about 20.
 * Managed node groups work the number out; self-managed nodes are told (110 is EKS's cap below 30 vCPUs).
 */
const MAX_PODS_PER_NODE = 110;

/** Every EC2 node's root volume (AL2023's device name): encrypted gp3. */
const ROOT_DEVICE = '/dev/xvda';
const ROOT_VOLUME_GIB = 20;

/** What the VPC CNI writes to a node once pods can get addresses there: the kubelet then reports Ready. */
const CNI_CONFIG = '/etc/cni/net.d/10-aws.conflist';
/** Checks 5 s apart (10 minutes) before a node reports failure, within the group's creation timeout. */
const NODE_READY_CHECKS = 120;
const NODE_READY_TIMEOUT = Duration.minutes(15);
const READY_UNIT = 'signal-node-ready';

/**
 * Every EC2 node allows IMDSv2 only, and its token answers travel one hop (CT.EC2.PR.2), not the two of
 * EKS's own managed node group template: a pod on its own network interface cannot reach the node
 * role's credentials. Nothing here needs it to: pods that call AWS have their own roles (Pod Identity),
 * the load balancer controller is told its region and VPC (lib/eks/load-balancer-controller.ts), what
 * reads instance metadata runs in the host's network (the VPC CNI, the EFS CSI node plugin, the Pod
 * Identity agent and, since its chart runs it so, the CloudWatch agent), and the EBS CSI driver falls
 * back to the Kubernetes API for its node's facts. The sample app takes its zone from the pod's
 * topology label instead (lib/eks/sample-app-chart.ts).
 */
const NODE_METADATA_HOP_LIMIT = 1;

export interface ComputeProps {
  readonly cluster: eks.Cluster;
  readonly config: EksConfig;
  /** The image's architecture: node AMIs must match it (config checked the instance types). */
  readonly cpuArchitecture: CpuArchitecture;
  /** Fargate profile: pods of this namespace run on Fargate. */
  readonly fargateNamespace: string;
  /** The cluster's service CIDR: self-managed nodes must be told it. */
  readonly serviceCidr: string;
  /** Picks the self-managed nodes' AMI: `/aws/service/eks/optimized-ami/<version>/...`. */
  readonly kubernetesVersion: string;
  /** EC2 detailed monitoring on every node's launch template (the stage policy's). */
  readonly detailedMonitoring: boolean;
}

/**
 * Adds every configured node type except Auto Mode (a cluster property) to the cluster, and returns
 * what was added: anything that needs running pods depends on it.
 */
export function addCompute(props: ComputeProps): IConstruct[] {
  const { cluster, config } = props;
  const compute: IConstruct[] = [];
  if (config.nodeTypes.includes('managed')) {
    compute.push(addNodeGroup(props, 'OnDemand', eks.CapacityType.ON_DEMAND, [config.instanceType]));
  }
  if (config.nodeTypes.includes('spot')) {
    compute.push(addNodeGroup(props, 'Spot', eks.CapacityType.SPOT, config.spotInstanceTypes));
  }
  if (config.nodeTypes.includes('selfManaged')) compute.push(addSelfManagedNodes(props));
  if (config.nodeTypes.includes('fargate')) {
    const profile = cluster.addFargateProfile('SampleApp', {
      selectors: [{ namespace: props.fargateNamespace }],
      vpc: cluster.vpc,
      subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    });
    // the pod execution role: what Fargate itself needs to start a pod (pull its image)
    acknowledgeManagedPolicies(
      profile.podExecutionRole,
      ['AmazonEKSFargatePodExecutionRolePolicy'],
      'Fargate profiles',
    );
    compute.push(profile);
  }
  return compute;
}

/**
 * Managed node group: EKS runs the Auto Scaling group, picks the EKS-optimized AL2023 AMI, and drains
 * nodes before replacing them. Spot: the same, on spare capacity at a discount, from several pools.
 */
function addNodeGroup(
  props: ComputeProps,
  id: string,
  capacityType: eks.CapacityType,
  instanceTypes: readonly string[],
): eks.Nodegroup {
  const { cluster, config } = props;
  const launchTemplate = nodeLaunchTemplate(cluster, `${id}NodeLaunchTemplate`, {
    detailedMonitoring: props.detailedMonitoring,
  });
  return cluster.addNodegroupCapacity(id, {
    capacityType,
    instanceTypes: instanceTypes.map((type) => new ec2.InstanceType(type)),
    amiType:
      props.cpuArchitecture === 'arm64'
        ? eks.NodegroupAmiType.AL2023_ARM_64_STANDARD
        : eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
    // nothing here adds nodes on demand (Auto Mode does): the maximum leaves room to scale by hand
    minSize: config.nodeCount,
    desiredSize: config.nodeCount,
    maxSize: 2 * config.nodeCount,
    nodeRole: nodeRole(cluster, `${id}NodeRole`),
    subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    launchTemplateSpec: { id: launchTemplate.launchTemplateId!, version: launchTemplate.latestVersionNumber },
    labels: { [NODE_TYPE_LABEL]: capacityType === eks.CapacityType.SPOT ? 'spot' : 'managed' },
    enableNodeAutoRepair: true,
  });
}

/** Every EC2 node's launch template: an encrypted gp3 root volume, IMDSv2 only with hop limit 1. */
function nodeLaunchTemplate(
  scope: Construct,
  id: string,
  props: ec2.LaunchTemplateProps = {},
): ec2.LaunchTemplate {
  return new ec2.LaunchTemplate(scope, id, {
    ...props,
    blockDevices: [
      {
        deviceName: ROOT_DEVICE,
        volume: ec2.BlockDeviceVolume.ebs(ROOT_VOLUME_GIB, {
          encrypted: true,
          volumeType: ec2.EbsDeviceVolumeType.GP3,
        }),
      },
    ],
    requireImdsv2: true,
    httpPutResponseHopLimit: NODE_METADATA_HOP_LIMIT,
  });
}

/**
 * Self-managed nodes: our own Auto Scaling group of EKS-optimized AL2023 instances, on demand or Spot
 * (a mixed instances policy over `eksSpotInstanceTypes`). AL2023 joins the cluster with `nodeadm`,
 * configured by a NodeConfig in the user data (aws-eks-v2's own `addAutoScalingGroupCapacity` still
 * renders Amazon Linux 2's bootstrap.sh, and AL2 AMIs stopped with 1.32). AMI updates are ours too: a
 * new AMI reaches new instances only. So is Spot interruption handling: no drain before an interruption
 * (managed Spot node groups drain; here that would take the AWS Node Termination Handler).
 */
function addSelfManagedNodes(props: ComputeProps): autoscaling.AutoScalingGroup {
  const { cluster, config } = props;
  const spot = config.selfManagedCapacity === 'spot';
  const role = nodeRole(cluster, 'SelfManagedNodeRole');
  // API authentication mode: a self-managed node's role joins through an access entry of type EC2_LINUX
  const access = new eks.AccessEntry(cluster, 'SelfManagedNodeAccess', {
    cluster,
    principal: role.roleArn,
    accessPolicies: [],
    accessEntryType: eks.AccessEntryType.EC2_LINUX,
  });
  const userData = new ec2.MultipartUserData();
  const nodeConfig = {
    apiVersion: 'node.eks.aws/v1alpha1',
    kind: 'NodeConfig',
    spec: {
      cluster: {
        name: cluster.clusterName,
        apiServerEndpoint: cluster.clusterEndpoint,
        certificateAuthority: cluster.clusterCertificateAuthorityData,
        cidr: props.serviceCidr,
      },
      kubelet: {
        config: { maxPods: MAX_PODS_PER_NODE },
        flags: [`--node-labels=${NODE_TYPE_LABEL}=self-managed`],
      },
    },
  };
  // JSON is YAML: nodeadm reads the typed object as it is
  userData.addPart(
    ec2.MultipartBody.fromRawBody({
      contentType: 'application/node.eks.aws',
      body: Stack.of(cluster).toJsonString(nodeConfig),
    }),
  );
  const launchTemplate = nodeLaunchTemplate(cluster, 'SelfManagedNodeLaunchTemplate', {
    detailedMonitoring: props.detailedMonitoring,
    machineImage: ec2.MachineImage.fromSsmParameter(
      `/aws/service/eks/optimized-ami/${props.kubernetesVersion}/amazon-linux-2023/${props.cpuArchitecture === 'arm64' ? 'arm64' : 'x86_64'}/standard/recommended/image_id`,
    ),
    // Spot: the instance types come from the group's overrides
    instanceType: spot ? undefined : new ec2.InstanceType(config.instanceType),
    userData,
    // connectAutoScalingGroupCapacity would add the VPC CNI policy: aws-node has its own role here
    role: role.withoutPolicyUpdates(),
    // egress as connectAutoScalingGroupCapacity opens it: the control plane, and the internet through NAT
    securityGroup: new ec2.SecurityGroup(cluster, 'SelfManagedNodeSecurityGroup', {
      vpc: cluster.vpc,
      description: 'EKS self-managed nodes',
      allowAllOutbound: false,
    }),
  });
  const nodes = new autoscaling.AutoScalingGroup(cluster, 'SelfManagedNodes', {
    vpc: cluster.vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    ...(spot
      ? {
          mixedInstancesPolicy: {
            launchTemplate,
            launchTemplateOverrides: config.spotInstanceTypes.map((type) => ({
              instanceType: new ec2.InstanceType(type),
            })),
            // all Spot, from the pools least likely to be interrupted at a low price
            instancesDistribution: {
              onDemandBaseCapacity: 0,
              onDemandPercentageAboveBaseCapacity: 0,
              spotAllocationStrategy: autoscaling.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
            },
          },
          // a replacement is launched when EC2 warns that an instance is at risk, before it is interrupted
          capacityRebalance: true,
        }
      : { launchTemplate }),
    minCapacity: config.nodeCount,
    maxCapacity: 2 * config.nodeCount,
    // the group is created once its nodes are up: what needs nodes (CoreDNS, the charts) waits for it
    signals: autoscaling.Signals.waitForMinCapacity({ timeout: NODE_READY_TIMEOUT }),
  });
  nameAvailabilityZones(nodes, cluster.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }));
  // instances that boot before their role's access entry exists cannot join
  nodes.node.addDependency(access);
  userData.addPart(ec2.MultipartBody.fromUserData(readinessSignal(nodes)));
  // security groups (node <-> control plane, the cluster security group) and the ownership tag
  cluster.connectAutoScalingGroupCapacity(nodes, { bootstrapEnabled: false });
  if (spot) {
    Validations.of(nodes).acknowledge({
      id: 'AwsSolutions-EC26',
      reason:
        "cdk-nag's EBS rule finds a group's launch template under LaunchTemplate only, not MixedInstancesPolicy, " +
        'and fails; the template (nodeLaunchTemplate) encrypts the root volume, its only volume',
    });
  }
  Validations.of(nodes).acknowledge({
    id: 'AwsSolutions-AS3',
    reason:
      'Node health is Kubernetes business (node conditions, EKS node monitoring): ASG e-mails add nothing',
  });
  return nodes;
}

/**
 * Tells CloudFormation that this node is up, for the group's creation policy. A node is Ready once its
 * network is: the VPC CNI's aws-node pod writes its CNI configuration to the host only after it runs on
 * the registered node with IP addresses to hand out (which is what the kubelet waits for). cfn-signal
 * (aws-cfn-bootstrap, on the EKS AMI) needs no credentials: CloudFormation checks the instance belongs
 * to the stack. A node still not ready after NODE_READY_CHECKS signals failure, failing the deploy early.
 */
function readinessSignal(nodes: autoscaling.AutoScalingGroup): ec2.UserData {
  const stack = Stack.of(nodes);
  const resource = stack.getLogicalId(nodes.node.defaultChild as autoscaling.CfnAutoScalingGroup);
  const signal = (exitCode: number) =>
    `/opt/aws/bin/cfn-signal --exit-code ${exitCode} --stack ${stack.stackName} --resource ${resource} --region ${stack.region}`;
  const waitForNetwork = [
    `for check in $(seq ${NODE_READY_CHECKS}); do`,
    `  [ -e ${CNI_CONFIG} ] && exec ${signal(0)}`,
    '  sleep 5',
    'done',
    `exec ${signal(1)}`,
  ].join('\n');
  const script = ec2.UserData.forLinux();
  // nodeadm starts the kubelet after cloud-init has run this script (nodeadm-run.service is
  // After=cloud-final.service): the wait runs as a unit of its own rather than holding the boot
  script.addCommands(`systemd-run --no-block --unit=${READY_UNIT} /bin/bash -c '${waitForNetwork}'`);
  return script;
}

/**
 * EC2 instance profile role of a node: the kubelet's calls to EKS and pulls from ECR, nothing else.
 * The VPC CNI's permissions belong to its own Pod Identity role, not to every pod on the node.
 */
function nodeRole(scope: IConstruct, id: string): iam.Role {
  const policies = ['AmazonEKSWorkerNodePolicy', 'AmazonEC2ContainerRegistryPullOnly'];
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
    managedPolicies: policies.map((name) => iam.ManagedPolicy.fromAwsManagedPolicyName(name)),
  });
  acknowledgeManagedPolicies(role, policies, 'node roles');
  return role;
}
