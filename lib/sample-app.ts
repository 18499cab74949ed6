import type * as ecr from 'aws-cdk-lib/aws-ecr';
import type { CpuArchitecture } from './config';

/**
 * The sample app's contract with every platform that runs it (see app/): where it listens, how it
 * is checked, which user it runs as, where it expects the shared volume, and what it reads from
 * its environment. Stacks take these from here instead of repeating literals.
 */
export const SAMPLE_APP = {
  port: 8080,
  healthCheckPath: '/healthz',
  /** The image's non-root user; EFS access points and Kubernetes securityContexts use the same ids. */
  user: { uid: 1000, gid: 1000 },
  /** Where the guestbook volume is mounted inside the container. */
  guestbookMountPath: '/mnt/guestbook',
  /** Seconds from start to a passing health check, with margin: grace periods derive from it. */
  startupSeconds: 10,
  /**
   * On SIGTERM the app drains (503 on /healthz, `Connection: close`) for `drainSeconds`, then stops
   * accepting, and cuts what is left at `timeoutSeconds` after the signal (docs/app.md). The app's
   * defaults; a platform that needs longer sets SHUTDOWN_DRAIN_MS and SHUTDOWN_TIMEOUT_MS.
   */
  shutdown: { drainSeconds: 5, timeoutSeconds: 10 },
  /** What a stop timeout or grace period adds to the app's own deadline, so SIGKILL never cuts it. */
  stopMarginSeconds: 5,
} as const;

/** How long the app drains and when it must be gone, after SIGTERM. */
export interface SampleAppShutdown {
  readonly drainSeconds: number;
  readonly timeoutSeconds: number;
}

/** Environment variables the app reads. */
export interface SampleAppEnvironment {
  /** The image tag, shown on the page. */
  readonly IMAGE_VERSION: string;
  /** Set where the volume is mounted; without it the guestbook says there is no shared volume. */
  readonly GUESTBOOK_DIR?: string;
  /** Only where the platform cannot be detected from inside: `apprunner`, `express`. */
  readonly PLATFORM?: 'apprunner' | 'express';
  /** Only where the app's defaults (SAMPLE_APP.shutdown) are too short for the platform. */
  readonly SHUTDOWN_DRAIN_MS?: string;
  readonly SHUTDOWN_TIMEOUT_MS?: string;
  /** Where the platform knows the zone but the app cannot ask for it (EKS pods: instance metadata is out of reach). */
  readonly AVAILABILITY_ZONE?: string;
}

/** The sample app's image as every platform stack runs it: `repository:tag`. */
export interface SampleAppImage {
  readonly repository: ecr.IRepository;
  /** Derived from the content of `app/`, so a code change gives a new tag and rolls every platform. */
  readonly tag: string;
  readonly cpuArchitecture: CpuArchitecture;
}
