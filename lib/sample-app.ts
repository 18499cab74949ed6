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
} as const;

/** Environment variables the app reads. */
export interface SampleAppEnvironment {
  /** The image tag, shown on the page. */
  readonly IMAGE_VERSION: string;
  /** Set where the volume is mounted; without it the guestbook says there is no shared volume. */
  readonly GUESTBOOK_DIR?: string;
  /** Only where the platform cannot be detected from inside: `apprunner`, `express`. */
  readonly PLATFORM?: 'apprunner' | 'express';
}

/** The sample app's image as every platform stack runs it: `repository:tag`. */
export interface SampleAppImage {
  readonly repository: ecr.IRepository;
  /** Derived from the content of `app/`, so a code change gives a new tag and rolls every platform. */
  readonly tag: string;
  readonly cpuArchitecture: CpuArchitecture;
}
