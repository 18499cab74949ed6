// Platform detection against fake metadata endpoints on loopback, one per platform.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { detectPlatform } from '../../app/src/platform';

const TASK_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task/demo/0a1b2c3d4e5f60718293a4b5c6d7e8f9';

interface FakeEndpoint {
  url: string;
  requests: { method?: string; url?: string; headers: IncomingMessage['headers'] }[];
}

const servers: Server[] = [];

/** A loopback HTTP server answering every request with `answer`; `undefined` means never answer. */
async function fakeEndpoint(answer: (request: IncomingMessage) => [number, string] | undefined) {
  const endpoint: FakeEndpoint = { url: '', requests: [] };
  const server = createServer((request, response) => {
    endpoint.requests.push({ method: request.method, url: request.url, headers: request.headers });
    const reply = answer(request);
    if (reply) response.writeHead(reply[0]).end(reply[1]);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return endpoint;
}

/** ECS task metadata v4: the agent's endpoint, with `/task` under the URI it passes in the environment. */
function taskMetadata(task: Record<string, string>) {
  return fakeEndpoint((request) =>
    request.url === '/v4/abc/task' ? [200, JSON.stringify(task)] : [404, ''],
  );
}

/** For the cases where any metadata request would be a mistake. */
const noFetch = jest.fn<Promise<Response>, Parameters<typeof fetch>>(() =>
  Promise.reject(new Error('unexpected fetch')),
);

afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
  noFetch.mockClear();
});

describe('ECS', () => {
  test('EC2 launch type: ECS on EC2, with task id, zone and cluster from the task metadata', async () => {
    const ecs = await taskMetadata({
      LaunchType: 'EC2',
      TaskARN: TASK_ARN,
      AvailabilityZone: 'eu-west-1a',
      Cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/demo',
    });

    const facts = await detectPlatform({ env: { ECS_CONTAINER_METADATA_URI_V4: `${ecs.url}/v4/abc` } });

    expect(facts).toEqual({
      platform: 'ecs-ec2',
      platformName: 'ECS on EC2',
      replicaKind: 'task',
      replicaId: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
      availabilityZone: 'eu-west-1a',
      cluster: 'demo',
      hostname: hostname(),
      detectionErrors: [],
    });
  });

  test('Fargate launch type: ECS on Fargate; a PLATFORM hint other than express does not override detection', async () => {
    const ecs = await taskMetadata({
      LaunchType: 'FARGATE',
      TaskARN: TASK_ARN,
      AvailabilityZone: 'eu-west-1c',
      Cluster: 'demo',
    });

    const facts = await detectPlatform({
      env: { ECS_CONTAINER_METADATA_URI_V4: `${ecs.url}/v4/abc` },
      hint: 'apprunner',
    });

    expect(facts).toMatchObject({ platform: 'ecs-fargate', availabilityZone: 'eu-west-1c', cluster: 'demo' });
  });

  test('Express Mode: Fargate metadata refined by the express hint', async () => {
    const ecs = await taskMetadata({
      LaunchType: 'FARGATE',
      TaskARN: TASK_ARN,
      AvailabilityZone: 'eu-west-1b',
      Cluster: 'default',
    });

    const facts = await detectPlatform({
      env: { ECS_CONTAINER_METADATA_URI_V4: `${ecs.url}/v4/abc` },
      hint: 'express',
    });

    expect(facts).toMatchObject({
      platform: 'express',
      platformName: 'ECS Express Mode',
      availabilityZone: 'eu-west-1b',
    });
  });

  test('an endpoint that fails: still ECS, facts unknown, and the reason kept', async () => {
    const ecs = await fakeEndpoint(() => [500, 'agent trouble']);

    const facts = await detectPlatform({ env: { ECS_CONTAINER_METADATA_URI_V4: `${ecs.url}/v4/abc` } });

    expect(facts).toMatchObject({ platform: 'ecs', replicaId: 'unknown', availabilityZone: 'unknown' });
    expect(facts.detectionErrors).toEqual([`GET ${ecs.url}/v4/abc/task answered 500`]);
  });

  test('an endpoint that never answers: gives up after the timeout', async () => {
    const ecs = await fakeEndpoint(() => undefined);

    const facts = await detectPlatform({
      env: { ECS_CONTAINER_METADATA_URI_V4: `${ecs.url}/v4/abc` },
      timeoutMs: 50,
    });

    expect(facts).toMatchObject({ platform: 'ecs', availabilityZone: 'unknown' });
    expect(facts.detectionErrors).toEqual([expect.stringMatching(/abc\/task failed: .*timeout/)]);
  });

  test('an endpoint that answers something other than JSON: facts unknown', async () => {
    const ecs = await fakeEndpoint(() => [200, '<html>']);

    const facts = await detectPlatform({
      env: { ECS_CONTAINER_METADATA_URI_V4: `${ecs.url}/v4/abc` },
      hint: 'express',
    });

    expect(facts).toMatchObject({
      platform: 'express',
      replicaId: 'unknown',
      detectionErrors: [expect.any(String)],
    });
  });
});

describe('EKS', () => {
  const pod = { KUBERNETES_SERVICE_HOST: '172.20.0.1', POD_NAME: 'web-7d9c-x2x4q' };

  test('on an EC2 node: the zone comes from instance metadata, IMDSv2 token first', async () => {
    const imds = await fakeEndpoint((request) => {
      if (request.method === 'PUT' && request.url === '/latest/api/token') return [200, 'token-123'];
      if (request.url === '/latest/meta-data/placement/availability-zone') {
        return request.headers['x-aws-ec2-metadata-token'] === 'token-123' ? [200, 'eu-west-1a'] : [401, ''];
      }
      return [404, ''];
    });
    const env = {
      ...pod,
      NODE_NAME: 'ip-10-0-1-2.eu-west-1.compute.internal',
      AWS_EC2_METADATA_SERVICE_ENDPOINT: `${imds.url}/`,
    };

    const facts = await detectPlatform({ env });

    expect(facts).toEqual({
      platform: 'eks-ec2',
      platformName: 'EKS on EC2',
      replicaKind: 'pod',
      replicaId: 'web-7d9c-x2x4q',
      availabilityZone: 'eu-west-1a',
      node: 'ip-10-0-1-2.eu-west-1.compute.internal',
      hostname: hostname(),
      detectionErrors: [],
    });
    expect(imds.requests.map((request) => request.method)).toEqual(['PUT', 'GET']);
    expect(imds.requests[0].headers['x-aws-ec2-metadata-token-ttl-seconds']).toBeDefined();
  });

  test('on an EC2 node whose metadata is out of reach (hop limit 1): zone unknown, reason kept', async () => {
    const imds = await fakeEndpoint(() => undefined);
    const env = {
      ...pod,
      NODE_NAME: 'ip-10-0-1-2.eu-west-1.compute.internal',
      AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url,
    };

    const facts = await detectPlatform({ env, timeoutMs: 50 });

    expect(facts).toMatchObject({ platform: 'eks-ec2', availabilityZone: 'unknown' });
    expect(facts.detectionErrors).toEqual([
      expect.stringContaining(`PUT ${imds.url}/latest/api/token failed`),
    ]);
  });

  test('on Fargate (a fargate- node): EKS on Fargate, and no instance metadata to ask', async () => {
    const env = { ...pod, NODE_NAME: 'fargate-ip-10-0-3-4.eu-west-1.compute.internal' };

    const facts = await detectPlatform({ env, fetch: noFetch });

    expect(facts).toMatchObject({
      platform: 'eks-fargate',
      platformName: 'EKS on Fargate',
      availabilityZone: 'unknown',
    });
    expect(facts.detectionErrors).toEqual([]);
    expect(noFetch).not.toHaveBeenCalled();
  });

  test('AVAILABILITY_ZONE from the chart wins over any lookup; the pod name falls back to HOSTNAME', async () => {
    const env = {
      KUBERNETES_SERVICE_HOST: '172.20.0.1',
      HOSTNAME: 'web-abc',
      AVAILABILITY_ZONE: 'eu-west-1c',
    };

    const facts = await detectPlatform({ env, fetch: noFetch });

    expect(facts).toMatchObject({ platform: 'eks', replicaId: 'web-abc', availabilityZone: 'eu-west-1c' });
    expect(noFetch).not.toHaveBeenCalled();
  });
});

test('App Runner: no metadata to detect from, so the hint decides', async () => {
  const facts = await detectPlatform({ env: {}, hint: 'apprunner', fetch: noFetch });

  expect(facts).toMatchObject({
    platform: 'apprunner',
    platformName: 'App Runner',
    replicaKind: 'instance',
    replicaId: hostname(),
    availabilityZone: 'unknown',
  });
  expect(noFetch).not.toHaveBeenCalled();
});

test('nothing to detect and no hint: local', async () => {
  const facts = await detectPlatform({ env: {}, fetch: noFetch });

  expect(facts).toMatchObject({ platform: 'local', replicaKind: 'process', replicaId: String(process.pid) });
});
