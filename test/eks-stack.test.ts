import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DIMENSION_NAMES, METRIC_NAMES, METRICS_NAMESPACE } from '../app/src/metrics';
import { KUBERNETES_VERSIONS } from '../lib/eks/versions';
import type { EksStack } from '../lib/eks-stack';
import { bareStack, synthesize } from './support/synth';
import {
  alarmsToAlertsTopic,
  dashboardMetrics,
  logicalIdAt,
  only,
  resourceAt,
  resourcesOf,
  type Resource,
} from './support/template';

const ADMIN_ROLE = 'arn:aws:iam::123456789012:role/Admin';

/**
 * Five synths cover every node type: the two stage defaults (Spot in the sandbox, on-demand in
 * production), every other node type at once on Graviton (self-managed nodes on Spot, the sandbox
 * default), self-managed nodes alone on demand (production's default), and Auto Mode, which excludes the rest.
 */
const CONTEXTS = {
  sandbox: { stage: 'sandbox' },
  production: { stage: 'production' },
  mixed: {
    stage: 'sandbox',
    cpuArchitecture: 'arm64',
    eksNodeTypes: 'managed,selfManaged,fargate',
    eksAdminPrincipalArn: ADMIN_ROLE,
    eksEndpointAllowList: '203.0.113.0/24,198.51.100.0/24',
  },
  selfManaged: { stage: 'production', eksNodeTypes: 'selfManaged' },
  autoMode: { stage: 'sandbox', eksNodeTypes: 'autoMode' },
};
type Variant = keyof typeof CONTEXTS;

function build(variant: Variant) {
  const { stacks } = synthesize({ ...CONTEXTS[variant], platforms: 'eks' });
  const stack = stacks.eks!;
  // Annotations synthesizes the app (forced), so it goes first; the template reuses that assembly
  const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue());
  const nag = new AwsSolutionsChecks().validateScope(stack);
  return { stack, image: stacks.registry.image, warnings, nag, template: Template.fromStack(stack) };
}
const built = {
  sandbox: build('sandbox'),
  production: build('production'),
  mixed: build('mixed'),
  selfManaged: build('selfManaged'),
  autoMode: build('autoMode'),
};
const VARIANTS = Object.keys(built) as Variant[];
type Built = (typeof built)[Variant];

/* eslint-disable @typescript-eslint/no-explicit-any -- CloudFormation and Kubernetes JSON */
/** The add-on resources by add-on name. */
function addons(v: Built): Record<string, Resource & { id: string }> {
  const all = Object.entries(resourcesOf(v.template, 'AWS::EKS::Addon'));
  return Object.fromEntries(all.map(([id, r]) => [r.Properties.AddonName, { ...r, id }]));
}

/** Kubernetes objects of a chart the stack applies, as kubectl gets them (CDK tokens still unresolved). */
function objects(chart: { toJson(): any[] }, kind: string): any[] {
  return chart.toJson().filter((o) => o.kind === kind);
}

function object(chart: { toJson(): any[] }, kind: string): any {
  const found = objects(chart, kind);
  expect(found).toHaveLength(1);
  return found[0];
}

/** Every resource `id` waits for on create (and outlives on delete): through Ref, GetAtt and DependsOn. */
function prerequisites(v: Built, id: string): Set<string> {
  const all = v.template.toJSON().Resources as Record<string, Resource>;
  const found = new Set<string>();
  const visit = (from: string) => {
    const text = JSON.stringify(all[from]);
    const named = [...text.matchAll(/\{"(?:Ref|Fn::GetAtt)":\[?"(\w+)"/g)].map((m) => m[1]);
    for (const next of [...named, ...(all[from].DependsOn ?? [])]) {
      if (next in all && !found.has(next)) {
        found.add(next);
        visit(next);
      }
    }
  };
  visit(id);
  return found;
}

const cluster = (v: Built) => only(v.template, 'AWS::EKS::Cluster').Properties;

/** The self-managed Auto Scaling group, its logical ID, and the launch template data its instances start from. */
function selfManaged(v: Built) {
  const [[id, group]] = Object.entries(resourcesOf(v.template, 'AWS::AutoScaling::AutoScalingGroup'));
  const spec =
    group.Properties.LaunchTemplate ??
    group.Properties.MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification;
  const data = v.template.toJSON().Resources[spec.LaunchTemplateId.Ref].Properties.LaunchTemplateData;
  return { id, group, data };
}

/** A part of a launch template's MIME user data, CDK tokens as TOKEN; base64 parts decoded. */
function userDataPart(data: any, contentType: string): string {
  const text = (parts: unknown[]): string =>
    parts
      .map((part: any) =>
        typeof part === 'string'
          ? part
          : part['Fn::Base64']
            ? Buffer.from(text(part['Fn::Base64']['Fn::Join'][1])).toString('base64')
            : 'TOKEN',
      )
      .join('');
  const mime = text(data.UserData['Fn::Base64']['Fn::Join'][1]);
  const part = mime.split('\n--').find((p) => p.includes(`Content-Type: ${contentType}`))!;
  const body = part.slice(part.indexOf('\n\n') + 2);
  return part.includes('Content-Transfer-Encoding: base64') ? Buffer.from(body, 'base64').toString() : body;
}
const nodegroups = (v: Built) =>
  Object.values(resourcesOf(v.template, 'AWS::EKS::Nodegroup')).map((r) => r.Properties);

describe('EKS cluster', () => {
  test.each(VARIANTS)('%s: no synth warnings and no unacknowledged cdk-nag finding', (variant) => {
    expect(built[variant].warnings).toEqual([]);
    expect(built[variant].nag.violations).toEqual([]);
  });

  test('every row of the version table pairs a Kubernetes version with a kubectl layer of the same minor', () => {
    for (const [name, release] of Object.entries(KUBERNETES_VERSIONS)) {
      expect(release.version.version).toBe(name);
      const layer = new release.kubectlLayer(bareStack('Layers'), 'Kubectl');
      const description = (layer.node.defaultChild as any).description as string;
      expect(description).toMatch(new RegExp(`/opt/kubectl/kubectl ${name.replace('.', '\\.')}\\.\\d+;`));
    }
  });

  test.each(VARIANTS)(
    "%s: the kubectl provider's layer carries the cluster's minor version of kubectl",
    (variant) => {
      const v = built[variant];
      const version = cluster(v).Version;
      expect(version).toBe('1.36');
      const layers = Object.values(resourcesOf(v.template, 'AWS::Lambda::LayerVersion')).map(
        (r) => r.Properties.Description,
      );
      expect(layers).toContain(`/opt/kubectl/kubectl ${version}.3; /opt/helm/helm 4.2.3`);
    },
  );

  test('endpoint: sandbox public (allow-list 0.0.0.0/0) and private; production private only', () => {
    expect(cluster(built.sandbox).ResourcesVpcConfig).toMatchObject({
      EndpointPublicAccess: true,
      EndpointPrivateAccess: true,
      PublicAccessCidrs: ['0.0.0.0/0'],
    });
    expect(cluster(built.production).ResourcesVpcConfig).toMatchObject({
      EndpointPublicAccess: false,
      EndpointPrivateAccess: true,
    });
    expect(cluster(built.production).ResourcesVpcConfig.PublicAccessCidrs).toBeUndefined();
  });

  test('endpoint: eksEndpointAllowList limits the public endpoint to those networks', () => {
    expect(cluster(built.mixed).ResourcesVpcConfig.PublicAccessCidrs).toEqual([
      '203.0.113.0/24',
      '198.51.100.0/24',
    ]);
  });

  test.each(VARIANTS)(
    '%s: manifests go through a kubectl function in the private subnets (works with a private endpoint)',
    (variant) => {
      const v = built[variant];
      const handler = Object.values(resourcesOf(v.template, 'AWS::Lambda::Function')).find((f) =>
        (f.Properties.Layers ?? []).some((layer: any) => layer.Ref === logicalIdAt(v, 'KubectlLayer')),
      )!;
      expect(handler.Properties.VpcConfig.SubnetIds).toHaveLength(2);
      expect(JSON.stringify(handler.Properties.VpcConfig.SubnetIds)).toMatch(
        /privateSubnet1.*privateSubnet2/,
      );
    },
  );

  test.each(['sandbox', 'production'] as const)(
    '%s: control plane logs, all five types, to a log group with the stage retention',
    (stage) => {
      const v = built[stage];
      expect(
        cluster(v)
          .Logging.ClusterLogging.EnabledTypes.map((t: any) => t.Type)
          .sort(),
      ).toEqual(['api', 'audit', 'authenticator', 'controllerManager', 'scheduler']);
      v.template.hasResource('AWS::Logs::LogGroup', {
        Properties: {
          LogGroupName: '/aws/eks/coa-eks/cluster',
          RetentionInDays: stage === 'production' ? 365 : 7,
        },
        DeletionPolicy: stage === 'production' ? 'RetainExceptOnCreate' : 'Delete',
      });
      // created before the cluster, which would otherwise create it without retention
      expect(only(v.template, 'AWS::EKS::Cluster').DependsOn).toContain(logicalIdAt(v, 'LogGroup0'));
    },
  );

  test('Container Insights log groups exist up front with the stage retention', () => {
    for (const kind of ['application', 'dataplane', 'host', 'performance']) {
      built.sandbox.template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: `/aws/containerinsights/coa-eks/${kind}`,
        RetentionInDays: 7,
      });
    }
  });

  test('production: the log groups EKS names are kept on delete and update, not after a failed create', () => {
    const v = built.production;
    const named = Object.values(resourcesOf(v.template, 'AWS::Logs::LogGroup')).filter(
      (r) => typeof r.Properties.LogGroupName === 'string',
    );
    expect(named.map((r) => r.Properties.LogGroupName).sort()).toEqual([
      '/aws/containerinsights/coa-eks/application',
      '/aws/containerinsights/coa-eks/dataplane',
      '/aws/containerinsights/coa-eks/host',
      '/aws/containerinsights/coa-eks/performance',
      '/aws/eks/coa-eks/cluster',
    ]);
    // RetainExceptOnCreate: a rolled-back first deploy deletes them, so its retry does not find them;
    // with a static name it also lets `cdk deploy --import-existing-resources` adopt them after a destroy
    for (const group of named) {
      expect(group).toMatchObject({ DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
    }
  });

  test('production: nothing with a fixed name is kept by a failed create (no plain Retain on a named resource)', () => {
    const named = Object.entries(built.production.template.toJSON().Resources as Record<string, Resource>)
      .filter(([, r]) => r.DeletionPolicy === 'Retain')
      .filter(([, r]) =>
        Object.entries(r.Properties ?? {}).some(
          ([key, value]) => key.endsWith('Name') && typeof value === 'string',
        ),
      )
      .map(([id]) => id);
    expect(named).toEqual([]);
  });

  test.each(['sandbox', 'production'] as const)(
    '%s: Kubernetes secrets encrypted with a rotating KMS key, removed per stage',
    (stage) => {
      const v = built[stage];
      const keyId = logicalIdAt(v, 'SecretsKey');
      expect(cluster(v).EncryptionConfig).toEqual([
        { Provider: { KeyArn: { 'Fn::GetAtt': [keyId, 'Arn'] } }, Resources: ['secrets'] },
      ]);
      const key = resourceAt(v, 'SecretsKey');
      expect(key.Properties).toMatchObject({
        EnableKeyRotation: true,
        PendingWindowInDays: stage === 'production' ? 30 : 7,
      });
      expect(key.DeletionPolicy).toBe(stage === 'production' ? 'Retain' : 'Delete');
    },
  );

  test('access: API mode (access entries), the deployer is not made admin, no aws-auth ConfigMap', () => {
    expect(cluster(built.sandbox).AccessConfig).toEqual({
      AuthenticationMode: 'API',
      BootstrapClusterCreatorAdminPermissions: false,
    });
    for (const v of Object.values(built))
      expect(JSON.stringify(v.template.toJSON())).not.toContain('aws-auth');
  });

  test('access: eksAdminPrincipalArn gets an access entry with AmazonEKSClusterAdminPolicy; none without it', () => {
    built.mixed.template.hasResourceProperties('AWS::EKS::AccessEntry', {
      PrincipalArn: ADMIN_ROLE,
      AccessPolicies: [
        Match.objectLike({
          AccessScope: { Type: 'cluster' },
          PolicyArn: {
            'Fn::Join': [
              '',
              Match.arrayWith([':eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy']),
            ],
          },
        }),
      ],
    });
    built.sandbox.template.resourcePropertiesCountIs(
      'AWS::EKS::AccessEntry',
      { PrincipalArn: ADMIN_ROLE },
      0,
    );
  });

  test('kubectl: the KubeconfigCommand output only where eksAdminPrincipalArn has an access entry; otherwise how to get one', () => {
    const outputs = (v: Built) => v.template.toJSON().Outputs;
    expect(outputs(built.mixed).KubeconfigCommand).toEqual({
      Value: {
        'Fn::Join': [
          '',
          ['aws eks update-kubeconfig --name ', expect.anything(), ' --region ', expect.anything()],
        ],
      },
      Description: `For ${ADMIN_ROLE} (eksAdminPrincipalArn), the one principal with kubectl access`,
    });
    expect(outputs(built.mixed).KubectlAccess).toBeUndefined();
    // without an admin principal nobody but the kubectl function has an access entry: the command would fail
    expect(outputs(built.sandbox).KubeconfigCommand).toBeUndefined();
    expect(outputs(built.sandbox).KubectlAccess.Value).toMatch(/redeploy with -c eksAdminPrincipalArn=/);
  });

  test('control plane interfaces in the private subnets; services from 172.20.0.0/16; EKS installs no unmanaged add-ons', () => {
    const props = cluster(built.sandbox);
    expect(JSON.stringify(props.ResourcesVpcConfig.SubnetIds)).toMatch(/privateSubnet1.*privateSubnet2/);
    expect(JSON.stringify(props.ResourcesVpcConfig.SubnetIds)).not.toMatch(/public/);
    expect(props.KubernetesNetworkConfig.ServiceIpv4Cidr).toBe('172.20.0.0/16');
    expect(props.BootstrapSelfManagedAddons).toBe(false);
  });
});

describe('node types', () => {
  test('sandbox default: one managed Spot node group drawing on three instance types, nothing else', () => {
    expect(nodegroups(built.sandbox)).toEqual([
      expect.objectContaining({
        CapacityType: 'SPOT',
        InstanceTypes: ['t3.medium', 't3a.medium', 'c5a.large'],
        AmiType: 'AL2023_x86_64_STANDARD',
        ScalingConfig: { MinSize: 1, DesiredSize: 1, MaxSize: 2 },
        Labels: { 'node-type': 'spot' },
      }),
    ]);
    built.sandbox.template.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 0);
    built.sandbox.template.resourceCountIs('AWS::EKS::FargateProfile', 0);
    expect(cluster(built.sandbox).ComputeConfig).toEqual({ Enabled: false });
  });

  test('production default: one on-demand managed node group of two m7i.large', () => {
    expect(nodegroups(built.production)).toEqual([
      expect.objectContaining({
        CapacityType: 'ON_DEMAND',
        InstanceTypes: ['m7i.large'],
        ScalingConfig: { MinSize: 2, DesiredSize: 2, MaxSize: 4 },
        Labels: { 'node-type': 'managed' },
      }),
    ]);
  });

  test('managed node groups on Graviton get the AL2023 ARM AMI type', () => {
    expect(nodegroups(built.mixed)).toEqual([
      expect.objectContaining({
        CapacityType: 'ON_DEMAND',
        InstanceTypes: ['t4g.medium'],
        AmiType: 'AL2023_ARM_64_STANDARD',
      }),
    ]);
  });

  test.each(['sandbox', 'production', 'mixed'] as const)(
    '%s: node groups run in private subnets from a launch template: encrypted gp3 root, IMDSv2 with hop limit 1, no user data',
    (variant) => {
      const v = built[variant];
      for (const group of nodegroups(v)) {
        expect(JSON.stringify(group.Subnets)).toMatch(/privateSubnet1.*privateSubnet2/);
        const template =
          v.template.toJSON().Resources[group.LaunchTemplate.Id.Ref].Properties.LaunchTemplateData;
        expect(template.BlockDeviceMappings).toEqual([
          { DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeSize: 20, VolumeType: 'gp3' } },
        ]);
        expect(template.MetadataOptions).toEqual({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
        // EKS merges its own bootstrap into the launch template; anything here would have to be MIME
        expect(template.UserData).toBeUndefined();
      }
    },
  );

  test.each(['sandbox', 'production', 'mixed'] as const)(
    '%s: node roles carry the worker and ECR pull policies, not the VPC CNI policy',
    (variant) => {
      const v = built[variant];
      const nodeRoles = Object.values(resourcesOf(v.template, 'AWS::IAM::Role')).filter((r) =>
        JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('ec2.amazonaws.com'),
      );
      expect(nodeRoles.length).toBeGreaterThan(0);
      for (const role of nodeRoles) {
        const policies = JSON.stringify(role.Properties.ManagedPolicyArns);
        expect(policies).toMatch(/AmazonEKSWorkerNodePolicy/);
        expect(policies).toMatch(/AmazonEC2ContainerRegistryPullOnly/);
        expect(policies).not.toMatch(/AmazonEKS_CNI_Policy/);
      }
    },
  );

  test('selfManaged: our Auto Scaling group of EKS-optimized AL2023 instances (ARM AMI for Graviton)', () => {
    const v = built.mixed;
    const { group, data } = selfManaged(v);
    expect(group.Properties).toMatchObject({ MinSize: '1', MaxSize: '2' });
    expect(group.Properties.DesiredCapacity).toBeUndefined();
    const parameter = v.template.toJSON().Parameters[data.ImageId.Ref];
    expect(parameter.Default).toBe(
      '/aws/service/eks/optimized-ami/1.36/amazon-linux-2023/arm64/standard/recommended/image_id',
    );
    expect(data.MetadataOptions).toEqual({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
    expect(data.BlockDeviceMappings).toEqual([
      { DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeSize: 20, VolumeType: 'gp3' } },
    ]);
    // the cluster security group: the control plane, other nodes and the EFS mount targets trust it
    expect(data.SecurityGroupIds).toContainEqual({
      'Fn::GetAtt': [logicalIdAt(v, 'Cluster'), 'ClusterSecurityGroupId'],
    });
  });

  test('selfManaged, production default: on demand, eksInstanceType from the launch template, no Spot', () => {
    const v = built.selfManaged;
    const { group, data } = selfManaged(v);
    expect(data.InstanceType).toBe('m7i.large');
    expect(group.Properties.MixedInstancesPolicy).toBeUndefined();
    expect(group.Properties).toMatchObject({ MinSize: '2', MaxSize: '4' });
    expect(v.template.toJSON().Parameters[data.ImageId.Ref].Default).toBe(
      '/aws/service/eks/optimized-ami/1.36/amazon-linux-2023/x86_64/standard/recommended/image_id',
    );
  });

  test('selfManaged, sandbox default: Spot only, from the eksSpotInstanceTypes pools, replaced when at risk', () => {
    const { group, data } = selfManaged(built.mixed);
    // MixedInstancesPolicy: the launch template with one override per pool, no on-demand share
    expect(group.Properties.MixedInstancesPolicy).toEqual({
      InstancesDistribution: {
        OnDemandBaseCapacity: 0,
        OnDemandPercentageAboveBaseCapacity: 0,
        SpotAllocationStrategy: 'price-capacity-optimized',
      },
      LaunchTemplate: {
        LaunchTemplateSpecification: expect.objectContaining({ LaunchTemplateId: expect.anything() }),
        Overrides: [
          { InstanceType: 't4g.medium' },
          { InstanceType: 'c6g.large' },
          { InstanceType: 'c7g.large' },
        ],
      },
    });
    expect(group.Properties.CapacityRebalance).toBe(true);
    // no single type or plain launch template that would bypass the policy
    expect(group.Properties.LaunchTemplate).toBeUndefined();
    expect(data.InstanceType).toBeUndefined();
  });

  test('selfManaged: nodeadm joins the node from a NodeConfig in MIME user data, not bootstrap.sh', () => {
    const { data } = selfManaged(built.mixed);
    expect(JSON.stringify(data.UserData)).not.toContain('bootstrap.sh');
    expect(JSON.parse(userDataPart(data, 'application/node.eks.aws'))).toEqual({
      apiVersion: 'node.eks.aws/v1alpha1',
      kind: 'NodeConfig',
      spec: {
        cluster: {
          name: 'TOKEN',
          apiServerEndpoint: 'TOKEN',
          certificateAuthority: 'TOKEN',
          cidr: '172.20.0.0/16',
        },
        kubelet: { config: { maxPods: 110 }, flags: ['--node-labels=node-type=self-managed'] },
      },
    });
  });

  test('selfManaged: instances start once their role has an access entry; the group is created once they signal', () => {
    const v = built.selfManaged;
    const { id, group, data } = selfManaged(v);
    expect(group.DependsOn).toContain(logicalIdAt(v, 'Cluster/SelfManagedNodeAccess'));
    // CreationPolicy: CloudFormation waits for one signal per node, at most 15 minutes
    expect(group.CreationPolicy).toEqual({ ResourceSignal: { Count: 2, Timeout: 'PT15M' } });
    // each node signals once the VPC CNI has written its configuration (the kubelet is then Ready), from a
    // unit of its own: the script itself must not wait, nodeadm starts the kubelet only after it
    const script = userDataPart(data, 'text/x-shellscript').split('\n');
    expect(script[0]).toBe('#!/bin/bash');
    expect(script[1]).toMatch(/^systemd-run --no-block --unit=signal-node-ready \/bin\/bash -c '/);
    const wait = script.slice(1).join('\n');
    expect(wait).toContain(
      '[ -e /etc/cni/net.d/10-aws.conflist ] && exec /opt/aws/bin/cfn-signal --exit-code 0',
    );
    expect(wait).toContain(`--stack coa-eks --resource ${id} --region TOKEN`);
    expect(wait).toMatch(/done\nexec \/opt\/aws\/bin\/cfn-signal --exit-code 1 /);
  });

  test('selfManaged alone: CoreDNS, the pod-running add-ons, the controller and the app wait for the signalled group', () => {
    const v = built.selfManaged;
    const { id, group } = selfManaged(v);
    expect(group.CreationPolicy.ResourceSignal.Count).toBe(2);
    const a = addons(v);
    const waiting = [
      ...[
        'coredns',
        'aws-ebs-csi-driver',
        'aws-efs-csi-driver',
        'amazon-cloudwatch-observability',
        'metrics-server',
      ].map((name) => a[name].id),
      ...Object.keys(resourcesOf(v.template, 'Custom::AWSCDK-EKS-HelmChart')),
      logicalIdAt(v, 'Cluster/SampleApp'),
    ];
    expect(waiting).toHaveLength(7);
    for (const dependent of waiting) expect(v.template.toJSON().Resources[dependent].DependsOn).toContain(id);
  });

  test('selfManaged: the node role joins through an EC2_LINUX access entry', () => {
    const v = built.mixed;
    v.template.hasResourceProperties('AWS::EKS::AccessEntry', {
      Type: 'EC2_LINUX',
      PrincipalArn: { 'Fn::GetAtt': [logicalIdAt(v, 'Cluster/SelfManagedNodeRole'), 'Arn'] },
      AccessPolicies: [],
    });
  });

  test("fargate: a profile for the sample app's namespace, in the private subnets", () => {
    const profile = only(built.mixed.template, 'AWS::EKS::FargateProfile').Properties;
    expect(profile.Selectors).toEqual([{ Namespace: 'sample-app', Labels: [] }]);
    expect(JSON.stringify(profile.Subnets)).toMatch(/privateSubnet1.*privateSubnet2/);
    expect(JSON.stringify(profile.Subnets)).not.toMatch(/public/);
  });

  test('autoMode: EKS runs compute, block storage and load balancing; no node groups, nodes or profiles of ours', () => {
    const props = cluster(built.autoMode);
    expect(props.ComputeConfig).toMatchObject({ Enabled: true, NodePools: ['system', 'general-purpose'] });
    expect(props.StorageConfig).toEqual({ BlockStorage: { Enabled: true } });
    expect(props.KubernetesNetworkConfig.ElasticLoadBalancing).toEqual({ Enabled: true });
    for (const type of [
      'AWS::EKS::Nodegroup',
      'AWS::AutoScaling::AutoScalingGroup',
      'AWS::EKS::FargateProfile',
    ]) {
      built.autoMode.template.resourceCountIs(type, 0);
    }
  });
});

describe('managed add-ons', () => {
  const POD_IDENTITY_ROLES = {
    'vpc-cni': ['aws-node', ['AmazonEKS_CNI_Policy']],
    'aws-ebs-csi-driver': ['ebs-csi-controller-sa', ['service-role/AmazonEBSCSIDriverPolicy']],
    'aws-efs-csi-driver': ['efs-csi-controller-sa', ['service-role/AmazonEFSCSIDriverPolicy']],
    'amazon-cloudwatch-observability': [
      'cloudwatch-agent',
      ['AWSXrayWriteOnlyAccess', 'CloudWatchAgentServerPolicy'],
    ],
  } as const;

  test.each(['sandbox', 'production', 'mixed'] as const)(
    '%s: the CNI, kube-proxy, CoreDNS, Pod Identity agent, EBS and EFS CSI drivers, CloudWatch observability and metrics-server',
    (variant) => {
      expect(Object.keys(addons(built[variant])).sort()).toEqual([
        'amazon-cloudwatch-observability',
        'aws-ebs-csi-driver',
        'aws-efs-csi-driver',
        'coredns',
        'eks-pod-identity-agent',
        'kube-proxy',
        'metrics-server',
        'vpc-cni',
      ]);
    },
  );

  test('autoMode: only the add-ons Auto Mode does not bring (EFS CSI, CloudWatch, metrics-server)', () => {
    expect(Object.keys(addons(built.autoMode)).sort()).toEqual([
      'amazon-cloudwatch-observability',
      'aws-efs-csi-driver',
      'metrics-server',
    ]);
  });

  test.each(Object.entries(POD_IDENTITY_ROLES))(
    '%s: its service account gets its own role through Pod Identity',
    (name, [serviceAccount, policies]) => {
      const v = built.sandbox;
      const addon = addons(v)[name];
      expect(addon.Properties.PodIdentityAssociations).toEqual([
        { ServiceAccount: serviceAccount, RoleArn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } },
      ]);
      // EKS accepts the association only once the Pod Identity agent is installed
      expect(addon.DependsOn).toContain(addons(v)['eks-pod-identity-agent'].id);
      const role =
        v.template.toJSON().Resources[addon.Properties.PodIdentityAssociations[0].RoleArn['Fn::GetAtt'][0]];
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Action: ['sts:AssumeRole', 'sts:TagSession'],
          Effect: 'Allow',
          Principal: { Service: 'pods.eks.amazonaws.com' },
        },
      ]);
      const arns = role.Properties.ManagedPolicyArns.map((arn: any) =>
        arn['Fn::Join'][1][2].replace(':iam::aws:policy/', ''),
      );
      expect(arns.sort()).toEqual([...policies].sort());
    },
  );

  test.each(VARIANTS)('%s: Pod Identity only: no IAM OIDC provider, no IRSA role annotation', (variant) => {
    const v = built[variant];
    v.template.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    v.template.resourceCountIs('Custom::AWSCDKOpenIdConnectProvider', 0);
    expect(JSON.stringify(v.template.toJSON())).not.toContain('eks.amazonaws.com/role-arn');
  });

  test('add-ons: EKS default versions, our configuration wins, software removed with the add-on', () => {
    for (const addon of Object.values(addons(built.sandbox)).filter(
      (a) => a.Properties.AddonName !== 'eks-pod-identity-agent',
    )) {
      expect(addon.Properties).toMatchObject({ ResolveConflicts: 'OVERWRITE', PreserveOnDelete: false });
      expect(addon.Properties.AddonVersion).toBeUndefined();
    }
  });

  test('vpc-cni: prefix delegation, so one small node holds every add-on pod', () => {
    expect(JSON.parse(addons(built.sandbox)['vpc-cni'].Properties.ConfigurationValues)).toEqual({
      env: { ENABLE_PREFIX_DELEGATION: 'true' },
    });
  });

  test('order: nodes wait for the CNI, kube-proxy and the Pod Identity agent; pod-running add-ons wait for nodes', () => {
    const v = built.mixed;
    const a = addons(v);
    const networking = ['vpc-cni', 'kube-proxy', 'eks-pod-identity-agent'].map((name) => a[name].id);
    const compute = [
      ...Object.keys(resourcesOf(v.template, 'AWS::EKS::Nodegroup')),
      ...Object.keys(resourcesOf(v.template, 'AWS::AutoScaling::AutoScalingGroup')),
      ...Object.keys(resourcesOf(v.template, 'AWS::EKS::FargateProfile')),
    ];
    expect(compute).toHaveLength(3);
    for (const id of compute)
      expect(v.template.toJSON().Resources[id].DependsOn).toEqual(expect.arrayContaining(networking));
    for (const name of [
      'coredns',
      'aws-ebs-csi-driver',
      'aws-efs-csi-driver',
      'amazon-cloudwatch-observability',
      'metrics-server',
    ]) {
      expect(a[name].DependsOn).toEqual(expect.arrayContaining(compute));
    }
  });

  test('EFS CSI node plugin: its own Pod Identity role may mount and write this file system, associated before the driver', () => {
    const v = built.sandbox;
    const associationId = logicalIdAt(v, 'Guestbook/CsiNodeIdentity');
    v.template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', {
      Namespace: 'kube-system',
      ServiceAccount: 'efs-csi-node-sa',
      RoleArn: { 'Fn::GetAtt': [logicalIdAt(v, 'Guestbook/CsiNodeRole'), 'Arn'] },
    });
    v.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalIdAt(v, 'Guestbook/CsiNodeRole') }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
            Resource: { 'Fn::GetAtt': [logicalIdAt(v, 'Guestbook/FileSystem/FileSystem'), 'Arn'] },
          }),
        ],
      },
    });
    expect(addons(v)['aws-efs-csi-driver'].DependsOn).toContain(associationId);
  });
});

describe('the kubectl provider', () => {
  test.each(['sandbox', 'production'] as const)(
    '%s: its functions log to groups they depend on, so nothing invokes them before their groups exist or after they are gone',
    (stage) => {
      const v = built[stage];
      const all = v.template.toJSON().Resources as Record<string, Resource>;
      const functions = Object.keys(resourcesOf(v.template, 'AWS::Lambda::Function'));
      const logGroups = functions.map((id) => all[id].Properties.LoggingConfig?.LogGroup?.Ref);
      // LoggingConfig.LogGroup: the function references its group, and so depends on it
      expect(logGroups.map((id) => all[id]?.Type)).toEqual(functions.map(() => 'AWS::Logs::LogGroup'));
      // every Kubernetes object, chart and value reaches the onEvent framework function and, through
      // it, the kubectl handler: both groups come before it on create and after it on delete
      const customResources = Object.keys(all).filter((id) => all[id].Type.startsWith('Custom::AWSCDK-EKS-'));
      expect(customResources.length).toBeGreaterThan(3);
      for (const id of customResources) {
        expect([...prerequisites(v, id)]).toEqual(expect.arrayContaining(logGroups));
      }
      // no group named after its function: that name would make the group depend on the function instead
      for (const id of logGroups) {
        expect(JSON.stringify(all[id].Properties.LogGroupName ?? '')).not.toContain('/aws/lambda/');
        // only the stack's logs key (production) may come first
        expect([...prerequisites(v, id)].filter((p) => all[p].Type !== 'AWS::KMS::Key')).toEqual([]);
      }
    },
  );
});

describe('load balancing', () => {
  test('AWS Load Balancer Controller: pinned Helm chart, told region and VPC, with a Pod Identity role', () => {
    const v = built.sandbox;
    const chart = only(v.template, 'Custom::AWSCDK-EKS-HelmChart').Properties;
    expect(chart).toMatchObject({
      Chart: 'aws-load-balancer-controller',
      Repository: 'https://aws.github.io/eks-charts',
      Version: '3.2.2',
      Namespace: 'kube-system',
      Wait: true,
    });
    const values = JSON.stringify(chart.Values);
    expect(values).toContain(
      '\\"serviceAccount\\":{\\"create\\":true,\\"name\\":\\"aws-load-balancer-controller\\"}',
    );
    expect(values).toContain('\\"region\\":\\"');
    expect(values).toContain('\\"vpcId\\":\\"');
    v.template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', {
      Namespace: 'kube-system',
      ServiceAccount: 'aws-load-balancer-controller',
    });
    v.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['elasticloadbalancing:DeleteLoadBalancer']),
            Condition: { Null: { 'aws:ResourceTag/elbv2.k8s.aws/cluster': 'false' } },
          }),
        ]),
      },
    });
  });

  test('autoMode: no controller of ours; an IngressClass for the built-in one, internet-facing', () => {
    const v = built.autoMode;
    v.template.resourceCountIs('Custom::AWSCDK-EKS-HelmChart', 0);
    const chart = (v.stack as EksStack).clusterChart;
    expect(object(chart, 'IngressClass').spec).toEqual({
      controller: 'eks.amazonaws.com/alb',
      parameters: { apiGroup: 'eks.amazonaws.com', kind: 'IngressClassParams', name: 'alb' },
    });
    expect(object(chart, 'IngressClassParams').spec).toEqual({ scheme: 'internet-facing' });
    expect(objects((built.sandbox.stack as EksStack).clusterChart, 'IngressClass')).toEqual([]);
  });

  test.each(['sandbox', 'mixed'] as const)(
    '%s: destroy order: the app (and the ALB its Ingress owns) goes before the controller, the CSI drivers and the nodes',
    (variant) => {
      const v = built[variant];
      const app = resourceAt(v, 'Cluster/SampleApp');
      const controllerChart = Object.keys(resourcesOf(v.template, 'Custom::AWSCDK-EKS-HelmChart'))[0];
      expect(app.DependsOn).toEqual(
        expect.arrayContaining([
          controllerChart,
          addons(v)['aws-efs-csi-driver'].id,
          ...Object.keys(resourcesOf(v.template, 'AWS::EKS::Nodegroup')),
          ...Object.keys(resourcesOf(v.template, 'AWS::EKS::FargateProfile')),
        ]),
      );
      // the controller itself is removed while nodes still run it
      const chart = v.template.toJSON().Resources[controllerChart];
      expect(chart.DependsOn).toEqual(
        expect.arrayContaining(Object.keys(resourcesOf(v.template, 'AWS::EKS::Nodegroup'))),
      );
    },
  );
});

describe('storage', () => {
  const storageClass = (v: Built, name: string) =>
    objects((v.stack as EksStack).clusterChart, 'StorageClass').find((c) => c.metadata.name === name);

  test('gp3: EBS CSI, encrypted, the default class, bound when the pod is scheduled', () => {
    expect(storageClass(built.sandbox, 'gp3')).toMatchObject({
      metadata: { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'ebs.csi.aws.com',
      parameters: { type: 'gp3', encrypted: 'true' },
      volumeBindingMode: 'WaitForFirstConsumer',
    });
    expect(storageClass(built.autoMode, 'gp3').provisioner).toBe('ebs.csi.eks.amazonaws.com');
  });

  test("efs: an access point per claim on this stack's file system, mounted with IAM authorization", () => {
    const v = built.sandbox;
    const efsClass = storageClass(v, 'efs');
    expect(efsClass).toMatchObject({
      provisioner: 'efs.csi.aws.com',
      parameters: { provisioningMode: 'efs-ap', directoryPerms: '700', basePath: '/dynamic' },
      mountOptions: ['iam'],
    });
    expect(v.stack.resolve(efsClass.parameters.fileSystemId)).toEqual({
      Ref: logicalIdAt(v, 'Guestbook/FileSystem/FileSystem'),
    });
  });

  test('the file system is reachable over NFS from the cluster security group only', () => {
    const v = built.sandbox;
    const efsGroup = logicalIdAt(v, 'Guestbook/FileSystem/FileSystem/EfsSecurityGroup');
    const ingress = Object.values(resourcesOf(v.template, 'AWS::EC2::SecurityGroupIngress')).filter(
      (r) => r.Properties.GroupId['Fn::GetAtt']?.[0] === efsGroup,
    );
    expect(ingress.map((r) => r.Properties)).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 2049,
        ToPort: 2049,
        SourceSecurityGroupId: { 'Fn::GetAtt': [logicalIdAt(v, 'Cluster'), 'ClusterSecurityGroupId'] },
      }),
    ]);
    expect(v.template.toJSON().Resources[efsGroup].Properties.SecurityGroupIngress).toBeUndefined();
  });

  test('the file system admits clients without IAM identity (Fargate) through access points only', () => {
    const v = built.sandbox;
    const policy = resourceAt(v, 'Guestbook/FileSystem/FileSystem').Properties.FileSystemPolicy;
    expect(policy.Statement).toContainEqual({
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
      Resource: '*',
      Condition: {
        Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'true' },
        StringLike: {
          'elasticfilesystem:AccessPointArn': expect.objectContaining({ 'Fn::Join': expect.anything() }),
        },
      },
    });
    expect(JSON.stringify(policy)).toContain(':access-point/*');
  });

  test("the sample app's access point: its own directory, owned by and acting as the image's user 1000:1000", () => {
    built.sandbox.template.hasResourceProperties('AWS::EFS::AccessPoint', {
      PosixUser: { Uid: '1000', Gid: '1000' },
      RootDirectory: {
        Path: '/eks-sample-app',
        CreationInfo: { OwnerUid: '1000', OwnerGid: '1000', Permissions: '750' },
      },
    });
  });
});

describe('the sample app on Kubernetes', () => {
  const app = (v: Built) => (v.stack as EksStack).sampleAppChart;
  const container = (v: Built) => object(app(v), 'Deployment').spec.template.spec.containers[0];

  test('runs the registry image as repository:tag, with IMAGE_VERSION, GUESTBOOK_DIR and the downward API', () => {
    const v = built.sandbox;
    const c = container(v);
    expect(v.stack.resolve(c.image)).toEqual(
      v.stack.resolve(v.image.repository.repositoryUriForTag(v.image.tag)),
    );
    expect(c.env).toEqual(
      expect.arrayContaining([
        { name: 'IMAGE_VERSION', value: v.image.tag },
        { name: 'GUESTBOOK_DIR', value: '/mnt/guestbook' },
        { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      ]),
    );
    expect(c.ports).toEqual([expect.objectContaining({ containerPort: 8080 })]);
  });

  test('startup, readiness and liveness probes on /healthz:8080; an immutable tag needs no pull when present', () => {
    const c = container(built.sandbox);
    const healthz = { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' } };
    expect(c.startupProbe).toEqual({ ...healthz, periodSeconds: 2, failureThreshold: 10 });
    expect(c.readinessProbe).toEqual({ ...healthz, periodSeconds: 5, failureThreshold: 2 });
    expect(c.livenessProbe).toEqual({ ...healthz, periodSeconds: 10, failureThreshold: 3 });
    expect(c.imagePullPolicy).toBe('IfNotPresent');
  });

  test('requests and limits', () => {
    expect(container(built.sandbox).resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '500m', memory: '256Mi' },
    });
  });

  test('a pod stops without dropping requests: preStop sleep while the ALB lets go, then the app drains', () => {
    const pod = object(app(built.sandbox), 'Deployment').spec.template.spec;
    // endpoints and the ALB target are removed as SIGTERM is sent: the sleep keeps serving meanwhile
    expect(container(built.sandbox).lifecycle).toEqual({ preStop: { sleep: { seconds: 15 } } });
    // SIGKILL only after the sleep (15 s), the app's own deadline (10 s) and a margin (5 s)
    expect(pod.terminationGracePeriodSeconds).toBe(30);
  });

  test("non-root as the image's user, read-only root file system, no privileges, no service account token", () => {
    const pod = object(app(built.sandbox), 'Deployment').spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(container(built.sandbox).securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  test('the guestbook: a claim bound by name to an EFS volume on the access point, mounted at /mnt/guestbook', () => {
    const v = built.sandbox;
    const volume = object(app(v), 'PersistentVolume');
    expect(volume.spec).toMatchObject({
      accessModes: ['ReadWriteMany'],
      storageClassName: '',
      persistentVolumeReclaimPolicy: 'Retain',
      csi: { driver: 'efs.csi.aws.com' },
    });
    expect(v.stack.resolve(volume.spec.csi.volumeHandle)).toEqual({
      'Fn::Join': [
        '',
        [
          { Ref: logicalIdAt(v, 'Guestbook/FileSystem/FileSystem') },
          '::',
          { Ref: logicalIdAt(v, 'Guestbook/FileSystem/FileSystem/SampleAppAccessPoint') },
        ],
      ],
    });
    const claim = object(app(v), 'PersistentVolumeClaim');
    expect(claim).toMatchObject({
      metadata: { name: 'guestbook', namespace: 'sample-app' },
      spec: { accessModes: ['ReadWriteMany'], storageClassName: '', volumeName: volume.metadata.name },
    });
    const pod = object(app(v), 'Deployment').spec.template.spec;
    const mount = container(v).volumeMounts[0];
    expect(mount.mountPath).toBe('/mnt/guestbook');
    expect(pod.volumes).toContainEqual({
      name: mount.name,
      persistentVolumeClaim: { claimName: 'guestbook', readOnly: false },
    });
  });

  test.each([
    ['sandbox', 1, 3],
    ['production', 2, 10],
  ] as const)(
    '%s: a HorizontalPodAutoscaler from %i to %i pods at 70 %% CPU; the Deployment leaves replicas to it',
    (stage, min, max) => {
      const hpa = object(app(built[stage]), 'HorizontalPodAutoscaler');
      expect(hpa.spec).toMatchObject({
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'sample-app' },
        minReplicas: min,
        maxReplicas: max,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
          },
        ],
      });
      expect(object(app(built[stage]), 'Deployment').spec.replicas).toBeUndefined();
    },
  );

  test('a PodDisruptionBudget lets drains take one pod at a time', () => {
    const deployment = object(app(built.sandbox), 'Deployment');
    expect(object(app(built.sandbox), 'PodDisruptionBudget').spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: deployment.spec.selector.matchLabels },
    });
  });

  test.each([
    ['sandbox', 30],
    ['production', 120],
  ] as const)(
    '%s: an internet-facing ALB through the Ingress, to pod IPs, checking /healthz, draining %i s',
    (stage, seconds) => {
      const ingress = object(app(built[stage]), 'Ingress');
      expect(ingress.spec).toEqual({
        ingressClassName: 'alb',
        defaultBackend: { service: { name: 'sample-app', port: { number: 80 } } },
      });
      expect(ingress.metadata.annotations).toEqual({
        'alb.ingress.kubernetes.io/scheme': 'internet-facing',
        'alb.ingress.kubernetes.io/target-type': 'ip',
        'alb.ingress.kubernetes.io/healthcheck-path': '/healthz',
        'alb.ingress.kubernetes.io/target-group-attributes': `deregistration_delay.timeout_seconds=${seconds}`,
      });
      expect(object(app(built[stage]), 'Service').spec).toMatchObject({
        type: 'ClusterIP',
        ports: [{ port: 80, targetPort: 8080 }],
      });
    },
  );

  test.each(VARIANTS)("%s: the deploy waits for the Ingress's ALB and prints its URL", (variant) => {
    const v = built[variant];
    const lookup = only(v.template, 'Custom::AWSCDK-EKS-KubernetesObjectValue');
    expect(lookup.Properties).toMatchObject({
      ObjectType: 'ingress',
      ObjectName: 'sample-app',
      ObjectNamespace: 'sample-app',
      JsonPath: '.status.loadBalancer.ingress[0].hostname',
    });
    expect(lookup.DependsOn).toContain(logicalIdAt(v, 'Cluster/SampleApp'));
    v.template.hasOutput('SampleAppUrl', {
      Value: {
        'Fn::Join': ['', ['http://', { 'Fn::GetAtt': [logicalIdAt(v, 'SampleAppHostname'), 'Value'] }]],
      },
    });
  });

  test('everything sits in the sample-app namespace that the Fargate profile selects', () => {
    const namespaced = app(built.sandbox)
      .toJson()
      .filter((o) => o.kind !== 'PersistentVolume');
    expect(namespaced.map((o) => o.metadata.namespace)).toEqual(namespaced.map(() => 'sample-app'));
  });

  test("the namespace is a manifest of its own that the app's depends on: deleting the app waits for the ALB", () => {
    const v = built.sandbox;
    const namespace = logicalIdAt(v, 'Cluster/SampleAppNamespace');
    const manifest = resourceAt(v, 'Cluster/SampleAppNamespace');
    expect(JSON.parse(manifest.Properties.Manifest)).toEqual([
      expect.objectContaining({
        kind: 'Namespace',
        metadata: expect.objectContaining({
          name: 'sample-app',
          labels: expect.objectContaining({ 'elbv2.k8s.aws/pod-readiness-gate-inject': 'enabled' }),
        }),
      }),
    ]);
    // kubectl deletes the app's objects from a namespace that still exists, so none is NotFound and
    // kubectl waits for them all, the Ingress's finalizer (the ALB) included
    expect(objects(app(v), 'Namespace')).toEqual([]);
    expect(resourceAt(v, 'Cluster/SampleApp').DependsOn).toContain(namespace);
    // applied, not created: adopts the namespace a cluster deployed before the split already has
    expect(manifest.Properties.Overwrite).toBe(true);
  });

  test('the stack applies both charts as they render', () => {
    const v = built.sandbox;
    const applied = resourceAt(v, 'Cluster/SampleApp').Properties.Manifest;
    const kinds = app(v)
      .toJson()
      .map((o) => o.kind);
    for (const kind of kinds) expect(JSON.stringify(applied)).toContain(`\\"kind\\":\\"${kind}\\"`);
  });
});

describe('snapshots', () => {
  test.each(['sandbox', 'production'] as const)('%s', (stage) => {
    expect(built[stage].template.toJSON()).toMatchSnapshot();
  });
});

describe('rollouts: a new pod takes ALB traffic before an old one goes', () => {
  const app = (v: Built) => (v.stack as EksStack).sampleAppChart;

  test.each(VARIANTS)('%s: the Deployment surges one pod at a time and takes none away first', (variant) => {
    expect(object(app(built[variant]), 'Deployment').spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
  });

  test('pods are gated on their ALB target: the namespace asks for the gate, and the targets are pod IPs', () => {
    const v = built.sandbox;
    const [namespace] = JSON.parse(resourceAt(v, 'Cluster/SampleAppNamespace').Properties.Manifest);
    expect(namespace.metadata.labels).toEqual(
      expect.objectContaining({ 'elbv2.k8s.aws/pod-readiness-gate-inject': 'enabled' }),
    );
    // the controller gates only pods behind `target-type: ip` (with instance targets the ALB sees nodes)
    expect(object(app(v), 'Ingress').metadata.annotations['alb.ingress.kubernetes.io/target-type']).toBe(
      'ip',
    );
  });

  test('the controller (whose webhook injects the gate) and the namespace exist before the app creates pods', () => {
    const v = built.sandbox;
    const before = [...prerequisites(v, logicalIdAt(v, 'Cluster/SampleApp'))];
    expect(before).toEqual(
      expect.arrayContaining([
        logicalIdAt(v, 'Cluster/SampleAppNamespace'),
        logicalIdAt(v, 'LoadBalancerController/Chart'),
      ]),
    );
  });
});

describe('EKS: production controls for nodes and pods', () => {
  const launchTemplates = (v: Built) =>
    Object.values(resourcesOf(v.template, 'AWS::EC2::LaunchTemplate')).map(
      (t) => t.Properties.LaunchTemplateData,
    );
  const deployment = (v: Built) =>
    object((v.stack as EksStack).sampleAppChart, 'Deployment').spec.template.spec;

  test.each(['sandbox', 'production', 'mixed', 'selfManaged'] as const)(
    "%s: every node's instance metadata answers one hop only: no pod reaches the node role (CT.EC2.PR.2)",
    (variant) => {
      const templates = launchTemplates(built[variant]);
      expect(templates.length).toBeGreaterThan(0);
      for (const data of templates) expect(data.MetadataOptions.HttpPutResponseHopLimit).toBe(1);
    },
  );

  test.each([
    ['sandbox', false],
    ['production', true],
    ['selfManaged', true],
  ] as const)(
    '%s: node launch templates with detailed monitoring per the stage (CT.EC2.PR.10)',
    (variant, on) => {
      for (const data of launchTemplates(built[variant])) expect(data.Monitoring).toEqual({ Enabled: on });
    },
  );

  test.each(['mixed', 'selfManaged'] as const)(
    '%s: the self-managed group names the zones of its subnets (CT.AUTOSCALING.PR.1)',
    (variant) => {
      const { AvailabilityZones: zones, VPCZoneIdentifier: subnets } = selfManaged(built[variant]).group
        .Properties;
      expect(new Set(zones.map((zone: unknown) => JSON.stringify(zone))).size).toBe(subnets.length);
      expect(subnets.length).toBeGreaterThan(1);
    },
  );

  test("the app learns its zone from the pod's topology label, since instance metadata is out of reach", () => {
    expect(deployment(built.sandbox).containers[0].env).toContainEqual({
      name: 'AVAILABILITY_ZONE',
      valueFrom: { fieldRef: { fieldPath: "metadata.labels['topology.kubernetes.io/zone']" } },
    });
  });

  test('the pod as a whole runs under the runtime default seccomp profile, as its container does', () => {
    const pod = deployment(built.sandbox);
    expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(pod.containers[0].securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
  });

  test('no container of the pod is privileged, may escalate, keeps a capability or writes its root file system', () => {
    for (const c of deployment(built.sandbox).containers) {
      expect(c.securityContext).toMatchObject({
        privileged: false,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(c.securityContext.capabilities.add).toBeUndefined();
    }
  });
});

describe('EKS: the namespace enforces the restricted Pod Security Standard', () => {
  test("Pod Security Admission's restricted profile is enforced on the sample app's namespace", () => {
    const [namespace] = JSON.parse(
      resourceAt(built.sandbox, 'Cluster/SampleAppNamespace').Properties.Manifest,
    );
    expect(namespace.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
  });
});

describe('EKS stack: observability', () => {
  const v = built.sandbox;
  const stack = v.stack as EksStack;
  // the names Container Insights reports the app under, read off the rendered chart
  const objects = stack.sampleAppChart.toJson();
  const named = (kind: string) => objects.find((o: any) => o.kind === kind).metadata;
  const { name: serviceName, namespace } = named('Service');
  const { name: deploymentName } = named('Deployment');
  const insights = (metricName: string, dimensions: unknown[]) => [
    'ContainerInsights',
    metricName,
    'ClusterName',
    stack.resolve(stack.cluster.clusterName),
    'Namespace',
    namespace,
    ...dimensions,
  ];
  const pods = ['PodName', deploymentName];

  test('Container Insights is there to publish the pod metrics: the amazon-cloudwatch-observability add-on', () => {
    expect(
      resourcesOf(v.template, 'AWS::EKS::Addon', { AddonName: 'amazon-cloudwatch-observability' }),
    ).not.toEqual({});
  });

  test.each(VARIANTS)('%s: both alarms tell the alerts topic', (variant) => {
    expect(Object.keys(alarmsToAlertsTopic(built[variant])).sort()).toEqual(
      ['NoRunningPods', 'PodRestarts'].map((id) => logicalIdAt(built[variant], id)).sort(),
    );
  });

  test('no running pod behind the Service for 3 minutes, silence counting as none', () => {
    const alarm = resourceAt(v, 'NoRunningPods').Properties;
    expect([
      alarm.Namespace,
      alarm.MetricName,
      ...alarm.Dimensions.flatMap((d: any) => [d.Name, d.Value]),
    ]).toEqual(insights('service_number_of_running_pods', ['Service', serviceName]));
    expect(alarm).toMatchObject({
      Statistic: 'Minimum',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  test('pod restarts: the growth of the restart count', () => {
    const [expression, restarts] = resourceAt(v, 'PodRestarts').Properties.Metrics;
    expect(expression.Expression).toBe(`DIFF(${restarts.Id})`);
    const { Namespace, MetricName, Dimensions } = restarts.MetricStat.Metric;
    expect([Namespace, MetricName, ...Dimensions.flatMap((d: any) => [d.Name, d.Value])]).toEqual(
      insights('pod_number_of_container_restarts', pods),
    );
  });

  test('the dashboard graphs the app, its pods and its file system under the names the resources give', () => {
    const graphed = dashboardMetrics(only(v.template, 'AWS::CloudWatch::Dashboard')).map((m) =>
      JSON.stringify(m),
    );
    const app = (name: string) => [METRICS_NAMESPACE, name, DIMENSION_NAMES.platform, 'eks-ec2'];
    for (const metric of [
      app(METRIC_NAMES.requestLatency),
      app(METRIC_NAMES.serverErrors),
      app(METRIC_NAMES.guestbookWrites),
      insights('service_number_of_running_pods', ['Service', serviceName]),
      insights('pod_cpu_utilization', pods),
      insights('pod_memory_utilization', pods),
      [
        'AWS/EFS',
        'ClientConnections',
        'FileSystemId',
        { Ref: logicalIdAt(v, 'Guestbook/FileSystem/FileSystem') },
      ],
    ]) {
      expect(graphed).toContain(JSON.stringify(metric));
    }
    expect(v.template.findOutputs('DashboardUrl')).not.toEqual({});
  });
});
