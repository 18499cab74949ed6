import { loadConfig } from '../lib/config';

/** Only the EKS platform, so other platforms' rules stay out of these tests. */
const load = (context: Record<string, unknown>) => loadConfig({ platforms: 'eks', ...context });

describe('EKS configuration', () => {
  test('sandbox defaults: the newest version with a kubectl layer, one Spot node, an open public endpoint', () => {
    expect(load({}).eks).toEqual({
      kubernetesVersion: '1.36',
      nodeTypes: ['spot'],
      instanceType: 't3.medium',
      spotInstanceTypes: ['t3.medium', 't3a.medium', 'c5a.large'],
      selfManagedCapacity: 'spot',
      nodeCount: 1,
      appMinReplicas: 1,
      appMaxReplicas: 3,
      adminPrincipalArn: undefined,
      endpointAllowList: ['0.0.0.0/0'],
    });
  });

  test('production defaults: two on-demand nodes, two to ten pods, a private endpoint only', () => {
    expect(load({ stage: 'production' }).eks).toMatchObject({
      nodeTypes: ['managed'],
      instanceType: 'm7i.large',
      selfManagedCapacity: 'onDemand',
      nodeCount: 2,
      appMinReplicas: 2,
      appMaxReplicas: 10,
      endpointAllowList: [],
    });
  });

  test('arm64 defaults to Graviton instance types', () => {
    expect(load({ cpuArchitecture: 'arm64' }).eks).toMatchObject({
      instanceType: 't4g.medium',
      spotInstanceTypes: ['t4g.medium', 'c6g.large', 'c7g.large'],
    });
    expect(load({ cpuArchitecture: 'arm64', stage: 'production' }).eks.instanceType).toBe('m7g.large');
  });

  test('lists come from -c as comma-separated text or from cdk.json as arrays; "none" is empty', () => {
    const eks = load({
      eksNodeTypes: 'managed, selfManaged,fargate',
      eksEndpointAllowList: ['203.0.113.0/24'],
      eksSpotInstanceTypes: 'm5.large,m5a.large',
    }).eks;
    expect(eks.nodeTypes).toEqual(['managed', 'selfManaged', 'fargate']);
    expect(eks.endpointAllowList).toEqual(['203.0.113.0/24']);
    expect(eks.spotInstanceTypes).toEqual(['m5.large', 'm5a.large']);
    expect(load({ eksEndpointAllowList: 'none' }).eks.endpointAllowList).toEqual([]);
  });

  test('eksKubernetesVersion: only versions with a kubectl layer in lib/eks/versions.ts', () => {
    expect(load({ eksKubernetesVersion: '1.35' }).eks.kubernetesVersion).toBe('1.35');
    expect(() => load({ eksKubernetesVersion: '1.34' })).toThrow(
      /eksKubernetesVersion: got "1\.34"; allowed: 1\.36, 1\.35/,
    );
  });

  test('eksNodeTypes: known types only, at least one', () => {
    expect(() => load({ eksNodeTypes: 'managed,karpenter' })).toThrow(
      /eksNodeTypes: got "managed,karpenter"; allowed: a comma-separated list of managed, spot, selfManaged, fargate, autoMode/,
    );
    expect(() => load({ eksNodeTypes: 'none' })).toThrow(
      /eksNodeTypes: got none; pods need somewhere to run/,
    );
  });

  test('eksNodeTypes: autoMode alone, and on x86_64', () => {
    expect(() => load({ eksNodeTypes: 'autoMode,spot' })).toThrow(
      /eksNodeTypes: got autoMode,spot; autoMode brings its own compute: use it alone/,
    );
    expect(() => load({ eksNodeTypes: 'autoMode', cpuArchitecture: 'arm64' })).toThrow(
      /eksNodeTypes: got autoMode with cpuArchitecture=arm64; Auto Mode's built-in node pools launch amd64 only/,
    );
  });

  test('eksNodeTypes: fargate needs EC2 nodes beside it for CoreDNS, the CSI controllers and the DaemonSets', () => {
    expect(() => load({ eksNodeTypes: 'fargate' })).toThrow(
      /eksNodeTypes: got fargate without EC2 nodes; .*add managed, spot or selfManaged/,
    );
    expect(load({ eksNodeTypes: 'spot,fargate' }).eks.nodeTypes).toEqual(['spot', 'fargate']);
  });

  test('instance types must run the image architecture', () => {
    expect(() => load({ eksInstanceType: 't4g.medium' })).toThrow(
      /eksInstanceType: got t4g\.medium, which cannot run x86_64 images \(cpuArchitecture=x86_64\)/,
    );
    expect(() => load({ cpuArchitecture: 'arm64', eksSpotInstanceTypes: 't4g.medium,t3.medium' })).toThrow(
      /eksSpotInstanceTypes: got t3\.medium, which cannot run arm64 images/,
    );
    expect(() => load({ eksSpotInstanceTypes: 't3.medium,large' })).toThrow(
      /eksSpotInstanceTypes: got "t3\.medium,large"; allowed: a comma-separated list of EC2 instance types/,
    );
  });

  test('eksSelfManagedCapacity: onDemand or spot', () => {
    expect(load({ stage: 'production', eksSelfManagedCapacity: 'spot' }).eks.selfManagedCapacity).toBe(
      'spot',
    );
    expect(() => load({ eksSelfManagedCapacity: 'reserved' })).toThrow(
      /eksSelfManagedCapacity: got "reserved"; allowed: onDemand, spot/,
    );
  });

  test('eksNodeCount: 1 to 50 per node type', () => {
    expect(() => load({ eksNodeCount: 0 })).toThrow(
      /eksNodeCount: got 0; allowed: a whole number from 1 to 50/,
    );
  });

  test('eksAppMinReplicas may not exceed eksAppMaxReplicas', () => {
    expect(() => load({ eksAppMinReplicas: 4, eksAppMaxReplicas: 3 })).toThrow(
      /eksAppMinReplicas: got 4, more than eksAppMaxReplicas \(3\)/,
    );
  });

  test('eksEndpointAllowList: IPv4 networks, at most 40', () => {
    for (const bad of ['203.0.113.7/24', '256.0.0.0/8', '10.0.0.0/33', 'example.com']) {
      expect(() => load({ eksEndpointAllowList: bad })).toThrow(
        new RegExp(`eksEndpointAllowList: got "${bad.replace(/\./g, '\\.')}"; allowed: .*IPv4 CIDR blocks`),
      );
    }
    const many = Array.from({ length: 41 }, (_, i) => `198.51.${i}.0/24`);
    expect(() => load({ eksEndpointAllowList: many })).toThrow(
      /eksEndpointAllowList: got 41 CIDR blocks; EKS takes at most 40/,
    );
  });

  test('eksEndpointAllowList: no endpoint open to the internet in production', () => {
    expect(() => load({ stage: 'production', eksEndpointAllowList: '0.0.0.0/0' })).toThrow(
      /eksEndpointAllowList: got 0\.0\.0\.0\/0 in production; list the networks that administer the cluster/,
    );
    expect(
      load({ stage: 'production', eksEndpointAllowList: '203.0.113.0/24' }).eks.endpointAllowList,
    ).toEqual(['203.0.113.0/24']);
  });

  test('eksAdminPrincipalArn: an IAM role or user, not an assumed-role session', () => {
    const role = 'arn:aws:iam::123456789012:role/team/Admin';
    expect(load({ eksAdminPrincipalArn: role }).eks.adminPrincipalArn).toBe(role);
    expect(() =>
      load({ eksAdminPrincipalArn: 'arn:aws:sts::123456789012:assumed-role/Admin/alice' }),
    ).toThrow(/eksAdminPrincipalArn: got ".*"; allowed: an IAM role or user ARN/);
  });
});
