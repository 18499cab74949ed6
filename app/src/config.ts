// The serve command's settings, all from the environment (the stacks set them on the container).
// Bad values stop the replica at startup with a clear message instead of misbehaving later: the
// deployment then fails visibly and rolls back.
import type { PlatformHint } from './platform';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS } from './server';

export interface ServeConfig {
  port: number;
  /** Where the shared volume is mounted; unset when there is none. */
  guestbookDir?: string;
  imageVersion: string;
  platformHint?: PlatformHint;
  shutdownTimeoutMs: number;
}

export class ConfigError extends Error {}

const PLATFORM_HINTS: readonly string[] = ['apprunner', 'express'] satisfies PlatformHint[];

export function readServeConfig(env: NodeJS.ProcessEnv): ServeConfig {
  const platformHint = env.PLATFORM || undefined;
  if (platformHint !== undefined && !PLATFORM_HINTS.includes(platformHint)) {
    throw new ConfigError(
      `PLATFORM must be one of ${PLATFORM_HINTS.join(', ')} or unset, got "${platformHint}"`,
    );
  }
  return {
    port: integer(env, 'PORT', 8080, 0, 65_535),
    guestbookDir: env.GUESTBOOK_DIR || undefined,
    imageVersion: env.IMAGE_VERSION || 'dev',
    platformHint: platformHint as PlatformHint | undefined,
    // ECS and Kubernetes both kill the container 30 s after SIGTERM by default: finish well before.
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', DEFAULT_SHUTDOWN_TIMEOUT_MS, 0, 3_600_000),
  };
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}
