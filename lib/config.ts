/**
 * CDK context -> one typed, validated configuration.
 *
 * Every key is read here and nowhere else. Values come from `cdk.json` (JSON types) or from
 * `cdk synth -c key=value` (always strings), so each parser accepts both. All problems are
 * collected and reported together before any stack is built.
 */

import {
  EC2_NODE_TYPES,
  EKS_NODE_TYPES,
  type EksNodeType,
  SELF_MANAGED_CAPACITIES,
  type SelfManagedCapacity,
} from './eks/node-types';
import { DEFAULT_KUBERNETES_VERSION, KUBERNETES_VERSIONS, type KubernetesVersionName } from './eks/versions';

export const STAGES = ['sandbox', 'production'] as const;
export type Stage = (typeof STAGES)[number];

export const PLATFORMS = ['ecs', 'ecsPatterns', 'eks', 'apprunner', 'express'] as const;
export type Platform = (typeof PLATFORMS)[number];
/**
 * What `platforms` builds when it is not set: every platform but App Runner, which is closed to new
 * customers (since 30 April 2026), so in a new account its stack would roll back and stop
 * `cdk deploy --all` before ECS Express Mode, its successor. Existing customers list it in `platforms`.
 */
export const DEFAULT_PLATFORMS: readonly Platform[] = PLATFORMS.filter((p) => p !== 'apprunner');

export const CPU_ARCHITECTURES = ['x86_64', 'arm64'] as const;
export type CpuArchitecture = (typeof CPU_ARCHITECTURES)[number];

export const NAT_PROVIDERS = ['instance', 'gateway'] as const;
export type NatProviderKind = (typeof NAT_PROVIDERS)[number];

export interface NetworkConfig {
  /** Availability zones the VPC spans: ALB and EKS both need two. */
  readonly azCount: number;
  /** `instance`: one NAT instance (a few dollars a month); `gateway`: one NAT gateway per AZ. */
  readonly natProvider: NatProviderKind;
}

export interface RegistryConfig {
  /** Lifecycle rule: how many tagged images to keep. */
  readonly keepTaggedImages: number;
}

export interface EcsConfig {
  readonly instanceType: string;
  readonly spot: boolean;
  readonly asgMinCapacity: number;
  readonly asgMaxCapacity: number;
  /** Capacity provider managed scaling: how full the cluster's instances may get, in percent. */
  readonly capacityTargetPercent: number;
  readonly taskCpu: number;
  readonly taskMemoryMiB: number;
  readonly taskMinCount: number;
  readonly taskMaxCount: number;
  readonly certificateArn?: string;
  readonly domainName?: string;
  readonly nlb: boolean;
}

/** The ECS solution architectures (lib/ecs-patterns-stack.ts), on the ECS stack's cluster. */
export interface EcsPatternsConfig {
  /** When the guestbook prune task runs: an EventBridge Scheduler cron() or rate() expression. */
  readonly pruneSchedule: string;
  /** The IANA time zone `pruneSchedule` is read in, e.g. Europe/Berlin. */
  readonly pruneTimeZone: string;
  /** The prune task deletes guestbook entries older than this. */
  readonly guestbookMaxAgeDays: number;
  /** The S3-triggered task refuses objects larger than this. */
  readonly maxObjectMiB: number;
  /** The queue worker scales from zero up to this many tasks. */
  readonly workerMaxTasks: number;
  /** Subscribed to the alerts topic (stopped tasks, dead letters); confirm the e-mail AWS sends. */
  readonly alarmEmail?: string;
}

export interface EksConfig {
  /** A row of lib/eks/versions.ts: the cluster's version and its kubectl layer go together. */
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

export interface AppRunnerConfig {
  /** CPU units per instance (1024 = 1 vCPU). */
  readonly cpu: number;
  readonly memoryMiB: number;
  /** Provisioned instances, kept warm: billed for their memory while idle. */
  readonly minInstances: number;
  readonly maxInstances: number;
  /** Requests one instance serves at once before App Runner starts another. */
  readonly maxConcurrency: number;
}

/** App Runner's CPU units -> memory (MiB) pairs. */
export const APP_RUNNER_SIZES: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024],
  512: [1024],
  1024: [2048, 3072, 4096],
  2048: [4096, 6144],
  4096: [8192, 10240, 12288],
};

/** What an ECS Express Mode service scales on: task CPU or memory (percent), or ALB requests per task. */
export const EXPRESS_SCALING_METRICS = ['AVERAGE_CPU', 'AVERAGE_MEMORY', 'REQUEST_COUNT_PER_TARGET'] as const;
export type ExpressScalingMetric = (typeof EXPRESS_SCALING_METRICS)[number];

export interface ExpressConfig {
  /** Fargate task size: CPU units and memory. */
  readonly taskCpu: number;
  readonly taskMemoryMiB: number;
  readonly taskMinCount: number;
  readonly taskMaxCount: number;
  readonly scalingMetric: ExpressScalingMetric;
  /** Target tracking value: percent for CPU and memory, requests per task per minute for requests. */
  readonly scalingTarget: number;
}

export interface AppConfig {
  readonly stage: Stage;
  /** Start of every stack name and of the few physical names we set. */
  readonly prefix: string;
  /** Set only when both are given: stacks are environment-agnostic otherwise. */
  readonly env?: { readonly account: string; readonly region: string };
  readonly cpuArchitecture: CpuArchitecture;
  readonly platforms: ReadonlySet<Platform>;
  readonly network: NetworkConfig;
  readonly registry: RegistryConfig;
  readonly ecs: EcsConfig;
  readonly eks: EksConfig;
  readonly appRunner: AppRunnerConfig;
  readonly express: ExpressConfig;
  readonly ecsPatterns: EcsPatternsConfig;
}

/** Thrown for bad context: the message lists every problem, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p}`).join('\n') +
        '\nSet values in cdk.json "context" or with `cdk synth -c key=value`; see README "Configuration".',
    );
    this.name = 'ConfigError';
  }
}

type Context = Readonly<Record<string, unknown>>;

/**
 * Reads one key. A parser returns the value, or a string saying what is allowed.
 * `problems` collects `key: got "value"; allowed ...` lines.
 */
class Reader {
  readonly problems: string[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly context: Context) {}

  read<T>(key: string, fallback: T, parse: (raw: unknown) => T | Invalid): T {
    this.seen.add(key);
    const raw = this.context[key];
    if (raw === undefined || raw === null || raw === '') return fallback;
    const value = parse(raw);
    if (value instanceof Invalid) {
      this.problems.push(`${key}: got ${JSON.stringify(raw)}; ${value.allowed}`);
      return fallback;
    }
    return value;
  }

  optional<T>(key: string, parse: (raw: unknown) => T | Invalid): T | undefined {
    return this.read<T | undefined>(key, undefined, parse);
  }

  fail(key: string, message: string): void {
    this.problems.push(`${key}: ${message}`);
  }

  /** Keys the user set that no reader asked for: probably typos. Call after every read. */
  failUnknownKeys(): void {
    const known = [...this.seen];
    for (const key of Object.keys(this.context)) {
      if (!this.seen.has(key) && !isCdkOwnedKey(key)) this.fail(key, `unknown key${suggestion(key, known)}`);
    }
  }
}

class Invalid {
  constructor(readonly allowed: string) {}
}

/** Feature flags (`@aws-cdk/...`) and the CLI's own keys (`aws:cdk:...`, look-up caches) are not ours. */
function isCdkOwnedKey(key: string): boolean {
  return key.startsWith('@') || key.includes(':') || key.startsWith('cdk-');
}

const oneOf =
  <T extends string>(allowed: readonly T[]) =>
  (raw: unknown): T | Invalid =>
    typeof raw === 'string' && (allowed as readonly string[]).includes(raw)
      ? (raw as T)
      : new Invalid(`allowed: ${allowed.join(', ')}`);

const integer =
  (min: number, max: number) =>
  (raw: unknown): number | Invalid => {
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : NaN;
    return Number.isInteger(value) && value >= min && value <= max
      ? value
      : new Invalid(`allowed: a whole number from ${min} to ${max}`);
  };

const boolean = (raw: unknown): boolean | Invalid => {
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  return new Invalid('allowed: true or false');
};

const matching =
  (pattern: RegExp, description: string) =>
  (raw: unknown): string | Invalid =>
    typeof raw === 'string' && pattern.test(raw) ? raw : new Invalid(`allowed: ${description}`);

/** A list from cdk.json (a JSON array) or from `-c key=a,b` (a comma-separated string). */
const listOf =
  <T extends string>(allowed: readonly T[]) =>
  (raw: unknown): T[] | Invalid =>
    listWhere((item) => (allowed as readonly string[]).includes(item), allowed.join(', '))(raw) as
      T[] | Invalid;

/** Like listOf, for open-ended items: each must pass `isValid`, which `description` explains. */
const listWhere =
  (isValid: (item: string) => boolean, description: string) =>
  (raw: unknown): string[] | Invalid => {
    const items = Array.isArray(raw)
      ? raw
      : typeof raw === 'string'
        ? raw
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '' && s !== 'none')
        : undefined;
    const invalid = new Invalid(
      `allowed: a comma-separated list of ${description} (or "none"), without repeats`,
    );
    if (!items || items.some((item) => typeof item !== 'string' || !isValid(item))) return invalid;
    return new Set(items).size === items.length ? (items as string[]) : invalid;
  };

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

const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;
const INSTANCE_TYPE_TEXT = 'an EC2 instance type such as t3.small or t4g.small';

/** Graviton families carry a `g` after the generation number: t4g, m7g, c7gn, r8gd. */
export function isArmInstanceType(instanceType: string): boolean {
  return /^[a-z]+\d+[a-z]*g[a-z]*(-flex)?\./.test(instanceType);
}

/** EventBridge Scheduler's recurring expressions: six cron fields, or a rate whose unit is singular for 1. */
const SCHEDULE_EXPRESSION =
  /^(cron\((\S+ ){5}\S+\)|rate\((1 (minute|hour|day)|([2-9]|[1-9]\d+) (minutes|hours|days))\))$/;

/** An IANA zone name as EventBridge Scheduler takes it: `UTC` or `Area/Location`, known to the ICU database. */
function isTimeZone(name: string): boolean {
  if (!/^(UTC|[A-Z][A-Za-z_]*(\/[A-Za-z0-9_+-]+)+)$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Fargate's valid CPU units -> memory (MiB) pairs, up to 4 vCPU. */
export const FARGATE_SIZES: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
};

function range(from: number, to: number, step: number): number[] {
  return Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
}

/** Edit distance, to suggest the key a typo meant. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

function suggestion(key: string, known: readonly string[]): string {
  const best = known
    .map((candidate) => ({ candidate, d: distance(key.toLowerCase(), candidate.toLowerCase()) }))
    .sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(2, Math.floor(key.length / 4))
    ? `; did you mean "${best.candidate}"?`
    : '';
}

/** Builds the configuration, or throws one ConfigError listing every problem. */
export function loadConfig(context: Context): AppConfig {
  const r = new Reader(context);
  const stage = r.read('stage', 'sandbox', oneOf(STAGES));
  const production = stage === 'production';

  const prefix = r.read(
    'prefix',
    'coa',
    matching(
      /^[a-z][a-z0-9-]{1,14}[a-z0-9]$/,
      '3 to 16 lowercase letters, digits or hyphens, starting with a letter',
    ),
  );
  const account = r.optional('account', matching(/^\d{12}$/, 'a 12-digit AWS account ID'));
  const region = r.optional(
    'region',
    matching(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an AWS region such as eu-west-1'),
  );
  if ((account === undefined) !== (region === undefined)) {
    r.fail(account ? 'region' : 'account', 'account and region go together: set both, or neither');
  }
  const env = account && region ? { account, region } : undefined;

  const cpuArchitecture = r.read('cpuArchitecture', 'x86_64', oneOf(CPU_ARCHITECTURES));
  const platforms = new Set(r.read('platforms', [...DEFAULT_PLATFORMS], listOf(PLATFORMS)));

  const azCount = r.read('azCount', production && env ? 3 : 2, integer(2, 3));
  if (azCount > 2 && !env) {
    r.fail(
      'azCount',
      `got ${azCount}; an environment-agnostic stack sees only 2 availability zones: set account and region, or use azCount=2`,
    );
  }
  const network: NetworkConfig = {
    azCount,
    natProvider: r.read('natProvider', production ? 'gateway' : 'instance', oneOf(NAT_PROVIDERS)),
  };

  const registry: RegistryConfig = {
    keepTaggedImages: r.read('keepTaggedImages', production ? 30 : 5, integer(1, 1000)),
  };

  const defaultInstanceType = cpuArchitecture === 'arm64' ? 't4g.small' : 't3.small';
  const ecsInstanceType = r.read(
    'ecsInstanceType',
    defaultInstanceType,
    matching(INSTANCE_TYPE, INSTANCE_TYPE_TEXT),
  );
  if (isArmInstanceType(ecsInstanceType) !== (cpuArchitecture === 'arm64')) {
    r.fail(
      'ecsInstanceType',
      `got "${ecsInstanceType}", which does not run ${cpuArchitecture} images (cpuArchitecture=${cpuArchitecture}); use e.g. ${defaultInstanceType}`,
    );
  }
  const asgMinCapacity = r.read('ecsAsgMinCapacity', production ? 2 : 1, integer(0, 100));
  const asgMaxCapacity = r.read('ecsAsgMaxCapacity', production ? 6 : 2, integer(1, 100));
  if (asgMinCapacity > asgMaxCapacity) {
    r.fail('ecsAsgMinCapacity', `got ${asgMinCapacity}, more than ecsAsgMaxCapacity (${asgMaxCapacity})`);
  }
  const taskCpu = r.read('ecsTaskCpu', 256, integer(256, 4096));
  const taskMemoryMiB = r.read('ecsTaskMemoryMiB', 512, integer(512, 30720));
  const allowedMemory = FARGATE_SIZES[taskCpu];
  if (!allowedMemory) {
    r.fail('ecsTaskCpu', `got ${taskCpu}; allowed Fargate sizes: ${Object.keys(FARGATE_SIZES).join(', ')}`);
  } else if (!allowedMemory.includes(taskMemoryMiB)) {
    r.fail(
      'ecsTaskMemoryMiB',
      `got ${taskMemoryMiB}; with ecsTaskCpu=${taskCpu} Fargate allows ${allowedMemory[0]} to ${allowedMemory[allowedMemory.length - 1]} MiB in steps it lists as ${allowedMemory.join(', ')}`,
    );
  }
  const taskMinCount = r.read('ecsTaskMinCount', production ? 2 : 1, integer(1, 100));
  const taskMaxCount = r.read('ecsTaskMaxCount', production ? 10 : 3, integer(1, 100));
  if (taskMinCount > taskMaxCount) {
    r.fail('ecsTaskMinCount', `got ${taskMinCount}, more than ecsTaskMaxCount (${taskMaxCount})`);
  }
  const certificateArn = r.optional(
    'certificateArn',
    matching(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/, 'an ACM certificate ARN'),
  );
  const domainName = r.optional(
    'domainName',
    matching(
      /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
      'a DNS name such as app.example.com',
    ),
  );
  if ((certificateArn === undefined) !== (domainName === undefined)) {
    r.fail(
      certificateArn ? 'domainName' : 'certificateArn',
      'HTTPS needs both certificateArn and domainName',
    );
  }
  const ecs: EcsConfig = {
    instanceType: ecsInstanceType,
    spot: r.read('ecsSpot', false, boolean),
    asgMinCapacity,
    asgMaxCapacity,
    capacityTargetPercent: r.read('ecsCapacityTargetPercent', 100, integer(1, 100)),
    taskCpu,
    taskMemoryMiB,
    taskMinCount,
    taskMaxCount,
    certificateArn,
    domainName,
    nlb: r.read('ecsNlb', false, boolean),
  };
  if (production && platforms.has('ecs') && !env) {
    r.fail(
      'region',
      'stage=production with platform "ecs" needs account and region (the ALB\'s access-log bucket policy names the region\'s Elastic Load Balancing log writer): set both, or leave "ecs" out of platforms',
    );
  }

  const arm = cpuArchitecture === 'arm64';
  const eksNodeTypes = r.read<EksNodeType[]>(
    'eksNodeTypes',
    [production ? 'managed' : 'spot'],
    listOf(EKS_NODE_TYPES),
  );
  if (eksNodeTypes.length === 0) {
    r.fail('eksNodeTypes', 'got none; pods need somewhere to run: list at least one node type');
  } else if (eksNodeTypes.includes('autoMode') && eksNodeTypes.length > 1) {
    r.fail('eksNodeTypes', `got ${eksNodeTypes.join(',')}; autoMode brings its own compute: use it alone`);
  } else if (eksNodeTypes.includes('autoMode') && arm) {
    r.fail(
      'eksNodeTypes',
      "got autoMode with cpuArchitecture=arm64; Auto Mode's built-in node pools launch amd64 only",
    );
  } else if (eksNodeTypes.includes('fargate') && !eksNodeTypes.some((t) => EC2_NODE_TYPES.includes(t))) {
    r.fail(
      'eksNodeTypes',
      'got fargate without EC2 nodes; the Fargate profile takes the sample app only, and CoreDNS, the CSI controllers ' +
        'and the DaemonSets need EC2 nodes: add managed, spot or selfManaged',
    );
  }
  const eksInstanceType = r.read(
    'eksInstanceType',
    production ? (arm ? 'm7g.large' : 'm7i.large') : arm ? 't4g.medium' : 't3.medium',
    matching(INSTANCE_TYPE, INSTANCE_TYPE_TEXT),
  );
  const eksSpotInstanceTypes = r.read(
    'eksSpotInstanceTypes',
    // 2 vCPU and 4 GiB each, so a node from any of the pools fits the same pods
    arm ? ['t4g.medium', 'c6g.large', 'c7g.large'] : ['t3.medium', 't3a.medium', 'c5a.large'],
    listWhere((item) => INSTANCE_TYPE.test(item), 'EC2 instance types such as t3.medium'),
  );
  for (const [key, types] of [
    ['eksInstanceType', [eksInstanceType]],
    ['eksSpotInstanceTypes', eksSpotInstanceTypes],
  ] as const) {
    const wrong = types.filter((type) => isArmInstanceType(type) !== arm);
    if (wrong.length > 0) {
      r.fail(
        key,
        `got ${wrong.join(', ')}, which cannot run ${cpuArchitecture} images (cpuArchitecture=${cpuArchitecture})`,
      );
    }
  }
  const eksAppMinReplicas = r.read('eksAppMinReplicas', production ? 2 : 1, integer(1, 100));
  const eksAppMaxReplicas = r.read('eksAppMaxReplicas', production ? 10 : 3, integer(1, 100));
  if (eksAppMinReplicas > eksAppMaxReplicas) {
    r.fail(
      'eksAppMinReplicas',
      `got ${eksAppMinReplicas}, more than eksAppMaxReplicas (${eksAppMaxReplicas})`,
    );
  }
  const eksEndpointAllowList = r.read(
    'eksEndpointAllowList',
    // production: no public endpoint; CDK's kubectl function runs in the VPC and uses the private one
    production ? [] : ['0.0.0.0/0'],
    listWhere(isIpv4Cidr, 'IPv4 CIDR blocks such as 203.0.113.0/24'),
  );
  if (eksEndpointAllowList.length > 40) {
    r.fail('eksEndpointAllowList', `got ${eksEndpointAllowList.length} CIDR blocks; EKS takes at most 40`);
  }
  if (production && eksEndpointAllowList.includes('0.0.0.0/0')) {
    r.fail(
      'eksEndpointAllowList',
      'got 0.0.0.0/0 in production; list the networks that administer the cluster, or "none" for a private endpoint only',
    );
  }
  const eks: EksConfig = {
    kubernetesVersion: r.read(
      'eksKubernetesVersion',
      DEFAULT_KUBERNETES_VERSION,
      oneOf(Object.keys(KUBERNETES_VERSIONS) as KubernetesVersionName[]),
    ),
    nodeTypes: eksNodeTypes,
    instanceType: eksInstanceType,
    spotInstanceTypes: eksSpotInstanceTypes,
    // like the managed node types' default: Spot in the sandbox, on demand in production
    selfManagedCapacity: r.read(
      'eksSelfManagedCapacity',
      production ? 'onDemand' : 'spot',
      oneOf(SELF_MANAGED_CAPACITIES),
    ),
    nodeCount: r.read('eksNodeCount', production ? 2 : 1, integer(1, 50)),
    appMinReplicas: eksAppMinReplicas,
    appMaxReplicas: eksAppMaxReplicas,
    adminPrincipalArn: r.optional(
      'eksAdminPrincipalArn',
      matching(
        /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/,
        'an IAM role or user ARN such as arn:aws:iam::123456789012:role/Admin',
      ),
    ),
    endpointAllowList: eksEndpointAllowList,
  };

  // App Runner and Express Mode size an instance or task from a fixed table of CPU/memory pairs
  const checkSize = (
    sizes: Readonly<Record<number, readonly number[]>>,
    service: string,
    [cpuKey, cpu]: [string, number],
    [memoryKey, memoryMiB]: [string, number],
  ) => {
    const allowed = sizes[cpu];
    if (!allowed) r.fail(cpuKey, `got ${cpu}; ${service} allows ${Object.keys(sizes).join(', ')} CPU units`);
    else if (!allowed.includes(memoryMiB)) {
      r.fail(
        memoryKey,
        `got ${memoryMiB}; with ${cpuKey}=${cpu} ${service} allows ${allowed.join(', ')} MiB`,
      );
    }
  };

  const appRunnerCpu = r.read('appRunnerCpu', production ? 1024 : 256, integer(256, 4096));
  const appRunnerMemoryMiB = r.read('appRunnerMemoryMiB', production ? 2048 : 512, integer(512, 12288));
  checkSize(
    APP_RUNNER_SIZES,
    'App Runner',
    ['appRunnerCpu', appRunnerCpu],
    ['appRunnerMemoryMiB', appRunnerMemoryMiB],
  );
  const appRunnerMinInstances = r.read('appRunnerMinInstances', production ? 2 : 1, integer(1, 25));
  const appRunnerMaxInstances = r.read('appRunnerMaxInstances', production ? 10 : 2, integer(1, 25));
  if (appRunnerMinInstances >= appRunnerMaxInstances) {
    r.fail(
      'appRunnerMinInstances',
      `got ${appRunnerMinInstances}, not below appRunnerMaxInstances (${appRunnerMaxInstances}); the CDK auto scaling configuration needs max above min`,
    );
  }
  const appRunner: AppRunnerConfig = {
    cpu: appRunnerCpu,
    memoryMiB: appRunnerMemoryMiB,
    minInstances: appRunnerMinInstances,
    maxInstances: appRunnerMaxInstances,
    maxConcurrency: r.read('appRunnerMaxConcurrency', 100, integer(1, 200)),
  };

  const expressTaskCpu = r.read('expressTaskCpu', production ? 512 : 256, integer(256, 4096));
  const expressTaskMemoryMiB = r.read('expressTaskMemoryMiB', production ? 1024 : 512, integer(512, 30720));
  checkSize(
    FARGATE_SIZES,
    'Fargate',
    ['expressTaskCpu', expressTaskCpu],
    ['expressTaskMemoryMiB', expressTaskMemoryMiB],
  );
  const expressTaskMinCount = r.read('expressTaskMinCount', production ? 2 : 1, integer(1, 100));
  const expressTaskMaxCount = r.read('expressTaskMaxCount', production ? 10 : 2, integer(1, 100));
  if (expressTaskMinCount > expressTaskMaxCount) {
    r.fail(
      'expressTaskMinCount',
      `got ${expressTaskMinCount}, more than expressTaskMaxCount (${expressTaskMaxCount})`,
    );
  }
  const expressScalingMetric = r.read('expressScalingMetric', 'AVERAGE_CPU', oneOf(EXPRESS_SCALING_METRICS));
  const expressScalingTarget = r.read('expressScalingTarget', 60, integer(1, 1_000_000));
  if (expressScalingMetric !== 'REQUEST_COUNT_PER_TARGET' && expressScalingTarget > 100) {
    r.fail(
      'expressScalingTarget',
      `got ${expressScalingTarget}; ${expressScalingMetric} is a percentage: use 1 to 100`,
    );
  }
  const express: ExpressConfig = {
    taskCpu: expressTaskCpu,
    taskMemoryMiB: expressTaskMemoryMiB,
    taskMinCount: expressTaskMinCount,
    taskMaxCount: expressTaskMaxCount,
    scalingMetric: expressScalingMetric,
    scalingTarget: expressScalingTarget,
  };
  // Express Mode registers its task definitions for X86_64; its API has no architecture setting
  if (platforms.has('express') && cpuArchitecture !== 'x86_64') {
    r.fail(
      'platforms',
      'ECS Express Mode runs x86_64 images only: drop "express" or use cpuArchitecture=x86_64',
    );
  }

  const ecsPatterns: EcsPatternsConfig = {
    pruneSchedule: r.read(
      'ecsPatternsPruneSchedule',
      'cron(0 3 * * ? *)',
      matching(
        SCHEDULE_EXPRESSION,
        'cron(minutes hours day-of-month month day-of-week year) or rate(value unit), e.g. rate(12 hours)',
      ),
    ),
    pruneTimeZone: r.read('ecsPatternsPruneTimeZone', 'UTC', (raw) =>
      typeof raw === 'string' && isTimeZone(raw)
        ? raw
        : new Invalid('allowed: an IANA time zone such as UTC or Europe/Berlin'),
    ),
    guestbookMaxAgeDays: r.read('ecsPatternsGuestbookMaxAgeDays', production ? 365 : 7, integer(1, 36_500)),
    maxObjectMiB: r.read('ecsPatternsMaxObjectMiB', 10, integer(1, 1024)),
    workerMaxTasks: r.read('ecsPatternsWorkerMaxTasks', production ? 10 : 2, integer(1, 100)),
    alarmEmail: r.optional('alarmEmail', matching(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'an e-mail address')),
  };
  if (platforms.has('ecsPatterns') && !platforms.has('ecs')) {
    r.fail(
      'platforms',
      'got ecsPatterns without ecs; the ECS patterns run on the ECS stack\'s cluster and share its guestbook volume: add "ecs", or drop "ecsPatterns"',
    );
  }

  if (platforms.has('apprunner') && cpuArchitecture !== 'x86_64') {
    r.fail('platforms', 'App Runner runs x86_64 images only: drop "apprunner" or use cpuArchitecture=x86_64');
  }

  r.failUnknownKeys();
  if (r.problems.length > 0) throw new ConfigError(r.problems);

  return {
    stage,
    prefix,
    env,
    cpuArchitecture,
    platforms,
    network,
    registry,
    ecs,
    eks,
    appRunner,
    express,
    ecsPatterns,
  };
}
