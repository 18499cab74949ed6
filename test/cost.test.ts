import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../lib/config';
import {
  estimateStack,
  HOURS_PER_MONTH,
  loadPriceTable,
  placeTasks,
  type LineItem,
  type Template,
} from '../tools/cost/estimate';
import { assemblyReport, PRICE_FILE } from '../tools/cost/assembly-report';
import { formatReport, withDependencies } from '../tools/cost/report';
import { PRODUCTION_HTTPS } from './support/production';
import { synthesize } from './support/synth';

/** The pricing logic over small hand-written templates, priced from the repository's table. */
const root = path.join(__dirname, '..');
const prices = loadPriceTable(path.join(root, PRICE_FILE));
const estimate = (Resources: Template['Resources']) => estimateStack('test', { Resources }, prices);
const hourly = (items: readonly LineItem[]) => items.map((i) => i.hourly);

const launchTemplate = (data: object) => ({
  Type: 'AWS::EC2::LaunchTemplate',
  Properties: { LaunchTemplateData: data },
});
const fargateTask = (cpu: string, memory: string, architecture = 'X86_64') => ({
  Type: 'AWS::ECS::TaskDefinition',
  Properties: {
    Cpu: cpu,
    Memory: memory,
    RequiresCompatibilities: ['FARGATE'],
    RuntimePlatform: { CpuArchitecture: architecture, OperatingSystemFamily: 'LINUX' },
  },
});
const scalableTarget = (service: string, min: number, max: number) => ({
  Type: 'AWS::ApplicationAutoScaling::ScalableTarget',
  Properties: {
    MinCapacity: min,
    MaxCapacity: max,
    ScalableDimension: 'ecs:service:DesiredCount',
    ResourceId: {
      'Fn::Join': ['', ['service/', { Ref: 'Cluster' }, '/', { 'Fn::GetAtt': [service, 'Name'] }]],
    },
  },
});
/** 0.25 vCPU and 0.5 GB on Fargate, Linux/x86. */
const quarterVcpuTask = 0.25 * 0.04048 + 0.5 * 0.004445;

describe('the price table', () => {
  test('is dated, and every price and assumption cites an AWS pricing page', () => {
    expect(prices.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(prices.region).toBe('us-east-1');
    const cited = [
      ...Object.values(prices.prices),
      ...Object.values(prices.assumptions),
      prices.ec2OnDemandHour,
    ];
    for (const entry of cited) expect(entry.source).toMatch(/^https:\/\/aws\.amazon\.com\/[\w/-]+\/$/);
    for (const { usd } of Object.values(prices.prices)) expect(usd).toBeGreaterThan(0);
  });

  test('prices every EC2 instance type the configuration defaults to, in both stages and architectures', () => {
    const env = { account: '123456789012', region: 'eu-west-1', ...PRODUCTION_HTTPS };
    const configs = [
      loadConfig({}),
      loadConfig({ stage: 'production', ...env }),
      loadConfig({ cpuArchitecture: 'arm64', platforms: 'ecs,eks' }),
      loadConfig({ stage: 'production', cpuArchitecture: 'arm64', platforms: 'ecs,eks', ...env }),
    ];
    const defaults = configs.flatMap((c) => [
      c.ecs.instanceType,
      c.eks.instanceType,
      ...c.eks.spotInstanceTypes,
    ]);
    // lib/network-stack.ts's NAT instance
    for (const type of ['t4g.nano', ...defaults]) expect(prices.ec2OnDemandHour.types).toHaveProperty([type]);
  });
});

describe('EC2 instances', () => {
  test('an Auto Scaling group runs MinSize instances of its launch template type: 1 × t3.small is 0.0208/h', () => {
    const { items, hourly: total } = estimate({
      LaunchTemplate: launchTemplate({ InstanceType: 't3.small' }),
      Group: {
        Type: 'AWS::AutoScaling::AutoScalingGroup',
        Properties: {
          MinSize: '1',
          MaxSize: '2',
          LaunchTemplate: { LaunchTemplateId: { Ref: 'LaunchTemplate' } },
        },
      },
    });
    expect(items).toEqual([
      expect.objectContaining({
        resource: 'Group',
        item: expect.stringMatching(/^1 × EC2 t3\.small On-Demand/),
      }),
    ]);
    expect(total).toBeCloseTo(0.0208, 10);
  });

  test('DesiredCapacity wins over MinSize; each instance brings its gp3 volumes', () => {
    const { items } = estimate({
      LaunchTemplate: launchTemplate({
        InstanceType: 't3.small',
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 30, VolumeType: 'gp3' } }],
      }),
      Group: {
        Type: 'AWS::AutoScaling::AutoScalingGroup',
        Properties: {
          MinSize: '1',
          MaxSize: '4',
          DesiredCapacity: '2',
          LaunchTemplate: { LaunchTemplateId: { Ref: 'LaunchTemplate' } },
        },
      },
    });
    expect(items.map((i) => i.item)).toEqual([
      '2 × EC2 t3.small On-Demand (MinSize 1, MaxSize 4)',
      '2 × 30 GiB gp3 volume',
    ]);
    expect(items[1].hourly).toBeCloseTo((2 * 30 * 0.08) / HOURS_PER_MONTH, 10);
  });

  test('a mixed instances policy: the On-Demand base first, the rest at its percentage, Spot at the assumed discount', () => {
    const { items } = estimate({
      LaunchTemplate: launchTemplate({
        InstanceType: 't3.small',
        CreditSpecification: { CPUCredits: 'standard' },
      }),
      Group: {
        Type: 'AWS::AutoScaling::AutoScalingGroup',
        Properties: {
          MinSize: '3',
          MaxSize: '6',
          MixedInstancesPolicy: {
            LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateId: { Ref: 'LaunchTemplate' } } },
            InstancesDistribution: { OnDemandBaseCapacity: 1, OnDemandPercentageAboveBaseCapacity: 0 },
          },
        },
      },
    });
    expect(items.map((i) => i.item)).toEqual([
      '1 × EC2 t3.small On-Demand (MinSize 3, MaxSize 6)',
      '2 × EC2 t3.small Spot (MinSize 3, MaxSize 6)',
    ]);
    expect(hourly(items)).toEqual([0.0208, 2 * 0.0208 * (1 - 0.6)].map((n) => expect.closeTo(n, 10)));
    // standard CPU credits: no surplus-credit warning
    expect(items[0].note).toBeUndefined();
  });

  test('a NAT instance bills the instance, its public IPv4 address and its volume', () => {
    const { items, hourly: total } = estimate({
      Nat: {
        Type: 'AWS::EC2::Instance',
        Properties: {
          InstanceType: 't4g.nano',
          SourceDestCheck: false,
          CreditSpecification: { CPUCredits: 'standard' },
          NetworkInterfaces: [{ AssociatePublicIpAddress: true, DeviceIndex: '0' }],
          BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 8, VolumeType: 'gp3' } }],
        },
      },
    });
    expect(items.map((i) => i.item)).toEqual([
      '1 × EC2 t4g.nano On-Demand, NAT instance',
      '1 public IPv4 address',
      '1 × 8 GiB gp3 volume',
    ]);
    expect(total).toBeCloseTo(0.0042 + 0.005 + (8 * 0.08) / HOURS_PER_MONTH, 10);
  });

  test('an instance type the table lacks fails, naming the type and where to look it up', () => {
    expect(() =>
      estimate({ Box: { Type: 'AWS::EC2::Instance', Properties: { InstanceType: 'x2iedn.32xlarge' } } }),
    ).toThrow(
      /test Box \(AWS::EC2::Instance\): no On-Demand price for instance type "x2iedn\.32xlarge".*ec2\/pricing/,
    );
  });
});

describe('networking', () => {
  test('a NAT gateway costs 0.045/h, and its Elastic IP 0.005/h as a public IPv4 address', () => {
    const { items, hourly: total } = estimate({
      Eip: { Type: 'AWS::EC2::EIP', Properties: { Domain: 'vpc' } },
      Nat: {
        Type: 'AWS::EC2::NatGateway',
        Properties: { AllocationId: { 'Fn::GetAtt': ['Eip', 'AllocationId'] }, SubnetId: 'subnet-1' },
      },
    });
    expect(hourly(items)).toEqual([0.005, 0.045]);
    expect(total).toBeCloseTo(0.05, 10);
    expect(total * HOURS_PER_MONTH).toBeCloseTo(36.5, 10);
  });

  test('an internet-facing load balancer bills its hour and one public IPv4 address per AZ; an internal one none', () => {
    const { items } = estimate({
      Alb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Subnets: ['a', 'b'] } },
      Nlb: {
        Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
        Properties: { Type: 'network', Scheme: 'internal', Subnets: ['a', 'b', 'c'] },
      },
    });
    expect(items.map(({ resource, item, hourly }) => [resource, item, hourly])).toEqual([
      ['Alb', 'Application Load Balancer', 0.0225],
      ['Alb', '2 public IPv4 addresses, one per AZ', 0.01],
      ['Nlb', 'Network Load Balancer', 0.0225],
    ]);
    expect(items[0].note).toMatch(/LCU/);
  });

  test('an interface endpoint bills per AZ it sits in; a gateway endpoint is free', () => {
    const serviceName = (service: string) => ({
      'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, service]],
    });
    const { items } = estimate({
      Ecr: {
        Type: 'AWS::EC2::VPCEndpoint',
        Properties: {
          VpcEndpointType: 'Interface',
          ServiceName: serviceName('.ecr.api'),
          SubnetIds: ['a', 'b'],
        },
      },
      S3: {
        Type: 'AWS::EC2::VPCEndpoint',
        Properties: { ServiceName: serviceName('.s3'), RouteTableIds: ['r'] },
      },
    });
    expect(items.map(({ item, hourly }) => [item, hourly])).toEqual([
      ['interface endpoint ecr.api in 2 AZs', 0.02],
      ['gateway endpoint s3: free', 0],
    ]);
  });
});

describe('EKS', () => {
  const cluster = (properties: object = {}) => ({
    Type: 'AWS::EKS::Cluster',
    Properties: { Version: '1.36', ResourcesVpcConfig: { SubnetIds: ['a', 'b'] }, ...properties },
  });

  test('the control plane is 0.10/h; a Spot node group is DesiredSize nodes of its first type at the Spot discount', () => {
    const { items } = estimate({
      Cluster: cluster(),
      NodeLaunchTemplate: launchTemplate({
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 20, VolumeType: 'gp3' } }],
      }),
      Spot: {
        Type: 'AWS::EKS::Nodegroup',
        Properties: {
          CapacityType: 'SPOT',
          InstanceTypes: ['t3.medium', 't3a.medium', 'c5a.large'],
          ScalingConfig: { MinSize: 1, DesiredSize: 2, MaxSize: 4 },
          LaunchTemplate: { Id: { Ref: 'NodeLaunchTemplate' } },
        },
      },
    });
    expect(items.map(({ item, hourly }) => [item, hourly])).toEqual([
      ['EKS control plane, Kubernetes 1.36, standard support', 0.1],
      ['2 × EC2 t3.medium Spot, EKS managed node group', expect.closeTo(2 * 0.0416 * 0.4, 10)],
      ['2 × 20 GiB gp3 volume', expect.closeTo((2 * 20 * 0.08) / HOURS_PER_MONTH, 10)],
    ]);
    expect(items[1].note).toBe('priced as t3.medium, the first of t3.medium, t3a.medium, c5a.large');
  });

  test('an internet-facing Ingress brings an ALB the controller creates outside the template, in each AZ of the cluster', () => {
    const manifest = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } },
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'web', annotations: { 'alb.ingress.kubernetes.io/scheme': 'internet-facing' } },
      },
    ];
    // CDK writes manifests as Fn::Join around tokens such as the image URI
    const [before, after] = JSON.stringify(manifest).split('"app"');
    const { items } = estimate({
      Cluster: cluster(),
      App: {
        Type: 'Custom::AWSCDK-EKS-KubernetesResource',
        Properties: {
          Manifest: { 'Fn::Join': ['', [`${before}"`, { Ref: 'AWS::AccountId' }, `"${after}`]] },
          ClusterName: { Ref: 'Cluster' },
        },
      },
    });
    expect(items.slice(1).map(({ item, hourly }) => [item, hourly])).toEqual([
      ['Application Load Balancer for Ingress web', 0.0225],
      ['2 public IPv4 addresses, one per AZ', 0.01],
    ]);
    expect(items[1].note).toMatch(/outside the template/);
  });

  test('Auto Mode nodes and pods on Fargate are listed but not priced: EKS and the pods decide their size', () => {
    const { items, hourly: total } = estimate({
      Cluster: cluster({ ComputeConfig: { Enabled: true } }),
      Profile: { Type: 'AWS::EKS::FargateProfile', Properties: { Selectors: [{ Namespace: 'sample-app' }] } },
    });
    expect(items.slice(1).map(({ item, hourly }) => [item, hourly])).toEqual([
      ['Auto Mode nodes: instances EKS picks, plus its management fee', undefined],
      ['pods of namespace sample-app on Fargate: billed per pod size', undefined],
    ]);
    expect(total).toBe(0.1);
  });
});

describe('ECS and Fargate', () => {
  test('placeTasks gives each provider its Base first, then the rest by Weight', () => {
    const strategy = [
      { CapacityProvider: 'FARGATE', Base: 1, Weight: 0 },
      { CapacityProvider: 'FARGATE_SPOT', Weight: 1 },
    ];
    expect(placeTasks(1, strategy)).toEqual([['FARGATE', 1]]);
    expect(placeTasks(3, strategy)).toEqual([
      ['FARGATE', 1],
      ['FARGATE_SPOT', 2],
    ]);
    expect(
      placeTasks(4, [
        { CapacityProvider: 'FARGATE', Weight: 1 },
        { CapacityProvider: { Ref: 'Ec2' }, Weight: 3 },
      ]),
    ).toEqual([
      ['FARGATE', 1],
      ['EC2', 3],
    ]);
    expect(placeTasks(0, [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }])).toEqual([['FARGATE_SPOT', 0]]);
  });

  test('a Fargate service idles at its auto scaling minimum: the base on FARGATE, the rest on FARGATE_SPOT', () => {
    const service = (strategy: object[]) => ({
      Type: 'AWS::ECS::Service',
      Properties: {
        TaskDefinition: { Ref: 'Task' },
        CapacityProviderStrategy: strategy,
        Cluster: { Ref: 'Cluster' },
      },
    });
    const { items } = estimate({
      Task: fargateTask('256', '512'),
      Service: service([
        { CapacityProvider: 'FARGATE', Base: 1, Weight: 0 },
        { CapacityProvider: 'FARGATE_SPOT', Weight: 1 },
      ]),
      Scaling: scalableTarget('Service', 3, 6),
    });
    expect(items.map(({ item, hourly }) => [item, hourly])).toEqual([
      ['1 × Fargate task, 0.25 vCPU / 0.5 GB, Linux/x86', expect.closeTo(quarterVcpuTask, 10)],
      ['2 × Fargate Spot task, 0.25 vCPU / 0.5 GB, Linux/x86', expect.closeTo(2 * quarterVcpuTask * 0.3, 10)],
    ]);
    expect(items[0].note).toBe('auto scaling 3–6 tasks');
  });

  test('without auto scaling a service runs DesiredCount tasks; ARM tasks bill at the ARM rates', () => {
    const { items } = estimate({
      Task: fargateTask('1024', '2048', 'ARM64'),
      Service: {
        Type: 'AWS::ECS::Service',
        Properties: { TaskDefinition: { Ref: 'Task' }, LaunchType: 'FARGATE', DesiredCount: 2 },
      },
    });
    expect(items.map(({ item, hourly }) => [item, hourly])).toEqual([
      ['2 × Fargate task, 1 vCPU / 2 GB, Linux/ARM', expect.closeTo(2 * (0.03238 + 2 * 0.00356), 10)],
    ]);
  });

  test('tasks on an EC2 capacity provider are priced with the instances, not twice; a service without a strategy takes the cluster default', () => {
    const { items, hourly: total } = estimate({
      Cluster: { Type: 'AWS::ECS::Cluster', Properties: {} },
      Providers: {
        Type: 'AWS::ECS::ClusterCapacityProviderAssociations',
        Properties: {
          Cluster: { Ref: 'Cluster' },
          CapacityProviders: [{ Ref: 'Ec2Provider' }],
          DefaultCapacityProviderStrategy: [{ CapacityProvider: { Ref: 'Ec2Provider' }, Weight: 1 }],
        },
      },
      Task: { Type: 'AWS::ECS::TaskDefinition', Properties: { RequiresCompatibilities: ['EC2'] } },
      Service: {
        Type: 'AWS::ECS::Service',
        Properties: { Cluster: { Ref: 'Cluster' }, TaskDefinition: { Ref: 'Task' } },
      },
    });
    expect(items.map(({ item, hourly }) => [item, hourly])).toEqual([
      ['1 × ECS task on EC2 capacity: priced with the instances', undefined],
    ]);
    expect(total).toBe(0);
  });

  test('a Fargate task definition no service runs costs nothing at rest; the note says what a run costs', () => {
    const { items } = estimate({ Job: fargateTask('256', '512') });
    expect(items).toEqual([
      {
        resource: 'Job',
        item: 'Fargate task run on demand, 0.25 vCPU / 0.5 GB, Linux/x86',
        note: `$${quarterVcpuTask.toFixed(4)}/h while it runs`,
      },
    ]);
  });

  test('ECS Express Mode: its minimum of Fargate tasks, plus the ALB it creates outside the template', () => {
    const { items, hourly: total } = estimate({
      Service: {
        Type: 'AWS::ECS::ExpressGatewayService',
        Properties: {
          Cpu: '256',
          Memory: '512',
          ScalingTarget: { MinTaskCount: 1, MaxTaskCount: 2 },
          NetworkConfiguration: { Subnets: ['public-a', 'public-b'] },
        },
      },
    });
    expect(items.map(({ item, hourly }) => [item, hourly])).toEqual([
      ['1 × Fargate task, 0.25 vCPU / 0.5 GB, Linux/x86', expect.closeTo(quarterVcpuTask, 10)],
      ['Application Load Balancer of the service', 0.0225],
      ['2 public IPv4 addresses, one per AZ', 0.01],
    ]);
    expect(items[1].note).toMatch(/^made by Express Mode .*outside the template/);
    expect(total).toBeCloseTo(quarterVcpuTask + 0.0325, 10);
  });
});

test('App Runner idles at its provisioned instances’ memory; vCPU bills only while serving', () => {
  const { items, hourly: total } = estimate({
    Scaling: { Type: 'AWS::AppRunner::AutoScalingConfiguration', Properties: { MinSize: 2, MaxSize: 4 } },
    Service: {
      Type: 'AWS::AppRunner::Service',
      Properties: {
        InstanceConfiguration: { Cpu: '0.25 vCPU', Memory: '512' },
        AutoScalingConfigurationArn: { 'Fn::GetAtt': ['Scaling', 'AutoScalingConfigurationArn'] },
      },
    },
  });
  expect(items.map(({ item, hourly }) => [item, hourly])).toEqual([
    ['2 × provisioned App Runner instance, 0.5 GB memory', expect.closeTo(2 * 0.5 * 0.007, 10)],
    ['while serving requests: + 0.25 vCPU per active instance', undefined],
  ]);
  expect(items[1].note).toBe('$0.0160/h per active instance');
  expect(total).toBeCloseTo(0.007, 10);
});

test('monthly prices: EFS at the assumed 1 GB, a KMS key at $1, a secret at $0.40', () => {
  const { items, hourly: total } = estimate({
    Files: { Type: 'AWS::EFS::FileSystem', Properties: { Encrypted: true } },
    Key: { Type: 'AWS::KMS::Key', Properties: {} },
    Secret: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
  });
  expect(items.map((i) => i.item)).toEqual([
    'EFS Standard, 1 GB stored (assumed)',
    'KMS customer managed key',
    'Secrets Manager secret',
  ]);
  expect(total * HOURS_PER_MONTH).toBeCloseTo(0.3 + 1 + 0.4, 10);
});

describe('security controls', () => {
  test('a WAF web ACL: $5 a month, plus $1 for each rule or rule group in it', () => {
    const { items, hourly: total } = estimate({
      Acl: {
        Type: 'AWS::WAFv2::WebACL',
        Properties: {
          Scope: 'REGIONAL',
          Rules: [{ Name: 'RateLimit' }, { Name: 'Common' }, { Name: 'Bad' }],
        },
      },
    });
    expect(items.map((i) => i.item)).toEqual(['WAF web ACL', '3 WAF rules or rule groups']);
    expect(items[0].note).toBe('plus per million requests inspected');
    expect(total * HOURS_PER_MONTH).toBeCloseTo(5 + 3, 10);
  });

  test('an AWS Backup plan keeps about one copy of the assumed EFS GB in warm storage: $0.05 a month', () => {
    const { items, hourly: total } = estimate({
      Plan: { Type: 'AWS::Backup::BackupPlan', Properties: { BackupPlan: { BackupPlanName: 'daily' } } },
    });
    expect(items.map((i) => i.item)).toEqual(['AWS Backup warm storage, 1 GB of EFS backups (assumed)']);
    expect(total * HOURS_PER_MONTH).toBeCloseTo(0.05, 10);
  });

  test('detailed monitoring bills 7 metrics per instance: $2.10 a month each; basic monitoring nothing', () => {
    const group = (template: string) => ({
      Type: 'AWS::AutoScaling::AutoScalingGroup',
      Properties: { MinSize: '2', MaxSize: '4', LaunchTemplate: { LaunchTemplateId: { Ref: template } } },
    });
    const { items } = estimate({
      Detailed: launchTemplate({ InstanceType: 't3.small', Monitoring: { Enabled: true } }),
      Basic: launchTemplate({ InstanceType: 't3.small' }),
      DetailedGroup: group('Detailed'),
      BasicGroup: group('Basic'),
    });
    const monitoring = items.filter((i) => i.item.includes('monitoring'));
    expect(monitoring.map(({ resource, item }) => [resource, item])).toEqual([
      ['DetailedGroup', '2 × EC2 detailed monitoring, 7 metrics each'],
    ]);
    expect(monitoring[0].hourly! * HOURS_PER_MONTH).toBeCloseTo(2 * 7 * 0.3, 10);
  });
});

test('resources that bill only by use, or not at all, are not listed', () => {
  const { items, hourly: total } = estimate({
    Role: { Type: 'AWS::IAM::Role', Properties: {} },
    Bucket: { Type: 'AWS::S3::Bucket', Properties: {} },
    Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
    Function: { Type: 'AWS::Lambda::Function', Properties: {} },
  });
  expect(items).toEqual([]);
  expect(total).toBe(0);
});

describe('the report', () => {
  const dependencies = {
    network: [],
    registry: [],
    ecs: ['registry', 'network'],
    patterns: ['ecs', 'network'],
  };

  test('withDependencies follows dependencies through other stacks', () => {
    expect(withDependencies('patterns', dependencies).sort()).toEqual(['ecs', 'network', 'registry']);
    expect(withDependencies('network', dependencies)).toEqual([]);
  });

  test('prints each stack’s items, the stacks side by side with a total, and each stack with what it needs', () => {
    const stacks = [
      estimateStack(
        'network',
        { Resources: { NatGatewayA1B2C3D4: { Type: 'AWS::EC2::NatGateway' } } },
        prices,
      ),
      estimateStack('registry', { Resources: {} }, prices),
      estimateStack('ecs', { Resources: { Key: { Type: 'AWS::KMS::Key' } } }, prices),
      estimateStack('patterns', { Resources: {} }, prices),
    ];
    const report = formatReport(stacks, dependencies, prices, 'prices.json').split('\n');
    expect(report[0]).toBe(
      `Cost at rest in us-east-1: list prices of ${prices.date} (prices.json), USD, 1 month = 730 h.`,
    );
    // CDK's hash suffix is dropped from logical IDs; notes become footnotes
    expect(report).toContain('  NatGateway  NAT gateway [1]  0.0450    32.85');
    expect(report).toContain('  [1] plus per GB processed');
    expect(report).toContain('  nothing billed by the hour or the month');
    expect(report).toContain('  Total     0.0464    33.85');
    expect(report).toContain('  patterns  network, registry, ecs  0.0464    33.85');
    expect(report).toContain('  registry  -                       0.0000     0.00');
  });
});

describe('the figures the guides print', () => {
  // the sandbox defaults, as `npm run cost` synthesizes them, read as it reads cdk.out
  const report = assemblyReport(root, synthesize().app.synth().directory);
  const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

  test('docs/cost.md shows what npm run cost prints for the sandbox defaults, whole', () => {
    expect(read('docs/cost.md')).toContain(report);
  });

  test('the prose says the totals the report prints: per hour, per month, and the range one platform costs', () => {
    const prose = (file: string) => read(file).replace(/\s+/g, ' ');
    const [, hour, month] =
      /^ {2}Total\s+([\d.]+)\s+([\d.]+)$/m.exec(report.slice(report.indexOf('All stacks'))) ?? [];
    const totals = `$${Number(hour).toFixed(2)} an hour, $${Math.round(Number(month))} a month`;
    expect(prose('README.md')).toContain(totals);
    expect(prose('docs/cost.md')).toContain(totals);
    // one platform with what it needs: the rows of the second table that need something
    const alone = report
      .slice(report.indexOf('One stack at a time'))
      .split('\n')
      .flatMap((line) => /^ {2}coa-[\w-]+\s+coa-.*\s([\d.]+)\s+[\d.]+$/.exec(line)?.[1] ?? [])
      .map(Number);
    const range = `from $${Math.min(...alone).toFixed(3)}/h`;
    expect(prose('docs/cost.md')).toContain(range);
    expect(prose('docs/cost.md')).toContain(`to $${Math.max(...alone).toFixed(3)}/h`);
  });

  test('the README shows its two summary tables, unchanged', () => {
    const summary = report.slice(report.indexOf('All stacks'), report.indexOf('\nNot included'));
    expect(read('README.md')).toContain(summary);
  });
});

describe('CloudWatch dashboards and alarms', () => {
  test('a dashboard is $3 a month, the free three noted', () => {
    const { items } = estimate({ Board: { Type: 'AWS::CloudWatch::Dashboard' } });
    expect(items).toEqual([
      expect.objectContaining({
        item: 'CloudWatch dashboard',
        note: expect.stringContaining('3 dashboards'),
      }),
    ]);
    expect(items[0].hourly! * HOURS_PER_MONTH).toBeCloseTo(3);
  });

  test('an alarm is $0.10 a month per metric it reads: one for a plain alarm, each MetricStat of a metric math one', () => {
    const { items } = estimate({
      Plain: { Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'HealthyHostCount' } },
      Math: {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          Metrics: [{ Expression: 'desired - running' }, { MetricStat: {} }, { MetricStat: {} }],
        },
      },
    });
    expect(items.map((i) => i.item)).toEqual(['CloudWatch alarm, 1 metric', 'CloudWatch alarm, 2 metrics']);
    expect(items.map((i) => Number((i.hourly! * HOURS_PER_MONTH).toFixed(2)))).toEqual([0.1, 0.2]);
  });
});
