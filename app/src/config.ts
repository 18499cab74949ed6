// The commands' settings, all from the environment (the stacks set them on the container). Bad values
// stop the replica or job at startup with a clear message instead of misbehaving later: the deployment
// then fails visibly and rolls back.
import { stat } from 'node:fs/promises';
import type { PlatformHint } from './platform';
import { DEFAULT_DRAIN_MS, DEFAULT_SHUTDOWN_TIMEOUT_MS } from './server';

export interface ServeConfig {
  port: number;
  /** Where the shared volume is mounted; unset when there is none. */
  guestbookDir?: string;
  imageVersion: string;
  platformHint?: PlatformHint;
  drainMs: number;
  shutdownTimeoutMs: number;
}

/** A setting to fix: main.ts prints its message alone, without a stack trace. */
export class ConfigError extends Error {
  // main.ts matches it by name: commands bundled on their own carry their own copy of this class
  override readonly name = 'ConfigError';
}

const PLATFORM_HINTS: readonly string[] = ['apprunner', 'express'] satisfies PlatformHint[];

export function readServeConfig(env: NodeJS.ProcessEnv): ServeConfig {
  const platformHint = env.PLATFORM || undefined;
  if (platformHint !== undefined && !PLATFORM_HINTS.includes(platformHint)) {
    throw new ConfigError(
      `PLATFORM must be one of ${PLATFORM_HINTS.join(', ')} or unset, got "${platformHint}"`,
    );
  }
  // Both counted from SIGTERM; the stacks' stop timeouts leave room for them (docs/app.md).
  const drainMs = integer(env, 'SHUTDOWN_DRAIN_MS', DEFAULT_DRAIN_MS, 0, 3_600_000);
  const shutdownTimeoutMs = integer(env, 'SHUTDOWN_TIMEOUT_MS', DEFAULT_SHUTDOWN_TIMEOUT_MS, 0, 3_600_000);
  if (shutdownTimeoutMs < drainMs) {
    throw new ConfigError(
      `SHUTDOWN_TIMEOUT_MS must be at least SHUTDOWN_DRAIN_MS (${drainMs}), got "${shutdownTimeoutMs}"`,
    );
  }
  return {
    port: integer(env, 'PORT', 8080, 0, 65_535),
    guestbookDir: env.GUESTBOOK_DIR || undefined,
    imageVersion: env.IMAGE_VERSION || 'dev',
    platformHint: platformHint as PlatformHint | undefined,
    drainMs,
    shutdownTimeoutMs,
  };
}

export function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new ConfigError(`${name} is required`);
  return value;
}

export function integer(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** A volume the command works on: it must be mounted, or the command has nothing to do. */
export async function existingDirectory(env: NodeJS.ProcessEnv, name: string): Promise<string> {
  const dir = required(env, name);
  const stats = await stat(dir).catch(() => undefined);
  if (!stats?.isDirectory()) throw new ConfigError(`${name} must name an existing directory, got "${dir}"`);
  return dir;
}
