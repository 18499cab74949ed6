import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handler, type LifecycleHookEvent, smokeTest } from '../../lib/ecs/smoke-test-handler';

/**
 * The blue/green smoke test against a real HTTP server on loopback standing in for the test
 * listener, with the payload ECS documents for a lifecycle hook
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-lifecycle-hooks.html).
 */
// Lambda's runtime ships the SDK; here a stand-in whose DescribeNetworkInterfaces finds one load
// balancer node, on loopback, and records what it was asked
const describeCalls: unknown[] = [];
jest.mock(
  '@aws-sdk/client-ec2',
  () => ({
    EC2Client: class {
      send = async (command: { input: unknown }) => {
        describeCalls.push(command.input);
        return { NetworkInterfaces: [{ PrivateIpAddress: '127.0.0.1' }] };
      };
    },
    DescribeNetworkInterfacesCommand: class {
      constructor(readonly input: unknown) {}
    },
  }),
  { virtual: true },
);

const SERVICE = 'arn:aws:ecs:eu-west-1:123456789012:service/coa-cluster/coa-fargate';
const GREEN = 'arn:aws:ecs:eu-west-1:123456789012:service-revision/coa-cluster/coa-fargate/0002';
const BLUE = 'arn:aws:ecs:eu-west-1:123456789012:service-revision/coa-cluster/coa-fargate/0001';
/** At POST_TEST_TRAFFIC_SHIFT: all test traffic on green, all production traffic still on blue. */
const EVENT: LifecycleHookEvent = {
  serviceArn: SERVICE,
  targetServiceRevisionArn: GREEN,
  testTrafficWeights: { [GREEN]: 100, [BLUE]: 0 },
  productionTrafficWeights: { [GREEN]: 0, [BLUE]: 100 },
};

type Green = 'healthy' | 'failing' | 'other platform' | 'silent';
let green: Green = 'healthy';
const requested: string[] = [];
const held: ServerResponse[] = [];

const page = (platform: string) =>
  `<!doctype html><html><head><title>Guestbook</title></head><body class="platform-${platform}"><h1>Running on</h1></body></html>`;

const server = createServer((request, response) => {
  requested.push(request.url!);
  if (green === 'silent') return void held.push(response);
  if (request.url!.startsWith('/healthz')) {
    response.writeHead(green === 'failing' ? 500 : 200).end('ok');
  } else {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(page(green === 'other platform' ? 'ecs-ec2' : 'ecs-fargate'));
  }
});
let origin: string;

beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  Object.assign(process.env, {
    PLATFORM: 'ecs-fargate',
    TEST_LISTENER_PORT: String(port),
    LOAD_BALANCER_FULL_NAME: 'app/EcsSta-Alb16-abc/0123456789abcdef',
  });
});
afterEach(() => {
  held.splice(0).forEach((response) => response.destroy());
  requested.length = 0;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

let log: jest.SpyInstance;
beforeEach(() => (log = jest.spyOn(console, 'log').mockImplementation(() => undefined)));
afterEach(() => log.mockRestore());
const problemsLogged = () => JSON.parse(log.mock.calls[0][0]).problems as string[];

describe('blue/green smoke test hook', () => {
  test('healthy green: SUCCEEDED, after asking the pinned /healthz and page through the load balancer node', async () => {
    green = 'healthy';
    await expect(handler(EVENT)).resolves.toEqual({ hookStatus: 'SUCCEEDED' });
    expect(requested.sort()).toEqual(['/?platform=ecs-fargate', '/healthz?platform=ecs-fargate']);
    expect(describeCalls.at(-1)).toEqual({
      Filters: [{ Name: 'description', Values: ['ELB app/EcsSta-Alb16-abc/0123456789abcdef'] }],
    });
  });

  test('/healthz answers 500: FAILED, so ECS rolls back before production traffic moves', async () => {
    green = 'failing';
    await expect(handler(EVENT)).resolves.toEqual({ hookStatus: 'FAILED' });
    expect(problemsLogged()).toEqual([`${origin}/healthz: status 500`]);
  });

  test('the page names another platform: FAILED (the test path reached the wrong service)', async () => {
    green = 'other platform';
    await expect(handler(EVENT)).resolves.toEqual({ hookStatus: 'FAILED' });
    expect(problemsLogged()).toEqual([`${origin}/: the page does not name ecs-fargate`]);
  });

  test('green never answers: FAILED once the request timeout passes', async () => {
    green = 'silent';
    await expect(smokeTest(EVENT, [origin], 'ecs-fargate', 200)).resolves.toEqual({ hookStatus: 'FAILED' });
    expect(problemsLogged()).toEqual([
      `${origin}/healthz: no answer in 200 ms`,
      `${origin}/: no answer in 200 ms`,
    ]);
  });

  test('every load balancer node must pass: one refusing connections fails the hook', async () => {
    green = 'healthy';
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const deadOrigin = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    closed.close();
    await expect(smokeTest(EVENT, [origin, deadOrigin], 'ecs-fargate', 1000)).resolves.toEqual({
      hookStatus: 'FAILED',
    });
    expect(problemsLogged()).toEqual([
      expect.stringMatching(new RegExp(`^${deadOrigin}/healthz: TypeError: fetch failed`)),
      expect.stringMatching(new RegExp(`^${deadOrigin}/: TypeError: fetch failed`)),
    ]);
  });

  test('no load balancer node found: FAILED, never a silent pass', async () => {
    await expect(smokeTest(EVENT, [], 'ecs-fargate', 1000)).resolves.toEqual({ hookStatus: 'FAILED' });
    expect(problemsLogged()).toEqual(['no load balancer address to test through']);
  });
});
