/**
 * How configuration is read: a Reader takes one key at a time from CDK context with a value parser,
 * falls back to the default when the key is unset, and collects every problem instead of stopping at
 * the first. Values come from `cdk.json` (JSON types) or from `cdk synth -c key=value` (always
 * strings), so each parser accepts both.
 */

export type Context = Readonly<Record<string, unknown>>;

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

/** What a parser returns for a value it rejects: the `allowed ...` half of the problem. */
export class Invalid {
  constructor(readonly allowed: string) {}
}

export type Parser<T> = (raw: unknown) => T | Invalid;

/**
 * Reads one key. A parser returns the value, or an Invalid saying what is allowed.
 * `problems` collects `key: got "value"; allowed ...` lines.
 */
export class Reader {
  readonly problems: string[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly context: Context) {}

  read<T>(key: string, fallback: T, parse: Parser<T>): T {
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

  optional<T>(key: string, parse: Parser<T>): T | undefined {
    return this.read<T | undefined>(key, undefined, parse);
  }

  fail(key: string, message: string): void {
    this.problems.push(`${key}: ${message}`);
  }

  /** A lower bound may not exceed its upper bound: `[key, value]` of each. */
  ordered([minKey, min]: [string, number], [maxKey, max]: [string, number]): void {
    if (min > max) this.fail(minKey, `got ${min}, more than ${maxKey} (${max})`);
  }

  /** Keys the user set that no reader asked for: probably typos. Call after every read. */
  failUnknownKeys(): void {
    const known = [...this.seen];
    for (const key of Object.keys(this.context)) {
      if (!this.seen.has(key) && !isCdkOwnedKey(key)) this.fail(key, `unknown key${suggestion(key, known)}`);
    }
  }
}

/** Feature flags (`@aws-cdk/...`) and the CLI's own keys (`aws:cdk:...`, look-up caches) are not ours. */
function isCdkOwnedKey(key: string): boolean {
  return key.startsWith('@') || key.includes(':') || key.startsWith('cdk-');
}

export const oneOf =
  <T extends string>(allowed: readonly T[]): Parser<T> =>
  (raw) =>
    typeof raw === 'string' && (allowed as readonly string[]).includes(raw)
      ? (raw as T)
      : new Invalid(`allowed: ${allowed.join(', ')}`);

export const integer =
  (min: number, max: number): Parser<number> =>
  (raw) => {
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : NaN;
    return Number.isInteger(value) && value >= min && value <= max
      ? value
      : new Invalid(`allowed: a whole number from ${min} to ${max}`);
  };

export const boolean: Parser<boolean> = (raw) => {
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  return new Invalid('allowed: true or false');
};

/** Text passing `isValid`, which `description` explains. */
export const textWhere =
  (isValid: (text: string) => boolean, description: string): Parser<string> =>
  (raw) =>
    typeof raw === 'string' && isValid(raw) ? raw : new Invalid(`allowed: ${description}`);

export const matching = (pattern: RegExp, description: string): Parser<string> =>
  textWhere((text) => pattern.test(text), description);

/** A list from cdk.json (a JSON array) or from `-c key=a,b` (a comma-separated string). */
export const listOf = <T extends string>(allowed: readonly T[]): Parser<T[]> =>
  listWhere((item) => (allowed as readonly string[]).includes(item), allowed.join(', ')) as Parser<T[]>;

/** Like listOf, for open-ended items: each must pass `isValid`, which `description` explains. */
export const listWhere =
  (isValid: (item: string) => boolean, description: string): Parser<string[]> =>
  (raw) => {
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

/** An EC2 instance type name; which architecture it runs is isArmInstanceType's business. */
export const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;
export const instanceType = matching(INSTANCE_TYPE, 'an EC2 instance type such as t3.small or t4g.small');

/** Graviton families carry a `g` after the generation number: t4g, m7g, c7gn, r8gd. */
export function isArmInstanceType(instanceType: string): boolean {
  return /^[a-z]+\d+[a-z]*g[a-z]*(-flex)?\./.test(instanceType);
}

/** A table of the CPU units -> memory (MiB) pairs a service offers. */
export type Sizes = Readonly<Record<number, readonly number[]>>;

/** App Runner and Express Mode size an instance or task from a fixed table of CPU/memory pairs. */
export function checkSize(
  r: Reader,
  sizes: Sizes,
  service: string,
  [cpuKey, cpu]: [string, number],
  [memoryKey, memoryMiB]: [string, number],
): void {
  const allowed = sizes[cpu];
  if (!allowed) r.fail(cpuKey, `got ${cpu}; ${service} allows ${Object.keys(sizes).join(', ')} CPU units`);
  else if (!allowed.includes(memoryMiB)) {
    r.fail(memoryKey, `got ${memoryMiB}; with ${cpuKey}=${cpu} ${service} allows ${allowed.join(', ')} MiB`);
  }
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
