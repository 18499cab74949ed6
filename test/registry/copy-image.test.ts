import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CustomResourceEvent,
  type Ecr,
  type EcrOperations,
  handle,
  handler,
} from '../../lib/registry/copy-image-handler';
import { awsError, FakeEcr, sha256 } from './support/fake-ecr';

/**
 * The image copy's handler against an in-memory ECR that behaves like the real one (immutable tags,
 * blobs per repository), answering CloudFormation on a loopback server that stands in for the
 * presigned ResponseURL.
 */
// Lambda's runtime ships the SDK; here a stand-in module whose client sends each Command to the fake
jest.mock('@aws-sdk/client-ecr', () => mockSdk(), { virtual: true });

const ASSETS = 'cdk-hnb659fds-container-assets-123456789012-eu-west-1';
const APP = 'coa/sample-app';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

interface Image {
  readonly manifest: string;
  readonly mediaType: string;
  readonly blobs: Buffer[];
}

const descriptor = (mediaType: string, data: string | Buffer) => ({
  mediaType,
  digest: sha256(data),
  size: Buffer.byteLength(data),
});

/** An image manifest with a config (naming `build`, so two builds of one content differ) and layers. */
function image(layers: string[], build = 'build-1', architecture = 'arm64'): Image {
  const config = Buffer.from(JSON.stringify({ architecture, os: 'linux', config: { Labels: { build } } }));
  const blobs = layers.map((layer) => Buffer.from(layer));
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: descriptor('application/vnd.oci.image.config.v1+json', config),
    layers: blobs.map((blob) => descriptor('application/vnd.oci.image.layer.v1.tar+gzip', blob)),
  });
  return { manifest, mediaType: OCI_MANIFEST, blobs: [config, ...blobs] };
}

/** CloudFormation's side: the responses PUT to each ResponseURL. */
const responses = new Map<string, { contentType?: string; body: Record<string, unknown> }>();
const cloudFormation = createServer((request, response) => {
  let body = '';
  request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
  request.on('end', () => {
    responses.set(request.url!, { contentType: request.headers['content-type'], body: JSON.parse(body) });
    response.end();
  });
});
let requests = 0;

function event(
  RequestType: CustomResourceEvent['RequestType'],
  tag: string,
  PhysicalResourceId?: string,
): CustomResourceEvent {
  const { port } = cloudFormation.address() as AddressInfo;
  requests += 1;
  return {
    RequestType,
    ResponseURL: `http://127.0.0.1:${port}/responses/${requests}`,
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/coa-registry/id',
    RequestId: `request-${requests}`,
    LogicalResourceId: 'CopySampleAppImage',
    PhysicalResourceId,
    ResourceProperties: {
      SourceRepository: ASSETS,
      SourceTag: tag,
      TargetRepository: APP,
      TargetTag: tag,
      Platform: 'linux/amd64',
    },
  };
}

let ecr: FakeEcr;

/** Runs the handler for one request; returns what CloudFormation received. */
async function copy(request: CustomResourceEvent, through: Ecr = ecr.ecr) {
  await handle(request, through);
  const response = responses.get(new URL(request.ResponseURL).pathname);
  expect(response).toBeDefined();
  return response!;
}

beforeAll(async () => {
  cloudFormation.listen(0, '127.0.0.1');
  await once(cloudFormation, 'listening');
});
afterAll(() => {
  cloudFormation.closeAllConnections();
  cloudFormation.close();
});
beforeEach(async () => {
  ecr = new FakeEcr();
  await ecr.start();
  jest.spyOn(console, 'log').mockImplementation(() => {});
  jest.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(async () => {
  jest.restoreAllMocks();
  await ecr.close();
});

const v1 = image(['base layer', 'app v1']);
const v2 = image(['base layer', 'app v2'], 'build-2');
const seed = (tag: string, { manifest, mediaType, blobs }: Image) =>
  ecr.seed(ASSETS, manifest, mediaType, blobs, tag);

test('first copy: the target gets the source image under the tag, with the same digest and every blob', async () => {
  const digest = seed('t1', v1);
  const request = event('Create', 't1');
  const response = await copy(request);

  expect(ecr.tagged(APP, 't1')).toEqual({ digest, manifest: v1.manifest });
  expect(v1.blobs.filter((blob) => !ecr.hasBlob(APP, sha256(blob)))).toEqual([]);
  expect(response).toEqual({
    // the presigned URL was signed for an empty content type
    contentType: '',
    body: {
      Status: 'SUCCESS',
      PhysicalResourceId: `${APP}:t1`,
      Data: { ImageDigest: digest },
      StackId: request.StackId,
      RequestId: request.RequestId,
      LogicalResourceId: request.LogicalResourceId,
    },
  });
});

test('the same copy again only looks the tag up: no upload, no PutImage', async () => {
  const digest = seed('t1', v1);
  await copy(event('Create', 't1'));
  ecr.calls.length = 0;

  const response = await copy(event('Update', 't1', `${APP}:t1`));
  expect(ecr.calls.map((call) => call.operation)).toEqual(['DescribeImages']);
  expect(response.body).toMatchObject({ Status: 'SUCCESS', Data: { ImageDigest: digest } });
});

test('ECR refuses to push a tag again on an immutable repository: the trap a blind copy falls into', async () => {
  seed('t1', v1);
  await copy(event('Create', 't1'));
  const rebuild = image(['base layer', 'app v1'], 'build-2');
  const push = ecr.ecr('PutImage', {
    repositoryName: APP,
    imageManifest: rebuild.manifest,
    imageManifestMediaType: OCI_MANIFEST,
    imageDigest: sha256(rebuild.manifest),
    imageTag: 't1',
  });
  await expect(push).rejects.toMatchObject({ name: 'ImageTagAlreadyExistsException' });
});

test('a revert to an earlier tag the repository kept succeeds without a push; the tag keeps its first build', async () => {
  const firstBuild = seed('t1', v1);
  await copy(event('Create', 't1'));
  seed('t2', v2);
  await copy(event('Update', 't2', `${APP}:t1`));
  // the same content rebuilt since: the asset repository's t1 is now a different image
  seed('t1', image(['base layer', 'app v1'], 'build-2'));
  ecr.calls.length = 0;

  const response = await copy(event('Update', 't1', `${APP}:t2`));
  expect(response.body).toMatchObject({
    Status: 'SUCCESS',
    PhysicalResourceId: `${APP}:t1`,
    Data: { ImageDigest: firstBuild },
  });
  expect(ecr.count('PutImage') + ecr.count('InitiateLayerUpload')).toBe(0);
  expect(ecr.tagged(APP, 't1')?.digest).toBe(firstBuild);
});

test('an index (a multi-arch build, or one with attestations): the one image for the platform is copied, tagged', async () => {
  const children = [
    image(['base layer', 'app arm64'], 'b', 'arm64'),
    image(['base layer', 'app amd64'], 'b', 'amd64'),
  ];
  const childDigests = children.map((child) =>
    ecr.seed(ASSETS, child.manifest, child.mediaType, child.blobs),
  );
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      ...children.map((child, i) => ({
        ...descriptor(OCI_MANIFEST, child.manifest),
        platform: { os: 'linux', architecture: i === 0 ? 'arm64' : 'amd64' },
      })),
      // BuildKit's provenance attestation: a manifest for no platform
      {
        ...descriptor(OCI_MANIFEST, children[0].manifest),
        platform: { os: 'unknown', architecture: 'unknown' },
      },
    ],
  });
  ecr.seed(ASSETS, index, OCI_INDEX, [], 't1');

  const response = await copy(event('Create', 't1'));
  expect(response.body).toMatchObject({ Status: 'SUCCESS', Data: { ImageDigest: childDigests[1] } });
  // one PutImage, tagged: nothing in the repository is untagged, so the untagged-image rule is safe
  expect(
    ecr.calls.filter((c) => c.operation === 'PutImage').map((c) => [c.input.imageDigest, c.input.imageTag]),
  ).toEqual([[childDigests[1], 't1']]);
  expect(ecr.tagged(APP, 't1')?.digest).toBe(childDigests[1]);
  // the index types are asked for too: the reference's list predates them, AWS's containerd resolver asks
  const accepted = ecr.calls
    .filter((c) => c.operation === 'BatchGetImage')
    .map((c) => c.input.acceptedMediaTypes);
  expect(accepted).toEqual(accepted.map(() => expect.arrayContaining([OCI_INDEX, DOCKER_LIST])));
  // only the amd64 image's blobs went up
  expect(ecr.count('CompleteLayerUpload')).toBe(children[1].blobs.length);
});

test('an index without the platform: FAILED, naming the platforms it has', async () => {
  const arm = image(['app arm64'], 'b', 'arm64');
  ecr.seed(ASSETS, arm.manifest, arm.mediaType, arm.blobs);
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      { ...descriptor(OCI_MANIFEST, arm.manifest), platform: { os: 'linux', architecture: 'arm64' } },
    ],
  });
  ecr.seed(ASSETS, index, OCI_INDEX, [], 't1');
  const response = await copy(event('Create', 't1'));
  expect(response.body).toMatchObject({
    Status: 'FAILED',
    Reason: `PlatformNotFound: ${ASSETS}:t1 is an index without a linux/amd64 image (it has linux/arm64)`,
  });
  expect(ecr.count('PutImage')).toBe(0);
});

test('only the blobs the target lacks are uploaded', async () => {
  ecr.seed(APP, v1.manifest, v1.mediaType, v1.blobs, 't1');
  seed('t2', v2);

  await copy(event('Create', 't2'));
  const uploaded = ecr.calls
    .filter((c) => c.operation === 'CompleteLayerUpload')
    .map((c) => c.input.layerDigests);
  const [config, , appLayer] = v2.blobs.map(sha256);
  expect(uploaded).toEqual([[config], [appLayer]]);
});

test('an image with more blobs than one BatchCheckLayerAvailability call takes is checked 100 at a time', async () => {
  const many = image(Array.from({ length: 100 }, (_, i) => `layer ${i}`));
  seed('t1', many);

  const response = await copy(event('Create', 't1'));
  expect(response.body).toMatchObject({ Status: 'SUCCESS' });
  const checked = ecr.calls.filter((c) => c.operation === 'BatchCheckLayerAvailability');
  expect(checked.map((c) => (c.input.layerDigests as string[]).length)).toEqual([100, 1]);
});

test('a blob larger than partSize goes up in parts with inclusive byte ranges, and arrives whole', async () => {
  ecr.partSize = 4;
  const small = image(['0123456789']);
  seed('t1', small);

  await copy(event('Create', 't1'));
  const layer = sha256(small.blobs[1]);
  const upload = ecr.calls.find(
    (c) => c.operation === 'CompleteLayerUpload' && (c.input.layerDigests as string[])[0] === layer,
  );
  const ranges = ecr.calls
    .filter((c) => c.operation === 'UploadLayerPart' && c.input.uploadId === upload!.input.uploadId)
    .map((c) => [c.input.partFirstByte, c.input.partLastByte]);
  expect(ranges).toEqual([
    [0, 3],
    [4, 7],
    [8, 9],
  ]);
  expect(ecr.hasBlob(APP, layer)).toBe(true);
});

test('a tag another deployment pushed between the check and the push is taken as it is', async () => {
  seed('t1', v1);
  const theirs = image(['base layer', 'app v1'], 'their build');
  const racing: Ecr = async (operation, input) => {
    if (operation === 'PutImage' && 'imageTag' in input && !ecr.tagged(APP, 't1')) {
      ecr.seed(APP, theirs.manifest, theirs.mediaType, theirs.blobs, 't1');
    }
    return ecr.ecr(operation, input);
  };

  const response = await copy(event('Create', 't1'), racing);
  expect(response.body).toMatchObject({ Status: 'SUCCESS', Data: { ImageDigest: sha256(theirs.manifest) } });
});

describe('a failure is answered FAILED with one line naming the error, and logged without a stack', () => {
  test.each([
    {
      what: 'a source tag that does not exist',
      request: () => event('Create', 'missing'),
      through: () => ecr.ecr,
      reason: `ImageNotFound: ${ASSETS}:missing: Requested image not found`,
    },
    {
      what: 'an AWS error',
      request: () => event('Create', 't1'),
      through: (): Ecr => () =>
        Promise.reject(awsError('RepositoryNotFoundException', `The repository '${APP}' does not exist`)),
      reason: `RepositoryNotFoundException: The repository '${APP}' does not exist`,
    },
    {
      what: 'a property left out',
      request: () => ({
        ...event('Create', 't1'),
        ResourceProperties: { SourceRepository: ASSETS, SourceTag: 't1' },
      }),
      through: () => ecr.ecr,
      reason: 'InvalidProperty: TargetRepository: got undefined; expected a non-empty string',
    },
  ])('$what', async ({ request, through, reason }) => {
    const create = request();
    const response = await copy(create, through());
    // a Create that failed made nothing: the id only has to be non-empty
    expect(response.body).toMatchObject({
      Status: 'FAILED',
      Reason: reason,
      PhysicalResourceId: create.RequestId,
    });
    const logged = jest.mocked(console.error).mock.calls.map((args) => args.join(' '));
    expect(logged).toEqual([expect.stringContaining(reason)]);
    expect(logged[0]).not.toContain('\n');
  });
});

test('Delete calls no ECR operation, leaves the image and answers with the physical id it was given', async () => {
  const response = await copy(event('Delete', 't1', `${APP}:t1`));
  expect(ecr.calls).toEqual([]);
  expect(response.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${APP}:t1` });
});

/** @aws-sdk/client-ecr's shape as the handler uses it: `ECRClient#send` and a `<Operation>Command` class each. */
function mockSdk() {
  const operations: (keyof EcrOperations)[] = [
    'DescribeImages',
    'BatchGetImage',
    'BatchCheckLayerAvailability',
    'GetDownloadUrlForLayer',
    'InitiateLayerUpload',
    'UploadLayerPart',
    'CompleteLayerUpload',
    'PutImage',
  ];
  const commands = operations.map((operation) => [
    `${operation}Command`,
    class {
      readonly operation = operation;
      constructor(readonly input: never) {}
    },
  ]);
  class ECRClient {
    send(command: { operation: keyof EcrOperations; input: never }) {
      return ecr.ecr(command.operation, command.input);
    }
  }
  return { ECRClient, ...Object.fromEntries(commands) };
}

test("in Lambda, the handler reaches ECR through the runtime's SDK: a client and one Command per operation", async () => {
  seed('t1', v1);
  const request = event('Create', 't1');
  await handler(request);
  expect(responses.get(new URL(request.ResponseURL).pathname)?.body).toMatchObject({ Status: 'SUCCESS' });
});
