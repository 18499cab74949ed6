/**
 * The image copy's Lambda handler (lib/registry/image-copy.ts): a CloudFormation custom resource that
 * copies one image, by tag, from one ECR repository to another with ECR's own API: no registry login,
 * no Docker, no binary to ship.
 *
 * Idempotent, which is the point: if the target tag exists, the copy does nothing. The repository's
 * tags are immutable and content-derived, so a tag that exists already holds the build of that
 * content. Redeploying an earlier version of app/, or a rollback that sends an earlier tag again,
 * finds the tag and succeeds, where a blind push fails with ImageTagAlreadyExistsException.
 *
 * This file is the function's whole code: esbuild transpiles it alone at synth, so it imports only
 * Node.js built-ins, and the AWS SDK v3 that the Lambda Node.js runtime ships, loaded lazily.
 *
 * Calls, parameters, response fields and errors, from the ECR API reference:
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchGetImage.html
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchCheckLayerAvailability.html
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetDownloadUrlForLayer.html
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_InitiateLayerUpload.html
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_UploadLayerPart.html
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CompleteLayerUpload.html
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html
 * The same sequence is how AWS's own ECR resolver for containerd pushes (awslabs/
 * amazon-ecr-containerd-resolver, ecr/layer_writer.go and ecr/manifest_writer.go); it also asks
 * BatchGetImage for index and manifest-list media types, which the reference's list predates.
 * The response to CloudFormation:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html
 */

/** The custom resource's properties: where the image comes from and where it goes. */
export interface ImageCopyProperties {
  readonly SourceRepository: string;
  readonly SourceTag: string;
  readonly TargetRepository: string;
  readonly TargetTag: string;
  /** `os/architecture`, e.g. `linux/arm64`: the image an index source is copied for. */
  readonly Platform: string;
}

export interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Partial<ImageCopyProperties>;
}

interface ImageId {
  imageTag?: string;
  imageDigest?: string;
}

/** The ECR operations the copy makes, with the fields it sends and reads. */
export interface EcrOperations {
  DescribeImages: {
    input: { repositoryName: string; imageIds: ImageId[] };
    output: { imageDetails?: { imageDigest?: string }[] };
  };
  BatchGetImage: {
    input: { repositoryName: string; imageIds: ImageId[]; acceptedMediaTypes: string[] };
    output: {
      images?: { imageId?: ImageId; imageManifest?: string; imageManifestMediaType?: string }[];
      failures?: { failureCode?: string; failureReason?: string }[];
    };
  };
  BatchCheckLayerAvailability: {
    input: { repositoryName: string; layerDigests: string[] };
    output: {
      layers?: { layerDigest?: string; layerAvailability?: string }[];
      failures?: { layerDigest?: string; failureCode?: string }[];
    };
  };
  GetDownloadUrlForLayer: {
    input: { repositoryName: string; layerDigest: string };
    output: { downloadUrl?: string };
  };
  InitiateLayerUpload: {
    input: { repositoryName: string };
    output: { uploadId?: string; partSize?: number };
  };
  UploadLayerPart: {
    input: {
      repositoryName: string;
      uploadId: string;
      partFirstByte: number;
      /** Inclusive: a part of n bytes from byte f ends at f + n - 1. */
      partLastByte: number;
      layerPartBlob: Uint8Array;
    };
    output: { lastByteReceived?: number };
  };
  CompleteLayerUpload: {
    input: { repositoryName: string; uploadId: string; layerDigests: string[] };
    output: { layerDigest?: string };
  };
  PutImage: {
    input: {
      repositoryName: string;
      imageManifest: string;
      imageManifestMediaType: string;
      imageDigest: string;
      imageTag?: string;
    };
    output: { image?: { imageId?: ImageId } };
  };
}

/** ECR as the copy sees it: the runtime's SDK in Lambda, an in-memory fake in tests. */
export type Ecr = <O extends keyof EcrOperations>(
  operation: O,
  input: EcrOperations[O]['input'],
) => Promise<EcrOperations[O]['output']>;

const INDEX_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];
const MANIFEST_TYPES = [
  ...INDEX_TYPES,
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];
/** UploadLayerPart's documented maximum, should InitiateLayerUpload leave `partSize` out. */
const MAX_PART_SIZE = 20 * 1024 * 1024;
/** BatchCheckLayerAvailability takes at most 100 digests a call. */
const MAX_DIGESTS_PER_CHECK = 100;
/** The response body may not exceed 4,096 bytes: the reason stays well inside. */
const MAX_REASON_LENGTH = 1000;

export const handler = (event: CustomResourceEvent): Promise<void> => handle(event, runtimeEcr());

/** Answers one CloudFormation request: always responds, SUCCESS or FAILED with a one-line reason. */
export async function handle(event: CustomResourceEvent, ecr: Ecr): Promise<void> {
  const props = event.ResourceProperties;
  const id = physicalId(props);
  let response: Record<string, unknown>;
  try {
    if (event.RequestType === 'Delete') {
      // the image stays: the repository's lifecycle rules and emptyOnDelete decide when images go
      response = { Status: 'SUCCESS', PhysicalResourceId: event.PhysicalResourceId ?? id };
    } else {
      const imageDigest = await copyImage(ecr, validated(props));
      response = { Status: 'SUCCESS', PhysicalResourceId: id, Data: { ImageDigest: imageDigest } };
    }
  } catch (error) {
    const reason = describe(error).slice(0, MAX_REASON_LENGTH);
    // an AWS error or one of ours says all there is in its name and message; anything else is a bug
    console.error(`${event.RequestType} ${id} failed: ${isKnown(error) ? reason : stackOf(error)}`);
    // a Create that failed made nothing: its id only has to be non-empty
    response = {
      Status: 'FAILED',
      Reason: reason,
      PhysicalResourceId: event.PhysicalResourceId ?? event.RequestId,
    };
  }
  await respond(event, response);
}

/** Copies `SourceRepository:SourceTag` to `TargetRepository:TargetTag`; returns the target's digest. */
async function copyImage(ecr: Ecr, props: ImageCopyProperties): Promise<string> {
  const target = { repositoryName: props.TargetRepository, tag: props.TargetTag };
  const present = await taggedDigest(ecr, target);
  if (present) {
    console.log(`${physicalId(props)} holds ${present} already: nothing to copy`);
    return present;
  }
  let image = await getManifest(ecr, props.SourceRepository, { imageTag: props.SourceTag });
  if (INDEX_TYPES.includes(image.mediaType)) {
    // A Docker build may push an index (the image plus attestation manifests): copy the one image
    // this platform runs, tagged, so nothing in the target is untagged: the lifecycle rule that
    // expires untagged images can never take a part of a tagged one.
    const digest = platformImage(image, props.Platform, `${props.SourceRepository}:${props.SourceTag}`);
    image = await getManifest(ecr, props.SourceRepository, { imageDigest: digest });
  }
  try {
    await copyManifest(ecr, props.SourceRepository, target.repositoryName, image, target.tag);
  } catch (error) {
    // another deployment tagged it between our check and our push: the tag holds what it holds
    const raced = errorName(error) === 'ImageTagAlreadyExistsException' && (await taggedDigest(ecr, target));
    if (!raced) throw error;
    console.log(`${physicalId(props)} was tagged meanwhile as ${raced}`);
    return raced;
  }
  console.log(
    `copied ${props.SourceRepository}:${props.SourceTag} to ${physicalId(props)} as ${image.digest}`,
  );
  return image.digest;
}

interface Manifest {
  readonly digest: string;
  readonly body: string;
  readonly mediaType: string;
}

/** Copies an image manifest's blobs, then the manifest itself under the tag. */
async function copyManifest(
  ecr: Ecr,
  from: string,
  to: string,
  manifest: Manifest,
  tag: string,
): Promise<void> {
  const parsed = JSON.parse(manifest.body);
  const blobs = [parsed.config, ...parsed.layers].map((descriptor: { digest: string }) => descriptor.digest);
  for (const digest of await missingBlobs(ecr, to, [...new Set(blobs)])) {
    await copyBlob(ecr, from, to, digest);
  }
  try {
    // the same bytes give the same digest: the copy is the source image, and ECR checks imageDigest
    await ecr('PutImage', {
      repositoryName: to,
      imageManifest: manifest.body,
      imageManifestMediaType: manifest.mediaType,
      imageDigest: manifest.digest,
      imageTag: tag,
    });
  } catch (error) {
    // the same image under another tag, pushed again with this tag: ECR has nothing to change
    if (errorName(error) !== 'ImageAlreadyExistsException') throw error;
  }
}

/** The digest of the image for `platform` (`os/architecture`) in an index. */
function platformImage(index: Manifest, platform: string, reference: string): string {
  const manifests: { digest: string; platform?: { os?: string; architecture?: string } }[] =
    JSON.parse(index.body).manifests ?? [];
  const match = manifests.find((m) => `${m.platform?.os}/${m.platform?.architecture}` === platform);
  if (!match) {
    const platforms = manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}`).join(', ');
    throw new CopyError(
      'PlatformNotFound',
      `${reference} is an index without a ${platform} image (it has ${platforms})`,
    );
  }
  return match.digest;
}

async function getManifest(ecr: Ecr, repositoryName: string, imageId: ImageId): Promise<Manifest> {
  const { images = [], failures = [] } = await ecr('BatchGetImage', {
    repositoryName,
    imageIds: [imageId],
    acceptedMediaTypes: MANIFEST_TYPES,
  });
  const image = images[0];
  if (!image?.imageManifest || !image.imageId?.imageDigest) {
    const failure = failures[0];
    const reference = imageId.imageTag ? `:${imageId.imageTag}` : `@${imageId.imageDigest}`;
    throw new CopyError(
      failure?.failureCode ?? 'ImageNotFound',
      `${repositoryName}${reference}: ${failure?.failureReason ?? 'no manifest returned'}`,
    );
  }
  return {
    digest: image.imageId.imageDigest,
    body: image.imageManifest,
    mediaType: image.imageManifestMediaType ?? JSON.parse(image.imageManifest).mediaType,
  };
}

/** The digest `repositoryName:tag` holds, or undefined when the tag does not exist. */
async function taggedDigest(ecr: Ecr, { repositoryName, tag }: { repositoryName: string; tag: string }) {
  try {
    const { imageDetails = [] } = await ecr('DescribeImages', {
      repositoryName,
      imageIds: [{ imageTag: tag }],
    });
    return imageDetails[0]?.imageDigest;
  } catch (error) {
    if (errorName(error) === 'ImageNotFoundException') return undefined;
    throw error;
  }
}

/** The blobs the repository lacks: whatever BatchCheckLayerAvailability does not call AVAILABLE. */
async function missingBlobs(ecr: Ecr, repositoryName: string, digests: string[]): Promise<string[]> {
  const available = new Set<string | undefined>();
  for (let i = 0; i < digests.length; i += MAX_DIGESTS_PER_CHECK) {
    const layerDigests = digests.slice(i, i + MAX_DIGESTS_PER_CHECK);
    // absent blobs come back as `failures` (MissingLayerDigest), not as UNAVAILABLE layers
    const { layers = [] } = await ecr('BatchCheckLayerAvailability', { repositoryName, layerDigests });
    layers.filter((l) => l.layerAvailability === 'AVAILABLE').forEach((l) => available.add(l.layerDigest));
  }
  return digests.filter((digest) => !available.has(digest));
}

/** Streams one blob from the source's download URL into the target, part by part. */
async function copyBlob(ecr: Ecr, from: string, to: string, digest: string): Promise<void> {
  const { downloadUrl } = await ecr('GetDownloadUrlForLayer', { repositoryName: from, layerDigest: digest });
  const download = await fetch(downloadUrl!);
  if (!download.ok || !download.body) {
    throw new CopyError('DownloadFailed', `${from}@${digest}: HTTP ${download.status}`);
  }
  const { uploadId, partSize } = await ecr('InitiateLayerUpload', { repositoryName: to });
  let sent = 0;
  for await (const part of inParts(download.body, partSize ?? MAX_PART_SIZE)) {
    await ecr('UploadLayerPart', {
      repositoryName: to,
      uploadId: uploadId!,
      partFirstByte: sent,
      partLastByte: sent + part.length - 1,
      layerPartBlob: part,
    });
    sent += part.length;
  }
  try {
    // ECR hashes what it received and refuses the upload unless it is `digest`
    await ecr('CompleteLayerUpload', { repositoryName: to, uploadId: uploadId!, layerDigests: [digest] });
  } catch (error) {
    if (errorName(error) !== 'LayerAlreadyExistsException') throw error;
  }
}

/** A byte stream as parts of exactly `size` bytes, the last one shorter: one part in memory at a time. */
async function* inParts(body: ReadableStream<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  const reader = body.getReader();
  let pending: Buffer[] = [];
  let length = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    pending.push(Buffer.from(read.value));
    length += read.value.length;
    while (length >= size) {
      const joined = Buffer.concat(pending);
      yield joined.subarray(0, size);
      pending = [joined.subarray(size)];
      length -= size;
    }
  }
  if (length > 0) yield Buffer.concat(pending);
}

/** PUT to the presigned ResponseURL, with the empty content type its signature was made for. */
async function respond(event: CustomResourceEvent, response: Record<string, unknown>): Promise<void> {
  const body = JSON.stringify({
    ...response,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  const reply = await fetch(event.ResponseURL, { method: 'PUT', body, headers: { 'content-type': '' } });
  if (!reply.ok) throw new Error(`CloudFormation refused the response: HTTP ${reply.status}`);
}

function validated(props: Partial<ImageCopyProperties>): ImageCopyProperties {
  for (const key of ['SourceRepository', 'SourceTag', 'TargetRepository', 'TargetTag', 'Platform'] as const) {
    const value: unknown = props[key];
    if (typeof value !== 'string' || value === '') {
      throw new CopyError(
        'InvalidProperty',
        `${key}: got ${JSON.stringify(value)}; expected a non-empty string`,
      );
    }
  }
  return props as ImageCopyProperties;
}

/** `<repository>:<tag>`: a new tag is a new physical resource, and the old one's Delete keeps its image. */
function physicalId(props: Partial<ImageCopyProperties>): string {
  return `${props.TargetRepository}:${props.TargetTag}`;
}

/** A failure the copy finds itself, named like ECR's own. */
class CopyError extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** Ours, or an SDK v3 service error (it carries `$metadata`): the name and message are the whole story. */
function isKnown(error: unknown): boolean {
  return error instanceof CopyError || (error instanceof Error && '$metadata' in error);
}

/** One line naming the error. */
function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.replace(/\s+/g, ' ');
}

function stackOf(error: unknown): string {
  return (error instanceof Error && error.stack) || String(error);
}

/** The Lambda runtime's own AWS SDK v3 (nothing to package), required only when the function runs. */
function runtimeEcr(): Ecr {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved in Lambda, not a dependency here
  const sdk = require('@aws-sdk/client-ecr');
  const client = new sdk.ECRClient({});
  return (operation, input) => client.send(new sdk[`${operation}Command`](input));
}
