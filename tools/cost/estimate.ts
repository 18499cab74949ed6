/**
 * What a synthesized stack costs while it sits idle at its configured sizes: every resource that bills
 * by the hour or by the month, priced from the dated table in prices-us-east-1.json.
 *
 * It reads CloudFormation, not CDK: what the template asks for is what AWS bills. Usage (requests,
 * GB processed, load balancer capacity units, logs) depends on traffic, not on the template, and is
 * left out. "Idle" means every service at its auto scaling minimum.
 */
import * as fs from 'node:fs';

/** AWS's pricing pages count a month as 730 hours. */
export const HOURS_PER_MONTH = 730;

export type PriceName =
  | 'natGatewayHour'
  | 'publicIpv4Hour'
  | 'albHour'
  | 'nlbHour'
  | 'eksClusterHour'
  | 'eksClusterExtendedSupportHour'
  | 'fargateX86VcpuHour'
  | 'fargateX86GbHour'
  | 'fargateArmVcpuHour'
  | 'fargateArmGbHour'
  | 'appRunnerVcpuHour'
  | 'appRunnerGbHour'
  | 'interfaceEndpointAzHour'
  | 'efsStandardGbMonth'
  | 'ebsGp3GbMonth'
  | 'kmsKeyMonth'
  | 'secretMonth'
  | 'wafWebAclMonth'
  | 'wafRuleMonth'
  | 'backupEfsWarmGbMonth'
  | 'cloudWatchMetricMonth'
  | 'cloudWatchDashboardMonth'
  | 'cloudWatchAlarmMetricMonth';

/** One list price: `usd` per `per`, as the `source` page states it. */
export interface Price {
  readonly usd: number;
  readonly per: string;
  readonly source: string;
}

/** A number the estimate has to assume (a Spot discount, how much a file system stores). */
export interface Assumption {
  readonly value: number;
  readonly per: string;
  readonly source: string;
}

export interface PriceTable {
  readonly region: string;
  readonly currency: string;
  /** When the prices were read off their sources. */
  readonly date: string;
  readonly prices: Readonly<Record<PriceName, Price>>;
  readonly ec2OnDemandHour: {
    readonly per: string;
    readonly source: string;
    readonly types: Readonly<Record<string, number>>;
  };
  readonly assumptions: Readonly<
    Record<
      'ec2SpotDiscount' | 'fargateSpotDiscount' | 'efsStoredGb' | 'detailedMonitoringMetrics',
      Assumption
    >
  >;
}

export function loadPriceTable(file: string): PriceTable {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as PriceTable;
}

export interface Resource {
  readonly Type: string;
  readonly Properties?: object;
}

export interface Template {
  readonly Resources: Readonly<Record<string, Resource>>;
}

/** One priced thing. `hourly` undefined: it costs only while used, or is billed outside what we can see. */
export interface LineItem {
  /** The template's logical ID. */
  readonly resource: string;
  readonly item: string;
  readonly hourly?: number;
  readonly note?: string;
}

export interface StackEstimate {
  readonly stack: string;
  readonly items: readonly LineItem[];
  readonly hourly: number;
}

export function estimateStack(stack: string, template: Template, prices: PriceTable): StackEstimate {
  const context = new Context(template, prices);
  const items = Object.entries(template.Resources).flatMap(([id, resource]) => {
    const price = PRICERS[resource.Type];
    if (!price) return [];
    try {
      return price(id, resource.Properties ?? {}, context);
    } catch (error) {
      throw new Error(`${stack} ${id} (${resource.Type}): ${(error as Error).message}`);
    }
  });
  return { stack, items, hourly: sumHourly(items) };
}

export function sumHourly(items: readonly { readonly hourly?: number }[]): number {
  return items.reduce((total, { hourly }) => total + (hourly ?? 0), 0);
}

/** Prices one resource type; `properties` are the resource's, shaped as that type's interface below says. */
type Pricer = (id: string, properties: object, context: Context) => LineItem[];

/** What a template may point at: `{ Ref }`, `{ Fn::GetAtt }`, or a cross-stack import we cannot follow. */
type Reference = unknown;

/** The template and the prices, with the look-ups every pricer needs. */
class Context {
  constructor(
    private readonly template: Template,
    private readonly prices: PriceTable,
  ) {}

  price(name: PriceName): number {
    return this.prices.prices[name].usd;
  }

  assumed(name: keyof PriceTable['assumptions']): number {
    return this.prices.assumptions[name].value;
  }

  onDemand(instanceType: string): number {
    const hourly = this.prices.ec2OnDemandHour.types[instanceType];
    if (hourly === undefined) {
      throw new Error(
        `no On-Demand price for instance type "${instanceType}" in the price table: add it from ${this.prices.ec2OnDemandHour.source}`,
      );
    }
    return hourly;
  }

  spot(onDemandHourly: number): number {
    return onDemandHourly * (1 - this.assumed('ec2SpotDiscount'));
  }

  /** Properties of the resource `reference` points at in this template, which must be of `type`. */
  resource<T>(reference: Reference, type: string): T {
    const id = logicalId(reference);
    const found = id === undefined ? undefined : this.template.Resources[id];
    if (found?.Type !== type) {
      throw new Error(
        `expected a reference to a ${type} of the same stack, got ${JSON.stringify(reference)}`,
      );
    }
    return (found.Properties ?? {}) as T;
  }

  /** Every resource of `type` whose properties mention the resource `id`. */
  referrers<T>(type: string, id: string): T[] {
    return Object.values(this.template.Resources)
      .filter((resource) => resource.Type === type && mentions(resource.Properties, id))
      .map((resource) => (resource.Properties ?? {}) as T);
  }
}

const PRICERS: Readonly<Record<string, Pricer>> = {
  'AWS::EC2::NatGateway': natGateway,
  'AWS::EC2::EIP': elasticIp,
  'AWS::EC2::Instance': instance,
  'AWS::AutoScaling::AutoScalingGroup': autoScalingGroup,
  'AWS::ElasticLoadBalancingV2::LoadBalancer': loadBalancer,
  'AWS::EC2::VPCEndpoint': vpcEndpoint,
  'AWS::EKS::Cluster': eksCluster,
  'AWS::EKS::Nodegroup': eksNodegroup,
  'AWS::EKS::FargateProfile': eksFargateProfile,
  'Custom::AWSCDK-EKS-KubernetesResource': kubernetesManifest,
  'AWS::ECS::Service': ecsService,
  'AWS::ECS::TaskDefinition': taskRunOnDemand,
  'AWS::ECS::ExpressGatewayService': expressService,
  'AWS::AppRunner::Service': appRunnerService,
  'AWS::EFS::FileSystem': efsFileSystem,
  'AWS::KMS::Key': kmsKey,
  'AWS::SecretsManager::Secret': secret,
  'AWS::WAFv2::WebACL': webAcl,
  'AWS::Backup::BackupPlan': backupPlan,
  'AWS::CloudWatch::Dashboard': dashboard,
  'AWS::CloudWatch::Alarm': alarm,
};

// ---- Networking ----

function natGateway(id: string, _properties: object, c: Context): LineItem[] {
  return [
    { resource: id, item: 'NAT gateway', hourly: c.price('natGatewayHour'), note: 'plus per GB processed' },
  ];
}

/** An Elastic IP bills as a public IPv4 address, attached (e.g. to a NAT gateway) or not. */
function elasticIp(id: string, _properties: object, c: Context): LineItem[] {
  return [{ resource: id, item: 'Elastic IP (public IPv4 address)', hourly: c.price('publicIpv4Hour') }];
}

interface LoadBalancerProperties {
  readonly Type?: string;
  readonly Scheme?: string;
  readonly Subnets?: readonly Reference[];
  readonly SubnetMappings?: readonly object[];
}

function loadBalancer(id: string, properties: object, c: Context): LineItem[] {
  const {
    Type = 'application',
    Scheme = 'internet-facing',
    Subnets,
    SubnetMappings,
  } = properties as LoadBalancerProperties;
  const kinds: Record<string, [string, PriceName, string]> = {
    application: ['Application Load Balancer', 'albHour', 'plus LCUs: usage'],
    network: ['Network Load Balancer', 'nlbHour', 'plus NLCUs: usage'],
  };
  const kind = kinds[Type];
  if (!kind) throw new Error(`no price for load balancer type "${Type}"`);
  const [name, price, note] = kind;
  const zones = (Subnets ?? SubnetMappings ?? []).length;
  return [
    { resource: id, item: name, hourly: c.price(price), note },
    ...(Scheme === 'internet-facing' ? [publicAddressesPerZone(id, zones, c)] : []),
  ];
}

/** An internet-facing load balancer holds one public IPv4 address in each of its AZs. */
function publicAddressesPerZone(id: string, zones: number, c: Context): LineItem {
  return {
    resource: id,
    item: `${zones} public IPv4 addresses, one per AZ`,
    hourly: zones * c.price('publicIpv4Hour'),
  };
}

/** An internet-facing ALB that a service or controller creates at deploy time, outside the template. */
function loadBalancerOutsideTemplate(
  id: string,
  item: string,
  madeBy: string,
  zones: number,
  c: Context,
): LineItem[] {
  return [
    {
      resource: id,
      item,
      hourly: c.price('albHour'),
      note: `made by ${madeBy}, outside the template; plus LCUs: usage`,
    },
    publicAddressesPerZone(id, zones, c),
  ];
}

interface VpcEndpointProperties {
  readonly VpcEndpointType?: string;
  readonly ServiceName: Reference;
  readonly SubnetIds?: readonly Reference[];
}

function vpcEndpoint(id: string, properties: object, c: Context): LineItem[] {
  const { VpcEndpointType = 'Gateway', ServiceName, SubnetIds = [] } = properties as VpcEndpointProperties;
  const service = flatten(ServiceName).replace(/^com\.amazonaws\.[^.]*\./, '');
  if (VpcEndpointType === 'Gateway') {
    return [{ resource: id, item: `gateway endpoint ${service}: free`, hourly: 0 }];
  }
  if (VpcEndpointType !== 'Interface') throw new Error(`no price for VPC endpoint type "${VpcEndpointType}"`);
  const zones = SubnetIds.length;
  return [
    {
      resource: id,
      item: `interface endpoint ${service} in ${zones} AZ${zones === 1 ? '' : 's'}`,
      hourly: zones * c.price('interfaceEndpointAzHour'),
      note: 'plus per GB processed',
    },
  ];
}

// ---- EC2 instances: single, in Auto Scaling groups, in EKS node groups ----

interface BlockDeviceMapping {
  readonly Ebs?: { readonly VolumeSize?: number; readonly VolumeType?: string };
}

interface InstanceSettings {
  readonly InstanceType?: string;
  /** Detailed monitoring: 1-minute metrics, billed as CloudWatch metrics. */
  readonly Monitoring?: { readonly Enabled?: boolean };
  readonly CreditSpecification?: { readonly CPUCredits?: string };
  readonly NetworkInterfaces?: readonly { readonly AssociatePublicIpAddress?: boolean }[];
  readonly BlockDeviceMappings?: readonly BlockDeviceMapping[];
}

interface InstanceProperties extends InstanceSettings {
  readonly SourceDestCheck?: boolean;
}

function instance(id: string, properties: object, c: Context): LineItem[] {
  const settings = properties as InstanceProperties;
  const instanceType = required(settings.InstanceType, 'InstanceType');
  // NAT instances forward other hosts' packets: EC2's source/destination check is off for them
  const role = settings.SourceDestCheck === false ? ', NAT instance' : '';
  return [
    {
      resource: id,
      item: `1 × EC2 ${instanceType} On-Demand${role}`,
      hourly: c.onDemand(instanceType),
      note: burstNote(instanceType, settings),
    },
    ...perInstanceExtras(id, settings, 1, c),
  ];
}

/** T3 and later burstable instances start in unlimited mode: long busy spells bill surplus CPU credits. */
function burstNote(instanceType: string, settings: InstanceSettings): string | undefined {
  const unlimited = settings.CreditSpecification?.CPUCredits !== 'standard';
  return /^t[3-9]/.test(instanceType) && unlimited
    ? 'unlimited CPU credits: sustained load above baseline bills surplus credits'
    : undefined;
}

/** What each instance brings besides itself: public IPv4 addresses, EBS volumes, detailed monitoring. */
function perInstanceExtras(id: string, settings: InstanceSettings, count: number, c: Context): LineItem[] {
  const publicAddresses = (settings.NetworkInterfaces ?? []).filter((n) => n.AssociatePublicIpAddress).length;
  const metrics = c.assumed('detailedMonitoringMetrics');
  return [
    ...(publicAddresses > 0
      ? [
          {
            resource: id,
            item: `${count * publicAddresses} public IPv4 address${count * publicAddresses === 1 ? '' : 'es'}`,
            hourly: count * publicAddresses * c.price('publicIpv4Hour'),
          },
        ]
      : []),
    ...volumes(id, settings.BlockDeviceMappings ?? [], count, c),
    ...(settings.Monitoring?.Enabled
      ? [
          {
            resource: id,
            item: `${formatCount(count)} × EC2 detailed monitoring, ${metrics} metrics each`,
            hourly: (count * metrics * c.price('cloudWatchMetricMonth')) / HOURS_PER_MONTH,
          },
        ]
      : []),
  ];
}

function volumes(id: string, mappings: readonly BlockDeviceMapping[], count: number, c: Context): LineItem[] {
  return mappings.flatMap(({ Ebs }) => {
    if (!Ebs) return [];
    const size = required(Ebs.VolumeSize, 'Ebs.VolumeSize');
    const type = Ebs.VolumeType ?? 'gp2'; // EC2's default volume type
    if (type !== 'gp3') throw new Error(`no price for EBS volume type "${type}"`);
    return [
      {
        resource: id,
        item: `${count} × ${size} GiB ${type} volume`,
        hourly: (count * size * c.price('ebsGp3GbMonth')) / HOURS_PER_MONTH,
      },
    ];
  });
}

interface LaunchTemplateProperties {
  readonly LaunchTemplateData: InstanceSettings;
}

interface AutoScalingGroupProperties {
  readonly MinSize: string | number;
  readonly MaxSize: string | number;
  readonly DesiredCapacity?: string | number;
  readonly LaunchTemplate?: { readonly LaunchTemplateId: Reference };
  readonly MixedInstancesPolicy?: {
    readonly LaunchTemplate: {
      readonly LaunchTemplateSpecification: { readonly LaunchTemplateId: Reference };
      readonly Overrides?: readonly { readonly InstanceType?: string }[];
    };
    readonly InstancesDistribution?: {
      readonly OnDemandBaseCapacity?: number;
      readonly OnDemandPercentageAboveBaseCapacity?: number;
    };
  };
}

function autoScalingGroup(id: string, properties: object, c: Context): LineItem[] {
  const group = properties as AutoScalingGroupProperties;
  const mixed = group.MixedInstancesPolicy;
  const { LaunchTemplateData: settings } = c.resource<LaunchTemplateProperties>(
    mixed
      ? mixed.LaunchTemplate.LaunchTemplateSpecification.LaunchTemplateId
      : group.LaunchTemplate?.LaunchTemplateId,
    'AWS::EC2::LaunchTemplate',
  );
  const instanceType = required(
    mixed?.LaunchTemplate.Overrides?.[0]?.InstanceType ?? settings.InstanceType,
    'the launch template InstanceType',
  );
  const count = Number(group.DesiredCapacity ?? group.MinSize);
  const sizes = `MinSize ${group.MinSize}, MaxSize ${group.MaxSize}`;
  // a mixed instances policy runs a base of On-Demand instances, then a percentage of the rest
  const { OnDemandBaseCapacity = 0, OnDemandPercentageAboveBaseCapacity = 100 } =
    mixed?.InstancesDistribution ?? {};
  const base = Math.min(OnDemandBaseCapacity, count);
  const onDemand = base + ((count - base) * OnDemandPercentageAboveBaseCapacity) / 100;
  const spot = count - onDemand;
  const note = burstNote(instanceType, settings);
  return [
    ...(onDemand > 0 || spot === 0
      ? [
          {
            resource: id,
            item: `${formatCount(onDemand)} × EC2 ${instanceType} On-Demand (${sizes})`,
            hourly: onDemand * c.onDemand(instanceType),
            note,
          },
        ]
      : []),
    ...(spot > 0
      ? [
          {
            resource: id,
            item: `${formatCount(spot)} × EC2 ${instanceType} Spot (${sizes})`,
            hourly: spot * c.spot(c.onDemand(instanceType)),
            note,
          },
        ]
      : []),
    ...perInstanceExtras(id, settings, count, c),
  ];
}

interface NodegroupProperties {
  readonly CapacityType?: string;
  readonly InstanceTypes?: readonly string[];
  readonly DiskSize?: number;
  readonly ScalingConfig?: { readonly DesiredSize?: number; readonly MinSize?: number };
  readonly LaunchTemplate?: { readonly Id: Reference };
}

function eksNodegroup(id: string, properties: object, c: Context): LineItem[] {
  const group = properties as NodegroupProperties;
  const count = required(
    group.ScalingConfig?.DesiredSize ?? group.ScalingConfig?.MinSize,
    'ScalingConfig.DesiredSize',
  );
  const settings = group.LaunchTemplate
    ? c.resource<LaunchTemplateProperties>(group.LaunchTemplate.Id, 'AWS::EC2::LaunchTemplate')
        .LaunchTemplateData
    : // without a launch template each node gets a DiskSize GiB root volume (20 by default), priced as gp3
      { BlockDeviceMappings: [{ Ebs: { VolumeSize: group.DiskSize ?? 20, VolumeType: 'gp3' } }] };
  const types = group.InstanceTypes ?? [required(settings.InstanceType, 'InstanceTypes')];
  const spot = group.CapacityType === 'SPOT';
  const onDemand = c.onDemand(types[0]);
  return [
    {
      resource: id,
      item: `${count} × EC2 ${types[0]} ${spot ? 'Spot' : 'On-Demand'}, EKS managed node group`,
      hourly: count * (spot ? c.spot(onDemand) : onDemand),
      note: types.length > 1 ? `priced as ${types[0]}, the first of ${types.join(', ')}` : undefined,
    },
    ...perInstanceExtras(id, settings, count, c),
  ];
}

// ---- EKS ----

interface EksClusterProperties {
  readonly Version?: string;
  readonly ComputeConfig?: { readonly Enabled?: boolean };
  readonly ResourcesVpcConfig: { readonly SubnetIds: readonly Reference[] };
}

function eksCluster(id: string, properties: object, c: Context): LineItem[] {
  const cluster = properties as EksClusterProperties;
  return [
    {
      resource: id,
      item: `EKS control plane, Kubernetes ${cluster.Version ?? '(default version)'}, standard support`,
      hourly: c.price('eksClusterHour'),
      note: `$${c.price('eksClusterExtendedSupportHour').toFixed(2)}/h once the version is in extended support`,
    },
    ...(cluster.ComputeConfig?.Enabled
      ? [{ resource: id, item: 'Auto Mode nodes: instances EKS picks, plus its management fee' }]
      : []),
  ];
}

interface FargateProfileProperties {
  readonly Selectors: readonly { readonly Namespace: string }[];
}

function eksFargateProfile(id: string, properties: object): LineItem[] {
  const namespaces = (properties as FargateProfileProperties).Selectors.map((s) => s.Namespace).join(', ');
  return [{ resource: id, item: `pods of namespace ${namespaces} on Fargate: billed per pod size` }];
}

interface KubernetesResourceProperties {
  readonly Manifest: Reference;
  readonly ClusterName: Reference;
}

interface KubernetesObject {
  readonly kind?: string;
  readonly metadata?: { readonly name?: string; readonly annotations?: Readonly<Record<string, string>> };
}

/** An Ingress in a manifest: the AWS Load Balancer Controller makes an ALB for it. */
function kubernetesManifest(id: string, properties: object, c: Context): LineItem[] {
  const { Manifest, ClusterName } = properties as KubernetesResourceProperties;
  const objects = JSON.parse(flatten(Manifest)) as KubernetesObject[];
  const ingresses = objects.filter((o) => o.kind === 'Ingress');
  if (ingresses.length === 0) return [];
  // the controller puts the load balancer in one subnet of each AZ the cluster spans
  const zones = c.resource<EksClusterProperties>(ClusterName, 'AWS::EKS::Cluster').ResourcesVpcConfig
    .SubnetIds.length;
  return ingresses.flatMap((ingress) => {
    const scheme = ingress.metadata?.annotations?.['alb.ingress.kubernetes.io/scheme'] ?? 'internal';
    const [alb, addresses] = loadBalancerOutsideTemplate(
      id,
      `Application Load Balancer for Ingress ${ingress.metadata?.name}`,
      'the AWS Load Balancer Controller',
      zones,
      c,
    );
    return scheme === 'internet-facing' ? [alb, addresses] : [alb];
  });
}

// ---- ECS and Fargate ----

interface CapacityProviderStrategyItem {
  readonly CapacityProvider: Reference;
  readonly Base?: number;
  readonly Weight?: number;
}

interface TaskDefinitionProperties {
  readonly Cpu?: string;
  readonly Memory?: string;
  readonly RequiresCompatibilities?: readonly string[];
  readonly RuntimePlatform?: { readonly CpuArchitecture?: string };
}

interface EcsServiceProperties {
  readonly Cluster?: Reference;
  readonly TaskDefinition: Reference;
  readonly DesiredCount?: number;
  readonly LaunchType?: string;
  readonly CapacityProviderStrategy?: readonly CapacityProviderStrategyItem[];
}

interface ScalableTargetProperties {
  readonly MinCapacity: number;
  readonly MaxCapacity: number;
  readonly ScalableDimension: string;
  readonly ScheduledActions?: readonly object[];
}

interface ClusterCapacityProviderAssociationsProperties {
  readonly DefaultCapacityProviderStrategy?: readonly CapacityProviderStrategyItem[];
}

function ecsService(id: string, properties: object, c: Context): LineItem[] {
  const service = properties as EcsServiceProperties;
  // at rest, Application Auto Scaling holds the service at its minimum
  const [scaling] = c
    .referrers<ScalableTargetProperties>('AWS::ApplicationAutoScaling::ScalableTarget', id)
    .filter((target) => target.ScalableDimension === 'ecs:service:DesiredCount');
  const tasks = scaling ? scaling.MinCapacity : (service.DesiredCount ?? 1);
  const strategy =
    service.CapacityProviderStrategy ??
    (service.LaunchType
      ? [{ CapacityProvider: service.LaunchType, Weight: 1 }]
      : (clusterDefaultStrategy(service.Cluster, c) ?? [{ CapacityProvider: 'EC2', Weight: 1 }]));
  const note = scaling
    ? `auto scaling ${scaling.MinCapacity}–${scaling.MaxCapacity} tasks${scaling.ScheduledActions ? ', scheduled actions raise the minimum at times' : ''}`
    : undefined;
  const taskDefinition = c.resource<TaskDefinitionProperties>(
    service.TaskDefinition,
    'AWS::ECS::TaskDefinition',
  );
  return placeTasks(tasks, strategy).map(([provider, count]) =>
    provider === 'FARGATE' || provider === 'FARGATE_SPOT'
      ? fargateItem(id, count, provider === 'FARGATE_SPOT', taskDefinition, c, note)
      : {
          resource: id,
          item: `${formatCount(count)} × ECS task on EC2 capacity: priced with the instances`,
          note,
        },
  );
}

/** The cluster's default capacity provider strategy, when the cluster is in this stack and has one. */
function clusterDefaultStrategy(
  cluster: Reference,
  c: Context,
): readonly CapacityProviderStrategyItem[] | undefined {
  const id = logicalId(cluster);
  if (id === undefined) return undefined;
  const [associations] = c.referrers<ClusterCapacityProviderAssociationsProperties>(
    'AWS::ECS::ClusterCapacityProviderAssociations',
    id,
  );
  const strategy = associations?.DefaultCapacityProviderStrategy;
  return strategy && strategy.length > 0 ? strategy : undefined;
}

/**
 * How ECS spreads `count` tasks over a capacity provider strategy: each provider's Base first, the rest
 * in proportion to Weight. Returns [provider, tasks] pairs (EC2 capacity providers as "EC2").
 */
export function placeTasks(
  count: number,
  strategy: readonly CapacityProviderStrategyItem[],
): [provider: string, tasks: number][] {
  const name = (item: CapacityProviderStrategyItem) =>
    typeof item.CapacityProvider === 'string' ? item.CapacityProvider : 'EC2';
  const placed = new Map(strategy.map((item) => [name(item), 0]));
  let rest = count;
  for (const item of strategy) {
    const base = Math.min(item.Base ?? 0, rest);
    placed.set(name(item), base);
    rest -= base;
  }
  const totalWeight = strategy.reduce((total, item) => total + (item.Weight ?? 0), 0);
  for (const item of strategy) {
    const share = totalWeight > 0 ? (rest * (item.Weight ?? 0)) / totalWeight : 0;
    placed.set(name(item), (placed.get(name(item)) ?? 0) + share);
  }
  const used = [...placed].filter(([, tasks]) => tasks > 0);
  // a service scaled to zero: say where its first task would go
  return used.length > 0 ? used : [[name(strategy.find((item) => (item.Weight ?? 0) > 0) ?? strategy[0]), 0]];
}

function fargateItem(
  id: string,
  count: number,
  spot: boolean,
  task: TaskDefinitionProperties,
  c: Context,
  note?: string,
): LineItem {
  const { size, hourly } = fargateTask(task, c);
  return {
    resource: id,
    item: `${formatCount(count)} × Fargate${spot ? ' Spot' : ''} task, ${size}`,
    hourly: count * hourly * (spot ? 1 - c.assumed('fargateSpotDiscount') : 1),
    note,
  };
}

/** One Fargate task's size and On-Demand price per hour: vCPU and memory, by CPU architecture. */
function fargateTask(task: TaskDefinitionProperties, c: Context): { size: string; hourly: number } {
  const vcpu = Number(required(task.Cpu, 'Cpu')) / 1024;
  const gb = Number(required(task.Memory, 'Memory')) / 1024;
  const arm = task.RuntimePlatform?.CpuArchitecture === 'ARM64';
  const hourly = arm
    ? vcpu * c.price('fargateArmVcpuHour') + gb * c.price('fargateArmGbHour')
    : vcpu * c.price('fargateX86VcpuHour') + gb * c.price('fargateX86GbHour');
  return { size: `${vcpu} vCPU / ${gb} GB, Linux/${arm ? 'ARM' : 'x86'}`, hourly };
}

/** A Fargate task definition no service runs: a rule, a schedule or RunTask starts it, and it bills while it runs. */
function taskRunOnDemand(id: string, properties: object, c: Context): LineItem[] {
  const task = properties as TaskDefinitionProperties;
  if (!task.RequiresCompatibilities?.includes('FARGATE')) return [];
  if (c.referrers('AWS::ECS::Service', id).length > 0) return [];
  const { size, hourly } = fargateTask(task, c);
  return [
    {
      resource: id,
      item: `Fargate task run on demand, ${size}`,
      note: `$${hourly.toFixed(4)}/h while it runs`,
    },
  ];
}

interface ExpressGatewayServiceProperties {
  readonly Cluster?: Reference;
  readonly Cpu?: string;
  readonly Memory?: string;
  readonly ScalingTarget?: { readonly MinTaskCount?: number; readonly MaxTaskCount?: number };
  readonly NetworkConfiguration?: { readonly Subnets?: readonly Reference[] };
}

/**
 * ECS Express Mode: Fargate tasks on the cluster's default strategy (x86: Express registers X86_64
 * task definitions), behind an internet-facing ALB in the service's subnets that Express creates itself.
 */
function expressService(id: string, properties: object, c: Context): LineItem[] {
  const service = properties as ExpressGatewayServiceProperties;
  const tasks = required(service.ScalingTarget?.MinTaskCount, 'ScalingTarget.MinTaskCount');
  // Express Mode's documented defaults: 1 vCPU, 2 GB
  const task = { Cpu: service.Cpu ?? '1024', Memory: service.Memory ?? '2048' };
  const strategy = clusterDefaultStrategy(service.Cluster, c) ?? [{ CapacityProvider: 'FARGATE', Weight: 1 }];
  const zones = required(service.NetworkConfiguration?.Subnets, 'NetworkConfiguration.Subnets').length;
  return [
    ...placeTasks(tasks, strategy).map(([provider, count]) =>
      fargateItem(
        id,
        count,
        provider === 'FARGATE_SPOT',
        task,
        c,
        `auto scaling ${tasks}–${service.ScalingTarget?.MaxTaskCount} tasks`,
      ),
    ),
    ...loadBalancerOutsideTemplate(
      id,
      'Application Load Balancer of the service',
      'Express Mode (shared by Express services on the same subnets)',
      zones,
      c,
    ),
  ];
}

// ---- App Runner ----

interface AppRunnerServiceProperties {
  readonly InstanceConfiguration?: { readonly Cpu?: string; readonly Memory?: string };
  readonly AutoScalingConfigurationArn?: Reference;
}

/**
 * App Runner bills provisioned instances for their memory only, kept warm while idle; an instance
 * serving requests becomes active and adds its vCPU.
 */
function appRunnerService(id: string, properties: object, c: Context): LineItem[] {
  const service = properties as AppRunnerServiceProperties;
  const vcpu = appRunnerSize(
    required(service.InstanceConfiguration?.Cpu, 'InstanceConfiguration.Cpu'),
    'vCPU',
  );
  const gb = appRunnerSize(
    required(service.InstanceConfiguration?.Memory, 'InstanceConfiguration.Memory'),
    'GB',
  );
  // without a configuration of its own a service gets App Runner's default: one provisioned instance
  const provisioned = service.AutoScalingConfigurationArn
    ? (c.resource<{ MinSize?: number }>(
        service.AutoScalingConfigurationArn,
        'AWS::AppRunner::AutoScalingConfiguration',
      ).MinSize ?? 1)
    : 1;
  return [
    {
      resource: id,
      item: `${provisioned} × provisioned App Runner instance, ${gb} GB memory`,
      hourly: provisioned * gb * c.price('appRunnerGbHour'),
    },
    {
      resource: id,
      item: `while serving requests: + ${vcpu} vCPU per active instance`,
      note: `$${(vcpu * c.price('appRunnerVcpuHour')).toFixed(4)}/h per active instance`,
    },
  ];
}

/** App Runner sizes read "1024" (CPU units or MB) or "1 vCPU" / "2 GB". */
function appRunnerSize(text: string, unit: 'vCPU' | 'GB'): number {
  const match = /^([\d.]+)\s*(\w*)$/.exec(text.trim());
  if (!match || (match[2] !== '' && match[2].toLowerCase() !== unit.toLowerCase())) {
    throw new Error(`cannot read "${text}" as App Runner ${unit}`);
  }
  return match[2] ? Number(match[1]) : Number(match[1]) / 1024;
}

// ---- Storage, keys and secrets: billed by the month ----

function efsFileSystem(id: string, _properties: object, c: Context): LineItem[] {
  const gb = c.assumed('efsStoredGb');
  return [
    {
      resource: id,
      item: `EFS Standard, ${gb} GB stored (assumed)`,
      hourly: (gb * c.price('efsStandardGbMonth')) / HOURS_PER_MONTH,
      note: 'plus per GB read and written',
    },
  ];
}

function kmsKey(id: string, _properties: object, c: Context): LineItem[] {
  return [
    { resource: id, item: 'KMS customer managed key', hourly: c.price('kmsKeyMonth') / HOURS_PER_MONTH },
  ];
}

function secret(id: string, _properties: object, c: Context): LineItem[] {
  return [{ resource: id, item: 'Secrets Manager secret', hourly: c.price('secretMonth') / HOURS_PER_MONTH }];
}

// ---- Security: WAF and backups ----

interface WebAclProperties {
  readonly Rules?: readonly object[];
}

/** A web ACL bills by the month, plus one rule-month for each rule or rule group in it. */
function webAcl(id: string, properties: object, c: Context): LineItem[] {
  const rules = (properties as WebAclProperties).Rules?.length ?? 0;
  return [
    {
      resource: id,
      item: 'WAF web ACL',
      hourly: c.price('wafWebAclMonth') / HOURS_PER_MONTH,
      note: 'plus per million requests inspected',
    },
    {
      resource: id,
      item: `${rules} WAF rule${rules === 1 ? '' : 's'} or rule groups`,
      hourly: (rules * c.price('wafRuleMonth')) / HOURS_PER_MONTH,
    },
  ];
}

// ---- CloudWatch dashboards and alarms: billed by the month ----

function dashboard(id: string, _properties: object, c: Context): LineItem[] {
  return [
    {
      resource: id,
      item: 'CloudWatch dashboard',
      hourly: c.price('cloudWatchDashboardMonth') / HOURS_PER_MONTH,
      note: 'free while the account has 3 dashboards or fewer',
    },
  ];
}

/**
 * A backup plan's recovery points of the EFS file systems it covers, in warm storage: each
 * incremental backup adds only what changed, so about one copy of what the file system stores.
 */
function backupPlan(id: string, _properties: object, c: Context): LineItem[] {
  const gb = c.assumed('efsStoredGb');
  return [
    {
      resource: id,
      item: `AWS Backup warm storage, ${gb} GB of EFS backups (assumed)`,
      hourly: (gb * c.price('backupEfsWarmGbMonth')) / HOURS_PER_MONTH,
      note: 'plus per GB restored',
    },
  ];
}

interface AlarmProperties {
  /** A metric math alarm: its expressions and the metrics (`MetricStat`) they read. */
  readonly Metrics?: readonly { readonly MetricStat?: object }[];
}

/** An alarm bills per metric it reads: one for a plain alarm, each `MetricStat` of a metric math one. */
function alarm(id: string, properties: object, c: Context): LineItem[] {
  const math = (properties as AlarmProperties).Metrics;
  const metrics = math ? math.filter((m) => m.MetricStat).length : 1;
  return [
    {
      resource: id,
      item: `CloudWatch alarm, ${metrics} metric${metrics === 1 ? '' : 's'}`,
      hourly: (metrics * c.price('cloudWatchAlarmMetricMonth')) / HOURS_PER_MONTH,
    },
  ];
}

// ---- Reading templates ----

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`cannot price it without ${what}`);
  return value;
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null;
}

/** The logical ID a `Ref` or `Fn::GetAtt` points at. */
function logicalId(reference: Reference): string | undefined {
  if (!isObject(reference)) return undefined;
  if (typeof reference.Ref === 'string') return reference.Ref;
  const getAtt = reference['Fn::GetAtt'];
  return Array.isArray(getAtt) && typeof getAtt[0] === 'string' ? getAtt[0] : undefined;
}

/** Whether `value` points at resource `id` anywhere inside it, e.g. in a ResourceId built with Fn::Join. */
function mentions(value: unknown, id: string): boolean {
  if (logicalId(value) === id) return true;
  return isObject(value) && Object.values(value).some((inner) => mentions(inner, id));
}

/**
 * A string property as text: an `Fn::Join` is joined with "0" standing in for each token (account,
 * region, attributes), which keeps JSON inside the string valid whether the token sat in a string or a number.
 */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = isObject(value) ? value['Fn::Join'] : undefined;
  if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
    return join[1].map((part) => (typeof part === 'string' ? part : flatten(part))).join(join[0]);
  }
  return '0';
}

function formatCount(count: number): string {
  return Number.isInteger(count) ? String(count) : count.toFixed(2);
}
