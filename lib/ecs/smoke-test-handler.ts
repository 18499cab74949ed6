/**
 * The blue/green smoke test (lib/ecs/deployment-strategy.ts): an ECS deployment lifecycle hook that
 * runs once ECS has pointed the test listener at the green tasks, before any production traffic
 * moves. It asks green, through every node of the load balancer, for `/healthz` (200) and for the
 * page, which must name the service's platform; any other answer, or none in time, fails the
 * deployment and ECS rolls back to blue.
 *
 * The load balancer is internet-facing: its DNS name resolves to public addresses, which this
 * function (in private subnets) would reach only through NAT, from an address the test port cannot
 * allow. So it asks EC2 for the load balancer's network interfaces, in this VPC, and calls their
 * private addresses: the test port admits this function's security group and nothing else.
 *
 * This file is the function's whole code: esbuild transpiles it alone at synth, so it imports only
 * Node.js built-ins, and the AWS SDK v3 that the Lambda Node.js runtime ships, loaded lazily.
 *
 * The event and the answer, from the Amazon ECS Developer Guide:
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-lifecycle-hooks.html
 * (the payload's common fields) and
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/lambda-lifecycle-hooks.html
 * (`hookStatus`: SUCCEEDED continues, FAILED rolls back, IN_PROGRESS asks to be called again).
 * The network interfaces' description, `ELB app/<name>/<id>`, from
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html
 */

/** What ECS sends at every lifecycle stage. */
export interface LifecycleHookEvent {
  readonly serviceArn: string;
  readonly targetServiceRevisionArn: string;
  /** Service revision ARN -> percentage of test traffic it receives. */
  readonly testTrafficWeights: Record<string, number>;
  /** Service revision ARN -> percentage of production traffic it receives. */
  readonly productionTrafficWeights: Record<string, number>;
}

/** What ECS expects back. This hook decides at once: it never asks to be called again. */
export interface LifecycleHookResponse {
  readonly hookStatus: 'SUCCEEDED' | 'FAILED';
}

/** The function's environment, set by lib/ecs/deployment-strategy.ts. */
export interface SmokeTestEnvironment {
  /** The platform id the service's page shows (`ecs-fargate`), which also pins it on the test listener. */
  readonly PLATFORM: string;
  readonly TEST_LISTENER_PORT: string;
  /** The load balancer's `app/<name>/<id>`. */
  readonly LOAD_BALANCER_FULL_NAME: string;
}

/** How long one request may take: a healthy task answers in milliseconds. */
export const REQUEST_TIMEOUT_MS = 5000;

export async function handler(event: LifecycleHookEvent): Promise<LifecycleHookResponse> {
  const env = process.env as unknown as SmokeTestEnvironment;
  const addresses = await loadBalancerAddresses(env.LOAD_BALANCER_FULL_NAME);
  const origins = addresses.map((address) => `http://${address}:${env.TEST_LISTENER_PORT}`);
  return smokeTest(event, origins, env.PLATFORM, REQUEST_TIMEOUT_MS);
}

/** Checks green through each origin; SUCCEEDED only if every check passes everywhere. */
export async function smokeTest(
  event: LifecycleHookEvent,
  origins: readonly string[],
  platform: string,
  timeoutMs: number,
): Promise<LifecycleHookResponse> {
  const problems =
    origins.length === 0
      ? ['no load balancer address to test through']
      : (await Promise.all(origins.map((origin) => problemsAt(origin, platform, timeoutMs)))).flat();
  const hookStatus = problems.length === 0 ? 'SUCCEEDED' : 'FAILED';
  // one line per invocation, for the function's log: what was tested and why it failed
  console.log(
    JSON.stringify({ hookStatus, revision: event.targetServiceRevisionArn, platform, origins, problems }),
  );
  return { hookStatus };
}

/** What is wrong with green as seen through one load balancer node, if anything. */
async function problemsAt(origin: string, platform: string, timeoutMs: number): Promise<string[]> {
  const pin = `platform=${encodeURIComponent(platform)}`;
  const [health, page] = await Promise.all([
    get(`${origin}/healthz?${pin}`, timeoutMs),
    get(`${origin}/?${pin}`, timeoutMs),
  ]);
  const problems: string[] = [];
  if (health.status !== 200)
    problems.push(`${origin}/healthz: ${health.problem ?? `status ${health.status}`}`);
  if (page.status !== 200) problems.push(`${origin}/: ${page.problem ?? `status ${page.status}`}`);
  // the page's body carries the platform's class (app/src/page.ts): the answer came from this service
  else if (!page.body.includes(`<body class="platform-${platform}">`)) {
    problems.push(`${origin}/: the page does not name ${platform}`);
  }
  return problems;
}

async function get(
  url: string,
  timeoutMs: number,
): Promise<{ status?: number; body: string; problem?: string }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    // an abort is a DOMException, not always an Error of this realm
    const timedOut = (error as { name?: string } | undefined)?.name === 'TimeoutError';
    return { body: '', problem: timedOut ? `no answer in ${timeoutMs} ms` : String(error) };
  }
}

/** The private addresses of the load balancer's nodes, one per AZ, from its network interfaces. */
async function loadBalancerAddresses(loadBalancerFullName: string): Promise<string[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved in Lambda, not bundled
  const sdk = require('@aws-sdk/client-ec2');
  const { NetworkInterfaces = [] } = await new sdk.EC2Client({}).send(
    new sdk.DescribeNetworkInterfacesCommand({
      Filters: [{ Name: 'description', Values: [`ELB ${loadBalancerFullName}`] }],
    }),
  );
  return (NetworkInterfaces as { PrivateIpAddress?: string }[]).flatMap((eni) =>
    eni.PrivateIpAddress ? [eni.PrivateIpAddress] : [],
  );
}
