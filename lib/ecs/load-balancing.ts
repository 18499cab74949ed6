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
}

export interface SampleAppLoadBalancing {
  readonly alb: elbv2.ApplicationLoadBalancer;
  readonly ec2Target: elbv2.ApplicationTargetGroup;
  readonly fargateTarget: elbv2.ApplicationTargetGroup;
  /** The app's URL: both services taking turns. */
  readonly url: string;
  /** The URL that reaches one service only, by the platform id the page shows. */
  readonly pinnedUrls: Record<'ecs-ec2' | 'ecs-fargate', string>;
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
  const ec2Target = sampleAppTargetGroup(scope, 'Ec2TargetGroup', vpc, props.ec2Service, policy);
  const fargateTarget = sampleAppTargetGroup(scope, 'FargateTargetGroup', vpc, props.fargateService, policy);
  const defaultAction = elbv2.ListenerAction.weightedForward([
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
  const pinned = [
    { platform: 'ecs-ec2', targetGroup: ec2Target, priority: 10 },
    { platform: 'ecs-fargate', targetGroup: fargateTarget, priority: 20 },
  ] as const;
  for (const { platform, targetGroup, priority } of pinned) {
    listener.addAction(`Pin-${platform}`, {
      priority,
      conditions: [elbv2.ListenerCondition.queryStrings([{ key: PIN_PARAMETER, value: platform }])],
      action: elbv2.ListenerAction.forward([targetGroup]),
    });
  }
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
  };
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

/** A target group for one service: tasks by IP (awsvpc), health-checked on /healthz. */
function sampleAppTargetGroup(
  scope: Construct,
  id: string,
  vpc: ec2.IVpc,
  service: ecs.BaseService,
  policy: StagePolicy,
): elbv2.ApplicationTargetGroup {
  return new elbv2.ApplicationTargetGroup(scope, id, {
    vpc,
    port: SAMPLE_APP.port,
    protocol: elbv2.ApplicationProtocol.HTTP,
    targetType: elbv2.TargetType.IP,
    targets: [service],
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
