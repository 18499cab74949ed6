// An in-memory stand-in for Amazon ECR, for the image copy's handler (lib/registry/copy-image-handler.ts):
// the eight operations it calls, with the shapes and errors of the ECR API reference
// (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/, one page per operation), and what the
// copy relies on: tags are immutable (a re-put is ImageTagAlreadyExistsException), blobs belong to a
// repository (PutImage is LayersNotFoundException until the target has them), an index needs its
// child manifests first, absent blobs come back as BatchCheckLayerAvailability `failures`, parts must
// arrive in order with inclusive byte ranges, and CompleteLayerUpload hashes what it received.
// Layer downloads are served over HTTP on loopback, as S3's presigned URLs would serve them.
import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Ecr, EcrOperations } from '../../../lib/registry/copy-image-handler';

const INDEX_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];
/** UploadLayerPart's documented maximum part size. */
const MAX_PART_SIZE = 20 * 1024 * 1024;

interface Repository {
  readonly images: Map<string, { manifest: string; mediaType: string }>;
  readonly tags: Map<string, string>;
  readonly blobs: Map<string, Buffer>;
}

interface Upload {
  readonly repositoryName: string;
  readonly parts: Buffer[];
  received: number;
}

export const sha256 = (data: string | Buffer): string =>
  `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** An SDK v3 service error as the client throws it: `name` is the exception, `$metadata` the response. */
export function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

export class FakeEcr {
  /** Every call the copy made, in order. */
  readonly calls: { operation: keyof EcrOperations; input: Record<string, unknown> }[] = [];
  /** What InitiateLayerUpload answers as `partSize`. */
  partSize = 1024;
  private readonly repositories = new Map<string, Repository>();
  private readonly uploads = new Map<string, Upload>();
  private readonly server: Server = createServer((request, response) => {
    const [, repositoryName, digest] =
      decodeURIComponent(request.url ?? '').match(/^\/blobs\/(.+)\/([^/]+)$/) ?? [];
    const blob = repositoryName ? this.repository(repositoryName).blobs.get(digest) : undefined;
    response.writeHead(blob ? 200 : 404).end(blob);
  });

  async start(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Puts blobs and a manifest straight into a repository, as `docker push` would have. */
  seed(
    repositoryName: string,
    manifest: string,
    mediaType: string,
    blobs: Buffer[] = [],
    tag?: string,
  ): string {
    const repository = this.repository(repositoryName);
    for (const blob of blobs) repository.blobs.set(sha256(blob), blob);
    const digest = sha256(manifest);
    repository.images.set(digest, { manifest, mediaType });
    if (tag) repository.tags.set(tag, digest);
    return digest;
  }

  /** `repositoryName:tag`'s digest and manifest, or undefined. */
  tagged(repositoryName: string, tag: string): { digest: string; manifest: string } | undefined {
    const repository = this.repository(repositoryName);
    const digest = repository.tags.get(tag);
    return digest ? { digest, manifest: repository.images.get(digest)!.manifest } : undefined;
  }

  hasBlob(repositoryName: string, digest: string): boolean {
    return this.repository(repositoryName).blobs.has(digest);
  }

  count(operation: keyof EcrOperations): number {
    return this.calls.filter((call) => call.operation === operation).length;
  }

  /** The fake as the handler's `Ecr`: records each call, then answers it with the method of its name. */
  readonly ecr: Ecr = async (operation, input) => {
    this.calls.push({ operation, input: { ...input } });
    return (this[operation] as (input: unknown) => never).call(this, input);
  };

  private repository(name: string): Repository {
    let repository = this.repositories.get(name);
    if (!repository) {
      repository = { images: new Map(), tags: new Map(), blobs: new Map() };
      this.repositories.set(name, repository);
    }
    return repository;
  }

  DescribeImages({ repositoryName, imageIds }: EcrOperations['DescribeImages']['input']) {
    const repository = this.repository(repositoryName);
    const imageDetails = imageIds.map(({ imageTag }) => {
      const digest = repository.tags.get(imageTag!);
      if (!digest) {
        throw awsError(
          'ImageNotFoundException',
          `The image with imageId {imageTag:'${imageTag}'} does not exist`,
        );
      }
      const imageTags = [...repository.tags].filter(([, d]) => d === digest).map(([tag]) => tag);
      return { repositoryName, imageDigest: digest, imageTags };
    });
    return { imageDetails };
  }

  BatchGetImage({ repositoryName, imageIds }: EcrOperations['BatchGetImage']['input']) {
    const repository = this.repository(repositoryName);
    const images = [];
    const failures = [];
    for (const imageId of imageIds) {
      const digest = imageId.imageDigest ?? repository.tags.get(imageId.imageTag!);
      const image = digest ? repository.images.get(digest) : undefined;
      if (image) {
        images.push({
          repositoryName,
          imageId: { ...imageId, imageDigest: digest },
          imageManifest: image.manifest,
          imageManifestMediaType: image.mediaType,
        });
      } else {
        failures.push({ imageId, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
      }
    }
    return { images, failures };
  }

  BatchCheckLayerAvailability({
    repositoryName,
    layerDigests,
  }: EcrOperations['BatchCheckLayerAvailability']['input']) {
    if (layerDigests.length < 1 || layerDigests.length > 100) {
      throw awsError('InvalidParameterException', 'layerDigests must hold 1 to 100 digests');
    }
    const blobs = this.repository(repositoryName).blobs;
    return {
      layers: layerDigests
        .filter((digest) => blobs.has(digest))
        .map((digest) => ({
          layerDigest: digest,
          layerAvailability: 'AVAILABLE',
          layerSize: blobs.get(digest)!.length,
        })),
      failures: layerDigests
        .filter((digest) => !blobs.has(digest))
        .map((digest) => ({
          layerDigest: digest,
          failureCode: 'MissingLayerDigest',
          failureReason: 'Could not find layer',
        })),
    };
  }

  GetDownloadUrlForLayer({ repositoryName, layerDigest }: EcrOperations['GetDownloadUrlForLayer']['input']) {
    if (!this.hasBlob(repositoryName, layerDigest)) {
      throw awsError('LayersNotFoundException', `The layer ${layerDigest} does not exist`);
    }
    const { port } = this.server.address() as AddressInfo;
    const path = `/blobs/${encodeURIComponent(repositoryName)}/${encodeURIComponent(layerDigest)}`;
    return { downloadUrl: `http://127.0.0.1:${port}${path}`, layerDigest };
  }

  InitiateLayerUpload({ repositoryName }: EcrOperations['InitiateLayerUpload']['input']) {
    const uploadId = randomUUID();
    this.uploads.set(uploadId, { repositoryName, parts: [], received: 0 });
    return { uploadId, partSize: this.partSize };
  }

  UploadLayerPart(input: EcrOperations['UploadLayerPart']['input']) {
    const upload = this.uploads.get(input.uploadId);
    if (!upload || upload.repositoryName !== input.repositoryName) {
      throw awsError('UploadNotFoundException', `Upload ${input.uploadId} not found`);
    }
    const length = input.layerPartBlob.length;
    const inOrder = input.partFirstByte === upload.received;
    const inclusive = input.partLastByte === input.partFirstByte + length - 1;
    if (!inOrder || !inclusive || length > Math.min(this.partSize, MAX_PART_SIZE)) {
      throw awsError(
        'InvalidLayerPartException',
        `part ${input.partFirstByte}-${input.partLastByte} of ${length} bytes after ${upload.received} received`,
      );
    }
    upload.parts.push(Buffer.from(input.layerPartBlob));
    upload.received += length;
    return { uploadId: input.uploadId, lastByteReceived: input.partLastByte };
  }

  CompleteLayerUpload({
    repositoryName,
    uploadId,
    layerDigests,
  }: EcrOperations['CompleteLayerUpload']['input']) {
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.repositoryName !== repositoryName) {
      throw awsError('UploadNotFoundException', `Upload ${uploadId} not found`);
    }
    this.uploads.delete(uploadId);
    if (upload.parts.length === 0) throw awsError('EmptyUploadException', 'The upload has no layer parts');
    const blob = Buffer.concat(upload.parts);
    if (sha256(blob) !== layerDigests[0]) {
      throw awsError('InvalidLayerException', `Computed ${sha256(blob)}, expected ${layerDigests[0]}`);
    }
    const blobs = this.repository(repositoryName).blobs;
    if (blobs.has(layerDigests[0])) throw awsError('LayerAlreadyExistsException', 'The layer already exists');
    blobs.set(layerDigests[0], blob);
    return { uploadId, layerDigest: layerDigests[0] };
  }

  PutImage(input: EcrOperations['PutImage']['input']) {
    const repository = this.repository(input.repositoryName);
    const digest = sha256(input.imageManifest);
    if (input.imageDigest && input.imageDigest !== digest) {
      throw awsError('ImageDigestDoesNotMatchException', `Computed ${digest}, given ${input.imageDigest}`);
    }
    const tagged = input.imageTag ? repository.tags.get(input.imageTag) : undefined;
    if (tagged && tagged !== digest) {
      throw awsError('ImageTagAlreadyExistsException', `The image tag '${input.imageTag}' already exists`);
    }
    if (repository.images.has(digest) && (!input.imageTag || tagged === digest)) {
      throw awsError('ImageAlreadyExistsException', `Image ${digest} already exists`);
    }
    const parsed = JSON.parse(input.imageManifest);
    if (INDEX_TYPES.includes(input.imageManifestMediaType)) {
      const missing = parsed.manifests.filter((m: { digest: string }) => !repository.images.has(m.digest));
      if (missing.length)
        throw awsError('ReferencedImagesNotFoundException', 'The manifest list references missing images');
    } else {
      const missing = [parsed.config, ...parsed.layers].filter(
        (d: { digest: string }) => !repository.blobs.has(d.digest),
      );
      if (missing.length)
        throw awsError('LayersNotFoundException', 'The specified layers could not be found');
    }
    repository.images.set(digest, { manifest: input.imageManifest, mediaType: input.imageManifestMediaType });
    if (input.imageTag) repository.tags.set(input.imageTag, digest);
    return {
      image: {
        repositoryName: input.repositoryName,
        imageId: { imageDigest: digest, imageTag: input.imageTag },
      },
    };
  }
}
