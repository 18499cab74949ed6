/**
 * CDK context -> one typed, validated configuration.
 *
 * Every key is read here and nowhere else. Values come from `cdk.json` (JSON types) or from
 * `cdk synth -c key=value` (always strings), so each parser accepts both. All problems are
 * collected and reported together before any stack is built.
 */

export const STAGES = ['sandbox', 'production'] as const;
export type Stage = (typeof STAGES)[number];

export const PLATFORMS = ['ecs', 'ecsPatterns', 'eks', 'apprunner', 'express'] as const;
export type Platform = (typeof PLATFORMS)[number];

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
  readonly alarmEmail?: string;
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
  (raw: unknown): T[] | Invalid => {
    const items = Array.isArray(raw)
      ? raw
      : typeof raw === 'string'
        ? raw
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '' && s !== 'none')
        : undefined;
    const invalid = new Invalid(
      `allowed: a comma-separated list of ${allowed.join(', ')} (or "none"), without repeats`,
    );
    if (!items || items.some((item) => !(allowed as readonly unknown[]).includes(item))) return invalid;
    return new Set(items).size === items.length ? (items as T[]) : invalid;
  };

const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;
const INSTANCE_TYPE_TEXT = 'an EC2 instance type such as t3.small or t4g.small';

/** Graviton families carry a `g` after the generation number: t4g, m7g, c7gn, r8gd. */
export function isArmInstanceType(instanceType: string): boolean {
  return /^[a-z]+\d+[a-z]*g[a-z]*(-flex)?\./.test(instanceType);
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
  const platforms = new Set(r.read('platforms', [...PLATFORMS], listOf(PLATFORMS)));

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
    alarmEmail: r.optional('alarmEmail', matching(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'an e-mail address')),
  };

  if (platforms.has('apprunner') && cpuArchitecture !== 'x86_64') {
    r.fail('platforms', 'App Runner runs x86_64 images only: drop "apprunner" or use cpuArchitecture=x86_64');
  }

  r.failUnknownKeys();
  if (r.problems.length > 0) throw new ConfigError(r.problems);

  return { stage, prefix, env, cpuArchitecture, platforms, network, registry, ecs };
}
