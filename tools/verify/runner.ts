/**
 * The runner: a check is a named step that passes or fails, with its duration and the evidence it
 * gathered (status codes, IDs, counts). Every step of a run records its checks here; the report prints them.
 */

export type Result = 'pass' | 'fail' | 'skip';

export interface Check {
  /** `local`, `ecs`, ...: the target the check belongs to. */
  readonly target: string;
  /** `preflight`, `deploy`, `live`, `destroy`, `leftovers`. */
  readonly step: string;
  readonly name: string;
  readonly result: Result;
  readonly ms: number;
  readonly evidence: readonly string[];
  /** Why it failed or was skipped: one line. */
  readonly reason?: string;
}

/** A failure that says what is wrong in one line: reported as such, never with a stack trace. */
export class VerifyError extends Error {
  constructor(
    message: string,
    /** Evidence gathered before the failure. */
    readonly evidence: readonly string[] = [],
  ) {
    super(message);
    this.name = 'VerifyError';
  }
}

/** Thrown to skip a check, with the reason. */
export class Skip extends Error {
  override readonly name = 'Skip';
}

/** Ctrl-C: stops polling at once. */
export class Interrupted extends Error {
  constructor() {
    super('interrupted (Ctrl-C)');
    this.name = 'Interrupted';
  }
}

/** Time, injectable so tests never sleep. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new Interrupted());
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', abort);
        resolve();
      }, ms);
      const abort = () => {
        clearTimeout(timer);
        reject(new Interrupted());
      };
      signal?.addEventListener('abort', abort, { once: true });
    }),
};

/** What a check's body sees: where to put evidence, the clock and Ctrl-C. */
export interface CheckContext {
  readonly clock: Clock;
  readonly signal: AbortSignal;
  evidence(line: string): void;
}

/**
 * Runs checks one after the other and keeps their results. A check's body returns nothing to pass,
 * throws Skip to skip, and throws anything else to fail: the message becomes the reason.
 */
export class Recorder {
  constructor(
    readonly clock: Clock,
    readonly signal: AbortSignal,
    private readonly print: (check: Check) => void = () => {},
    readonly checks: Check[] = [],
  ) {}

  /** The same record, with another signal: destroy and the leftover hunt go on after Ctrl-C. */
  withSignal(signal: AbortSignal): Recorder {
    return new Recorder(this.clock, signal, this.print, this.checks);
  }

  /** Runs one check; resolves with true when it passed. Ctrl-C propagates after the check is recorded. */
  async check(
    target: string,
    step: string,
    name: string,
    body: (context: CheckContext) => Promise<void>,
  ): Promise<boolean> {
    const started = this.clock.now();
    const evidence: string[] = [];
    let result: Result = 'pass';
    let reason: string | undefined;
    let interrupted: unknown;
    try {
      if (this.signal.aborted) throw new Interrupted();
      await body({ clock: this.clock, signal: this.signal, evidence: (line) => evidence.push(line) });
    } catch (error) {
      result = error instanceof Skip ? 'skip' : 'fail';
      reason = describe(error);
      if (error instanceof VerifyError) evidence.push(...error.evidence);
      if (error instanceof Interrupted) interrupted = error;
    }
    const check: Check = { target, step, name, result, ms: this.clock.now() - started, evidence, reason };
    this.checks.push(check);
    this.print(check);
    if (interrupted) throw interrupted;
    return result === 'pass';
  }

  /** Records a check decided without running one, e.g. a target skipped for a reason preflight found. */
  record(
    target: string,
    step: string,
    name: string,
    result: Result,
    reason: string,
    evidence: readonly string[] = [],
  ): void {
    const check = { target, step, name, result, ms: 0, evidence, reason };
    this.checks.push(check);
    this.print(check);
  }

  passed(): boolean {
    return this.checks.every((check) => check.result !== 'fail');
  }
}

/** One line for any error: its message, without a stack trace. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface PollOptions {
  /** Give up after this long. */
  readonly timeoutMs: number;
  /** Wait this long between attempts. */
  readonly intervalMs: number;
  /** What is being waited for, for the timeout message. */
  readonly what: string;
}

/**
 * Calls `attempt` until it returns a value other than undefined, or the timeout passes: then throws a
 * VerifyError that quotes the last state `attempt` reported through `state`. Bounded, and stops at once on Ctrl-C.
 */
export async function poll<T>(
  context: Pick<CheckContext, 'clock' | 'signal'>,
  options: PollOptions,
  attempt: (state: (line: string) => void) => Promise<T | undefined>,
): Promise<T> {
  const { clock, signal } = context;
  const deadline = clock.now() + options.timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    if (signal.aborted) throw new Interrupted();
    const value = await attempt((line) => (last = line));
    if (value !== undefined) return value;
    if (clock.now() + options.intervalMs > deadline) {
      throw new VerifyError(`${options.what}: not within ${formatMs(options.timeoutMs)}; last: ${last}`);
    }
    await clock.sleep(options.intervalMs, signal);
  }
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
