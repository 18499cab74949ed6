// Where is this copy of the app running? Each platform answers differently: ECS through its task
// metadata endpoint, Kubernetes through environment variables (plus EC2 instance metadata for the
// zone), and App Runner not at all, which is why a PLATFORM hint exists for the cases detection
// cannot cover.
import { hostname } from 'node:os';
import { describeError } from './log';

/** One copy of the app: an ECS task, a Kubernetes pod, an App Runner instance or a local process. */
export type ReplicaKind = 'task' | 'pod' | 'instance' | 'process';

/** Stable ids (guestbook entries store them) with the names people read. */
export const PLATFORMS = {
  'ecs-ec2': { name: 'ECS on EC2', replicaKind: 'task' },
  'ecs-fargate': { name: 'ECS on Fargate', replicaKind: 'task' },
  ecs: { name: 'ECS', replicaKind: 'task' },
  express: { name: 'ECS Express Mode', replicaKind: 'task' },
  'eks-ec2': { name: 'EKS on EC2', replicaKind: 'pod' },
  'eks-fargate': { name: 'EKS on Fargate', replicaKind: 'pod' },
  eks: { name: 'EKS', replicaKind: 'pod' },
  apprunner: { name: 'App Runner', replicaKind: 'instance' },
  local: { name: 'Local', replicaKind: 'process' },
} as const satisfies Record<string, { name: string; replicaKind: ReplicaKind }>;

export type Platform = keyof typeof PLATFORMS;

/** The platforms that cannot be told apart from the inside, so the stack says which one it deployed. */
export type PlatformHint = 'apprunner' | 'express';

const UNKNOWN = 'unknown';

export interface RuntimeFacts {
  platform: Platform;
  platformName: string;
  replicaKind: ReplicaKind;
  /** ECS task id, pod name, App Runner hostname or local process id. */
  replicaId: string;
  availabilityZone: string;
  /** ECS cluster name, on ECS only. */
  cluster?: string;
  /** Kubernetes node name, on EKS only. */
  node?: string;
  hostname: string;
  /** Why a fact says "unknown": a metadata request failed or timed out. */
  detectionErrors: string[];
}

export interface DetectOptions {
  env: NodeJS.ProcessEnv;
  hint?: PlatformHint;
  /** Injected so tests can fail or delay requests; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Per metadata request. Both endpoints are link-local and answer in milliseconds when they exist. */
  timeoutMs?: number;
}

/**
 * Detects the platform once. A replica's platform, id and zone never change during its life, so the
 * caller keeps the result; detection never throws, a failed lookup just leaves a fact "unknown".
 */
export async function detectPlatform(options: DetectOptions): Promise<RuntimeFacts> {
  const { env, hint } = options;
  const lookup: MetadataLookup = { fetch: options.fetch ?? fetch, timeoutMs: options.timeoutMs ?? 1000 };
  if (env.ECS_CONTAINER_METADATA_URI_V4) return detectEcs(env.ECS_CONTAINER_METADATA_URI_V4, hint, lookup);
  if (env.KUBERNETES_SERVICE_HOST) return detectKubernetes(env, lookup);
  // App Runner runs containers without any metadata endpoint or telltale variable: only the hint knows.
  if (hint === 'apprunner') return facts('apprunner', hostname(), UNKNOWN);
  return facts('local', String(process.pid), 'n/a');
}

interface MetadataLookup {
  fetch: typeof fetch;
  timeoutMs: number;
}

/** The parts of the ECS task metadata v4 `/task` document the app shows. */
interface TaskMetadata {
  TaskARN?: unknown;
  LaunchType?: unknown;
  AvailabilityZone?: unknown;
  Cluster?: unknown;
}

async function detectEcs(
  metadataUri: string,
  hint: PlatformHint | undefined,
  lookup: MetadataLookup,
): Promise<RuntimeFacts> {
  let task: TaskMetadata;
  try {
    task = (await request(lookup, `${metadataUri}/task`).then((response) => response.json())) as TaskMetadata;
  } catch (error) {
    return {
      ...facts(hint === 'express' ? 'express' : 'ecs', UNKNOWN, UNKNOWN),
      detectionErrors: [describeError(error)],
    };
  }
  // Express Mode services are ordinary ECS services on Fargate, so the metadata says FARGATE like any
  // other Fargate task: the hint is the only way to tell them apart.
  let platform: Platform = 'ecs';
  if (task.LaunchType === 'EC2') platform = 'ecs-ec2';
  if (task.LaunchType === 'FARGATE') platform = hint === 'express' ? 'express' : 'ecs-fargate';
  return {
    ...facts(platform, lastArnSegment(task.TaskARN), stringOr(task.AvailabilityZone)),
    cluster: lastArnSegment(task.Cluster),
  };
}

async function detectKubernetes(env: NodeJS.ProcessEnv, lookup: MetadataLookup): Promise<RuntimeFacts> {
  // The chart passes NODE_NAME (and POD_NAME) through the downward API; Kubernetes sets HOSTNAME to the pod name.
  const node = env.NODE_NAME;
  const onFargate = node?.startsWith('fargate-') ?? false;
  const platform: Platform = node === undefined ? 'eks' : onFargate ? 'eks-fargate' : 'eks-ec2';
  const replicaId = env.POD_NAME ?? env.HOSTNAME ?? hostname();
  if (env.AVAILABILITY_ZONE) return { ...facts(platform, replicaId, env.AVAILABILITY_ZONE), node };
  // Fargate pods have no instance metadata service, so asking would only wait for the timeout.
  if (onFargate) return { ...facts(platform, replicaId, UNKNOWN), node };
  try {
    const zone = await instanceAvailabilityZone(env, lookup);
    return { ...facts(platform, replicaId, zone), node };
  } catch (error) {
    return { ...facts(platform, replicaId, UNKNOWN), node, detectionErrors: [describeError(error)] };
  }
}

/**
 * Asks EC2 instance metadata (IMDSv2: a session token first, then the value) for the node's zone: the
 * fallback for a pod told no AVAILABILITY_ZONE. It answers only where the node's metadata hop limit
 * is 2 or more; this repository's nodes keep it at 1, so its chart passes the zone label instead.
 */
async function instanceAvailabilityZone(env: NodeJS.ProcessEnv, lookup: MetadataLookup): Promise<string> {
  // The variable AWS SDKs honour to point at another metadata endpoint; tests use it for a fake one.
  const endpoint = (env.AWS_EC2_METADATA_SERVICE_ENDPOINT ?? 'http://169.254.169.254').replace(/\/$/, '');
  const token = await request(lookup, `${endpoint}/latest/api/token`, {
    method: 'PUT',
    headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '60' },
  }).then((response) => response.text());
  return request(lookup, `${endpoint}/latest/meta-data/placement/availability-zone`, {
    headers: { 'X-aws-ec2-metadata-token': token },
  }).then((response) => response.text());
}

async function request(lookup: MetadataLookup, url: string, init: RequestInit = {}): Promise<Response> {
  const what = `${init.method ?? 'GET'} ${url}`;
  let response: Response;
  try {
    response = await lookup.fetch(url, { ...init, signal: AbortSignal.timeout(lookup.timeoutMs) });
  } catch (error) {
    // fetch reports "fetch failed" and keeps the reason (ECONNREFUSED, a timeout...) in `cause`.
    throw new Error(
      `${what} failed: ${describeError(error instanceof Error && error.cause ? error.cause : error)}`,
    );
  }
  if (!response.ok) throw new Error(`${what} answered ${response.status}`);
  return response;
}

function facts(platform: Platform, replicaId: string, availabilityZone: string): RuntimeFacts {
  const { name, replicaKind } = PLATFORMS[platform];
  return {
    platform,
    platformName: name,
    replicaKind,
    replicaId,
    availabilityZone,
    hostname: hostname(),
    detectionErrors: [],
  };
}

/** `arn:aws:ecs:eu-west-1:123456789012:task/demo/0a1b2c` -> `0a1b2c`; a plain name stays as it is. */
function lastArnSegment(value: unknown): string {
  return stringOr(value).split('/').pop() ?? UNKNOWN;
}

function stringOr(value: unknown): string {
  return typeof value === 'string' && value !== '' ? value : UNKNOWN;
}
