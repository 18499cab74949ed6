import { Duration, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { Construct } from 'constructs';
import { accessLogBucket } from '../access-log-bucket';
import type { EcsConfig } from '../config';
import { SAMPLE_APP, type SampleAppShutdown } from '../sample-app';
import type { StagePolicy } from '../stage';

/** ALB health checks on /healthz; the services' grace period is derived from them. */
export const HEALTH_CHECK = {
  interval: Duration.seconds(10),
  healthyThresholdCount: 2,
  unhealthyThresholdCount: 3,
};

/**
 * How a task on Fargate Spot stops. An interrupted FARGATE_SPOT task can stay registered in its target
 * group until it has stopped: only failing health checks (interval x unhealthy threshold) take it out
 * of rotation, so it keeps answering, `/healthz` with 503, that long plus a margin, then exits.
 */
export const FARGATE_SPOT_SHUTDOWN: SampleAppShutdown = {
  drainSeconds: HEALTH_CHECK.interval.toSeconds() * HEALTH_CHECK.unhealthyThresholdCount + 10,
  timeoutSeconds: HEALTH_CHECK.interval.toSeconds() * HEALTH_CHECK.unhealthyThresholdCount + 20,
};

/**
 * A request carrying `?platform=<id>` goes to that service; the ids are the ones the page and
 * /api/info show, so what you ask for is what the page says answered.
 */
const PIN_PARAMETER = 'platform';

export interface SampleAppLoadBalancingProps {
  readonly vpc: ec2.IVpc;
  readonly policy: StagePolicy;
  readonly config: EcsConfig;
  readonly ec2Service: ecs.Ec2Service;
  readonly fargateService: ecs.FargateService;
  /**
   * ECS shifts each service's traffic between two target groups (blue/green, canary, linear): each
   * gets an alternate target group and a production listener rule of its own, which ECS manages, and
   * ECS registers the tasks itself (lib/ecs/deployment-strategy.ts).
   * @default false: rolling, the services register in one target group each
   */
  readonly trafficShifting?: boolean;
}

/** The platform ids the page shows, one per service behind the ALB. */
export type PinnedPlatform = 'ecs-ec2' | 'ecs-fargate';

/** A service's target group pair: ECS alternates which one is production. */
export interface TargetGroupPair {
  readonly primary: elbv2.ApplicationTargetGroup;
  readonly alternate: elbv2.ApplicationTargetGroup;
}

/** With traffic shifting, what ECS needs of one service's load balancing. */
export interface ShiftedTraffic extends TargetGroupPair {
  readonly productionRule: elbv2.ApplicationListenerRule;
}

export interface SampleAppLoadBalancing {
  readonly alb: elbv2.ApplicationLoadBalancer;
  readonly ec2Target: elbv2.ApplicationTargetGroup;
  readonly fargateTarget: elbv2.ApplicationTargetGroup;
  /** The app's URL: both services taking turns. */
  readonly url: string;
  /** The URL that reaches one service only, by the platform id the page shows. */
  readonly pinnedUrls: Record<PinnedPlatform, string>;
  /** With traffic shifting: each service's target group pair and production rule. */
  readonly shifted?: Record<PinnedPlatform, ShiftedTraffic>;
}

/**
 * One internet-facing ALB, one listener, for both services (concept: "ALB: HTTP, dynamic port mapping,
 * path and host routing"). Without DNS, host names cannot tell the services apart, and the app
 * serves `/` so paths cannot either: a query parameter pins a service (`/?platform=ecs-fargate`),
 * and everything else is spread evenly over both, so reloading the plain URL shows the two
 * platforms taking turns over the same guestbook.
 */
export function sampleAppLoadBalancing(
  scope: Construct,
  props: SampleAppLoadBalancingProps,
): SampleAppLoadBalancing {
  const { vpc, policy, config } = props;
  const alb = new elbv2.ApplicationLoadBalancer(scope, 'Alb', {
    vpc,
    internetFacing: true,
    vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
    deletionProtection: policy.deletionProtection,
    dropInvalidHeaderFields: true,
  });
  logAccessLogs(scope, alb, policy);
  // with traffic shifting, ECS registers the tasks in whichever group of the pair is green
  const shifting = props.trafficShifting ?? false;
  const targetGroup = (id: string, service?: ecs.BaseService) =>
    sampleAppTargetGroup(scope, id, vpc, shifting ? undefined : service, policy);
  const ec2Target = targetGroup('Ec2TargetGroup', props.ec2Service);
  const fargateTarget = targetGroup('FargateTargetGroup', props.fargateService);
  const pairs: Record<PinnedPlatform, TargetGroupPair> | undefined = shifting
    ? {
        'ecs-ec2': { primary: ec2Target, alternate: targetGroup('Ec2TargetGroupAlternate') },
        'ecs-fargate': { primary: fargateTarget, alternate: targetGroup('FargateTargetGroupAlternate') },
      }
    : undefined;
  // With traffic shifting every request matches a rule: the default action is never taken, but must
  // forward (ECS refuses listeners that mix forward with fixed-response or redirect actions).
  const defaultAction = pairs
    ? shiftableForward(pairs['ecs-fargate'])
    : elbv2.ListenerAction.weightedForward([
        { targetGroup: ec2Target, weight: 1 },
        { targetGroup: fargateTarget, weight: 1 },
      ]);
  // HTTPS when configured (the config takes a certificate only with its domain name), HTTP otherwise
  const { certificateArn, domainName } = config;
  const listener = certificateArn
    ? alb.addListener('Https', {
        port: 443,
        certificates: [elbv2.ListenerCertificate.fromArn(certificateArn)],
        // TLS 1.3 and 1.2 (AEAD ciphers only) with hybrid post-quantum key exchange: the policy the
        // Elastic Load Balancing guide recommends ("Security policies for your Application Load Balancer")
        sslPolicy: elbv2.SslPolicy.TLS13_12_RES_PQ,
        defaultAction,
      })
    : alb.addListener('Http', { port: 80, defaultAction });
  // port 80's only action is a redirect to 443 (Control Tower: CT.ELASTICLOADBALANCING.PR.1)
  if (certificateArn) alb.addRedirect();
  const rules = platformRules(
    listener,
    pairs
      ? {
          'ecs-ec2': shiftableForward(pairs['ecs-ec2']),
          'ecs-fargate': shiftableForward(pairs['ecs-fargate']),
        }
      : {
          'ecs-ec2': elbv2.ListenerAction.forward([ec2Target]),
          'ecs-fargate': elbv2.ListenerAction.forward([fargateTarget]),
        },
    shifting,
  );
  Validations.of(alb).acknowledge({
    id: 'AwsSolutions-EC23',
    reason: 'The public entry point of the sample app: its listener ports are open to the internet by design',
  });

  const url = certificateArn ? `https://${domainName}/` : `http://${alb.loadBalancerDnsName}/`;
  const pinnedUrl = (platform: string) => `${url}?${PIN_PARAMETER}=${platform}`;
  return {
    alb,
    ec2Target,
    fargateTarget,
    url,
    pinnedUrls: { 'ecs-ec2': pinnedUrl('ecs-ec2'), 'ecs-fargate': pinnedUrl('ecs-fargate') },
    shifted: pairs && {
      'ecs-ec2': { ...pairs['ecs-ec2'], productionRule: rules['ecs-ec2'] },
      'ecs-fargate': { ...pairs['ecs-fargate'], productionRule: rules['ecs-fargate'] },
    },
  };
}

/**
 * The rules that send each service its requests: `?platform=<id>` pins one. With traffic shifting
 * the Fargate rule matches every path instead, so it also takes the plain URL. ECS shifts a
 * service's traffic on a rule that forwards to exactly that service's pair; a rule (or default
 * action) spreading requests over both services would name four groups, and its weight on a primary
 * group would point at an empty group after the first blue/green swap.
 */
export function platformRules(
  listener: elbv2.ApplicationListener,
  actions: Record<PinnedPlatform, elbv2.ListenerAction>,
  fargateTakesTheRest: boolean,
): Record<PinnedPlatform, elbv2.ApplicationListenerRule> {
  const pinned = (platform: PinnedPlatform) =>
    elbv2.ListenerCondition.queryStrings([{ key: PIN_PARAMETER, value: platform }]);
  const rule = (platform: PinnedPlatform, priority: number, condition: elbv2.ListenerCondition) =>
    new elbv2.ApplicationListenerRule(listener, `Pin-${platform}Rule`, {
      listener,
      priority,
      conditions: [condition],
      action: actions[platform],
    });
  return {
    'ecs-ec2': rule('ecs-ec2', 10, pinned('ecs-ec2')),
    'ecs-fargate': rule(
      'ecs-fargate',
      20,
      fargateTakesTheRest ? elbv2.ListenerCondition.pathPatterns(['/*']) : pinned('ecs-fargate'),
    ),
  };
}

/**
 * A forward action ECS can shift: both target groups of a service, all traffic on the primary. ECS
 * rewrites the weights during a deployment (ECS Developer Guide, "Application Load Balancer
 * resources for blue/green, linear, and canary deployments").
 */
export function shiftableForward({ primary, alternate }: TargetGroupPair): elbv2.ListenerAction {
  return elbv2.ListenerAction.weightedForward([
    { targetGroup: primary, weight: 100 },
    { targetGroup: alternate, weight: 0 },
  ]);
}

/**
 * Production keeps ALB access logs in S3, as long as the logs' retention (`policy.accessLogs`).
 * Sandbox has none, so `cdk destroy` leaves nothing.
 */
function logAccessLogs(scope: Construct, alb: elbv2.ApplicationLoadBalancer, policy: StagePolicy): void {
  if (!policy.accessLogs) {
    Validations.of(alb).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason: 'Sandbox: no access-log bucket to outlive cdk destroy; the production stage logs to S3',
    });
    return;
  }
  const bucket = accessLogBucket(scope, 'AlbAccessLogs', policy);
  alb.logAccessLogs(bucket, 'alb');
}

/**
 * A target group for one service: tasks by IP (awsvpc), health-checked on /healthz. Without a
 * service when ECS registers the tasks itself (traffic shifting).
 */
function sampleAppTargetGroup(
  scope: Construct,
  id: string,
  vpc: ec2.IVpc,
  service: ecs.BaseService | undefined,
  policy: StagePolicy,
): elbv2.ApplicationTargetGroup {
  return new elbv2.ApplicationTargetGroup(scope, id, {
    vpc,
    port: SAMPLE_APP.port,
    protocol: elbv2.ApplicationProtocol.HTTP,
    targetType: elbv2.TargetType.IP,
    targets: service && [service],
    deregistrationDelay: policy.deregistrationDelay,
    healthCheck: { path: SAMPLE_APP.healthCheckPath, healthyHttpCodes: '200', ...HEALTH_CHECK },
  });
}

/**
 * NLB (concept: "high throughput, or to pair with AWS PrivateLink"): layer 4, passes TCP through to
 * the Fargate tasks; an internal NLB is what a VPC endpoint service (PrivateLink) is built on.
 * Returns its URL.
 */
export function sampleAppNetworkLoadBalancer(
  scope: Construct,
  vpc: ec2.IVpc,
  service: ecs.FargateService,
  policy: StagePolicy,
): string {
  const nlb = new elbv2.NetworkLoadBalancer(scope, 'Nlb', {
    vpc,
    internetFacing: true,
    vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
    deletionProtection: policy.deletionProtection,
  });
  nlb.connections.allowFromAnyIpv4(ec2.Port.tcp(80), 'HTTP from the internet');
  nlb.addListener('Tcp', { port: 80 }).addTargets('Fargate', {
    port: SAMPLE_APP.port,
    targets: [service],
    deregistrationDelay: policy.deregistrationDelay,
    healthCheck: { protocol: elbv2.Protocol.HTTP, path: SAMPLE_APP.healthCheckPath, ...HEALTH_CHECK },
  });
  service.connections.allowFrom(nlb, ec2.Port.tcp(SAMPLE_APP.port), 'from the NLB');
  Validations.of(nlb).acknowledge({
    id: 'AwsSolutions-EC23',
    reason: 'The optional public TCP entry point: port 80 is open to the internet by design',
  });
  Validations.of(nlb).acknowledge({
    id: 'AwsSolutions-ELB2',
    reason: 'An NLB writes access logs only for TLS listeners; this one passes TCP through',
  });
  return `http://${nlb.loadBalancerDnsName}/`;
}
