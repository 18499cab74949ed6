import {
  CfnOutput,
  CrossStackReferences,
  Duration,
  ReferenceStrength,
  Stack,
  StackProps,
  Validations,
} from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { accessLogBucket } from './access-log-bucket';
import type { CpuArchitecture, EcsConfig } from './config';
import { addGuestbookVolume, GuestbookStorage } from './ecs/guestbook-volume';
import { SampleAppTask } from './ecs/sample-app-task';
import { GuestbookFileSystem } from './guestbook-file-system';
import { insightsCluster } from './insights-cluster';
import type { SampleAppImage } from './registry-stack';
import { SAMPLE_APP } from './sample-app';
import type { StagePolicy } from './stage';

export interface EcsStackProps extends StackProps {
  readonly ecs: EcsConfig;
  readonly policy: StagePolicy;
  readonly vpc: ec2.IVpc;
  readonly image: SampleAppImage;
}

/** ALB health checks on /healthz; the services' grace period is derived from them. */
const HEALTH_CHECK = { interval: Duration.seconds(10), healthyThresholdCount: 2, unhealthyThresholdCount: 3 };

/**
 * A request carrying `?platform=<id>` goes to that service; the ids are the ones the page and
 * /api/info show, so what you ask for is what the page says answered.
 */
const PIN_PARAMETER = 'platform';

/**
 * Amazon ECS, both launch types side by side: an EC2 service on an Auto Scaling group capacity
 * provider and a Fargate service, behind one Application Load Balancer, sharing one EFS guestbook.
 */
export class EcsStack extends Stack {
  readonly cluster: ecs.ICluster;
  /** The shared guestbook; mount it into another task definition with `addGuestbookVolume`. */
  readonly guestbook: GuestbookStorage;

  constructor(scope: Construct, id: string, props: EcsStackProps) {
    super(scope, id, props);
    const { ecs: config, policy, vpc, image } = props;
    const production = policy.stage === 'production';

    // The cluster. Container Insights: cluster, service and task metrics; "enhanced" adds
    // container-level detail, worth its price where someone is paged.
    const cluster = insightsCluster(
      this,
      'Cluster',
      {
        vpc,
        containerInsightsV2: production ? ecs.ContainerInsights.ENHANCED : ecs.ContainerInsights.ENABLED,
        enableFargateCapacityProviders: true,
      },
      policy,
    );
    this.cluster = cluster;

    // EC2 launch type: we provision the instances, the ECS agent on each registers it in the cluster.
    const capacityProvider = ec2CapacityProvider(this, vpc, config, production, image.cpuArchitecture);
    cluster.addAsgCapacityProvider(capacityProvider);
    // A capacity provider needs ECS's service-linked role, which a new account gets with its first
    // cluster: create it after the cluster. (The launch template's user data names the cluster, so
    // the order holds today; this keeps it if that changes.)
    for (const child of capacityProvider.node.children) {
      if (child instanceof ecs.CfnCapacityProvider)
        child.addResourceDependency(cluster.node.defaultChild as ecs.CfnCluster);
    }

    // Shared by both services: one log group (a stream prefix per launch type), one secret and one
    // parameter (seeds: "reference secrets from Secrets Manager or SSM Parameter Store").
    const logGroup = new logs.LogGroup(this, 'SampleAppLogs', {
      retention: policy.logRetention,
      removalPolicy: policy.logRemovalPolicy,
    });
    const apiKey = new secretsmanager.Secret(this, 'SampleAppApiKey', {
      description: 'Sample app: a generated secret ECS hands to the container as APP_API_KEY',
      generateSecretString: { passwordLength: 32, excludePunctuation: true },
      removalPolicy: policy.dataRemovalPolicy,
    });
    Validations.of(apiKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A demo value with no system behind it to rotate; rotation would need a rotation Lambda for nothing',
    });
    const welcome = new ssm.StringParameter(this, 'SampleAppWelcome', {
      description: 'Sample app: a plain setting ECS hands to the container as WELCOME_MESSAGE',
      stringValue: 'Hello from Amazon ECS',
    });
    const secrets = {
      APP_API_KEY: ecs.Secret.fromSecretsManager(apiKey),
      WELCOME_MESSAGE: ecs.Secret.fromSsmParameter(welcome),
    };

    // EFS: tasks in every AZ, on EC2 and on Fargate, share the same files (Fargate + EFS = serverless).
    // The access point makes every client the app's user and creates the directory on first mount.
    const { fileSystem } = new GuestbookFileSystem(this, 'Guestbook', { vpc, policy });
    const { uid, gid } = SAMPLE_APP.user;
    const accessPoint = fileSystem.addAccessPoint('GuestbookAccessPoint', {
      path: '/guestbook',
      posixUser: { uid: String(uid), gid: String(gid) },
      createAcl: { ownerUid: String(uid), ownerGid: String(gid), permissions: '755' },
    });
    this.guestbook = { fileSystem, accessPoint };
    // The patterns stack mounts this guestbook on this cluster. A weak reference (Fn::GetStackOutput)
    // is read only when its consumer deploys, and the CLI skips an unchanged stack: a replaced access
    // point or security group would leave the patterns' tasks mounting the old one. Strong references
    // (exports) make such a replacement fail this stack's deploy instead, saying which stack uses it.
    for (const shared of [cluster, fileSystem, accessPoint, ...fileSystem.connections.securityGroups]) {
      CrossStackReferences.of(shared).produce(ReferenceStrength.STRONG);
    }

    const bothTasks = { image, cpu: config.taskCpu, memoryMiB: config.taskMemoryMiB, logGroup, secrets };
    const ec2Task = new SampleAppTask(this, 'Ec2Task', { ...bothTasks, launchType: 'ec2' });
    const fargateTask = new SampleAppTask(this, 'FargateTask', { ...bothTasks, launchType: 'fargate' });
    for (const task of [ec2Task, fargateTask]) {
      addGuestbookVolume(task.taskDefinition, task.container, this.guestbook);
    }

    // Rolling deployments (seeds: "min & max healthy %"): start the new task before stopping the old
    // one, and roll back by themselves when new tasks keep failing. The grace period covers start-up
    // plus the health checks the load balancer needs to call a new task healthy.
    const deployment = {
      cluster,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriod: Duration.seconds(
        SAMPLE_APP.startupSeconds + HEALTH_CHECK.healthyThresholdCount * HEALTH_CHECK.interval.toSeconds(),
      ),
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      enableECSManagedTags: true,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    };
    const ec2Service = new ecs.Ec2Service(this, 'Ec2Service', {
      ...deployment,
      taskDefinition: ec2Task.taskDefinition,
      capacityProviderStrategies: [{ capacityProvider: capacityProvider.capacityProviderName, weight: 1 }],
      // one task per AZ first, then fill instances up before the capacity provider adds another
      placementStrategies: [
        ecs.PlacementStrategy.spreadAcross(ecs.BuiltInAttributes.AVAILABILITY_ZONE),
        ecs.PlacementStrategy.packedByMemory(),
      ],
    });
    const fargateService = new ecs.FargateService(this, 'FargateService', {
      ...deployment,
      taskDefinition: fargateTask.taskDefinition,
      assignPublicIp: false,
      // with Fargate Spot: the first task on regular Fargate so a Spot interruption never empties the
      // service, every further task on Fargate Spot at a discount
      capacityProviderStrategies: policy.fargateSpot
        ? [
            { capacityProvider: 'FARGATE', base: 1, weight: 0 },
            { capacityProvider: 'FARGATE_SPOT', weight: 1 },
          ]
        : [{ capacityProvider: 'FARGATE', weight: 1 }],
    });
    for (const service of [ec2Service, fargateService]) {
      fileSystem.connections.allowDefaultPortFrom(service);
      // a capacity provider strategy is valid only once the cluster lists the provider; CloudFormation
      // must not create the service (or delete the list) before that
      service.node.addDependency(cluster);
    }

    // One internet-facing ALB, one listener. Without DNS, host names cannot tell the services apart,
    // and the app serves `/` so paths cannot either: a query parameter pins a service
    // (`/?platform=ecs-fargate`), and everything else is spread evenly over both, so reloading
    // the plain URL shows the two platforms taking turns over the same guestbook.
    const alb = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      deletionProtection: production,
      dropInvalidHeaderFields: true,
    });
    this.logAccessLogs(alb, policy);
    const ec2Target = sampleAppTargetGroup(this, 'Ec2TargetGroup', vpc, ec2Service, policy);
    const fargateTarget = sampleAppTargetGroup(this, 'FargateTargetGroup', vpc, fargateService, policy);
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
          defaultAction,
        })
      : alb.addListener('Http', { port: 80, defaultAction });
    if (certificateArn) alb.addRedirect();
    const pinned = [
      { platform: 'ecs-ec2', targetGroup: ec2Target, priority: 10 },
      { platform: 'ecs-fargate', targetGroup: fargateTarget, priority: 20 },
    ];
    for (const { platform, targetGroup, priority } of pinned) {
      listener.addAction(`Pin-${platform}`, {
        priority,
        conditions: [elbv2.ListenerCondition.queryStrings([{ key: PIN_PARAMETER, value: platform }])],
        action: elbv2.ListenerAction.forward([targetGroup]),
      });
    }
    Validations.of(alb).acknowledge({
      id: 'AwsSolutions-EC23',
      reason:
        'The public entry point of the sample app: its listener ports are open to the internet by design',
    });

    // Service auto scaling (Application Auto Scaling) changes the number of tasks; it never adds
    // instances: that is the capacity provider's managed scaling, above.
    const ec2Scaling = scaleWithLoad(ec2Service, ec2Target, config);
    const fargateScaling = scaleWithLoad(fargateService, fargateTarget, config);

    // Step scaling reacts to an alarm in proportion to how far it is breached: use it for a metric
    // target tracking cannot hold at a value, like latency. On Fargate, where a task starts in a
    // minute without waiting for an instance.
    fargateScaling.scaleOnMetric('SlowResponses', {
      metric: fargateTarget.metrics.targetResponseTime({ statistic: 'p90', period: Duration.minutes(1) }),
      scalingSteps: [
        { upper: 0.5, change: 0 },
        { lower: 0.5, change: +1 },
        { lower: 1, change: +3 },
      ],
      adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      cooldown: Duration.minutes(2),
    });
    // Scheduled scaling prepares for load you can predict. On EC2, where extra tasks may wait minutes
    // for the capacity provider to launch an instance: raise the floor before office hours (UTC),
    // drop it back in the evening.
    const officeHoursFloor = Math.min(config.taskMinCount * 2, config.taskMaxCount);
    ec2Scaling.scaleOnSchedule('OfficeHours', {
      schedule: appscaling.Schedule.cron({ weekDay: 'MON-FRI', hour: '7', minute: '0' }),
      minCapacity: officeHoursFloor,
    });
    ec2Scaling.scaleOnSchedule('AfterHours', {
      schedule: appscaling.Schedule.cron({ weekDay: 'MON-FRI', hour: '19', minute: '0' }),
      minCapacity: config.taskMinCount,
    });

    const url = certificateArn ? `https://${domainName}/` : `http://${alb.loadBalancerDnsName}/`;
    new CfnOutput(this, 'Url', { value: url, description: 'Both services, taking turns' });
    for (const { platform } of pinned) {
      new CfnOutput(this, `Url-${platform}`, { value: `${url}?${PIN_PARAMETER}=${platform}` });
    }
    if (certificateArn) {
      new CfnOutput(this, 'AlbDnsName', {
        value: alb.loadBalancerDnsName,
        description: `Point a CNAME (or alias) for ${domainName} here`,
      });
    }

    if (config.nlb) this.addNetworkLoadBalancer(vpc, fargateService, policy);
  }

  /**
   * Production keeps ALB access logs in S3, as long as the logs' retention. Sandbox has none, so
   * `cdk destroy` leaves nothing.
   */
  private logAccessLogs(alb: elbv2.ApplicationLoadBalancer, policy: StagePolicy): void {
    if (policy.stage !== 'production') {
      Validations.of(alb).acknowledge({
        id: 'AwsSolutions-ELB2',
        reason: 'Sandbox: no access-log bucket to outlive cdk destroy; the production stage logs to S3',
      });
      return;
    }
    const bucket = accessLogBucket(this, 'AlbAccessLogs', policy);
    alb.logAccessLogs(bucket, 'alb');
  }

  /**
   * NLB (seeds: "high throughput, or to pair with AWS PrivateLink"): layer 4, passes TCP through to
   * the Fargate tasks; an internal NLB is what a VPC endpoint service (PrivateLink) is built on.
   */
  private addNetworkLoadBalancer(vpc: ec2.IVpc, service: ecs.FargateService, policy: StagePolicy): void {
    const nlb = new elbv2.NetworkLoadBalancer(this, 'Nlb', {
      vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      deletionProtection: policy.stage === 'production',
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
    new CfnOutput(this, 'NlbUrl', { value: `http://${nlb.loadBalancerDnsName}/` });
  }
}

/**
 * The Auto Scaling group and the capacity provider that scales it (seeds: "ECS service auto scaling
 * is not EC2 auto scaling": this is the EC2 half).
 */
function ec2CapacityProvider(
  scope: Construct,
  vpc: ec2.IVpc,
  config: EcsConfig,
  production: boolean,
  cpuArchitecture: CpuArchitecture,
): ecs.AsgCapacityProvider {
  // EC2 instance profile (seeds: "used by the ECS agent"): register the instance, poll for work,
  // report task state. CDK adds those permissions when the capacity provider joins the cluster.
  // Pulling images, writing task logs and reading secrets are the tasks' execution roles' job.
  const instanceRole = new iam.Role(scope, 'InstanceRole', {
    assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
    description: 'EC2 instance profile of the ECS container instances: what the ECS agent needs',
  });
  Validations.of(instanceRole).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      "CDK's ECS agent policy: DiscoverPollEndpoint and GetAuthorizationToken have no resource scope, Poll and StartTelemetrySession are conditioned on this cluster, and the log actions cover the agent's own fallback",
  });
  Validations.of(instanceRole).acknowledge({
    id: 'AwsSolutions-IAM5[Action::ecs:Submit*]',
    reason:
      "CDK's ECS agent policy: the agent submits task, container and attachment state changes, on this cluster only",
  });

  // The ECS-optimized Amazon Linux 2023 AMI, resolved by EC2 each time it launches an instance
  // (`resolve:ssm:` in the launch template), not by CloudFormation at deploy: a new AMI release
  // changes nothing in the template, so a routine deploy never replaces instances. New instances
  // (scale-out, replacement, instance refresh) start from the latest AMI.
  const amiParameter = `/aws/service/ecs/optimized-ami/amazon-linux-2023/${cpuArchitecture === 'arm64' ? 'arm64/' : ''}recommended/image_id`;
  const userData = ec2.UserData.forLinux();
  userData.addCommands(
    // awsvpc tasks have their own task roles: keep them away from the instance's credentials
    'echo ECS_AWSVPC_BLOCK_IMDS=true >> /etc/ecs/ecs.config',
    // on the two-minute Spot interruption notice, drain the instance so tasks move first
    ...(config.spot ? ['echo ECS_ENABLE_SPOT_INSTANCE_DRAINING=true >> /etc/ecs/ecs.config'] : []),
  );
  const launchTemplate = new ec2.LaunchTemplate(scope, 'LaunchTemplate', {
    machineImage: ec2.MachineImage.resolveSsmParameterAtLaunch(amiParameter),
    userData,
    instanceType: new ec2.InstanceType(config.instanceType),
    role: instanceRole,
    securityGroup: new ec2.SecurityGroup(scope, 'InstanceSecurityGroup', {
      vpc,
      description: 'ECS container instances: no inbound; outbound to ECS, ECR and CloudWatch',
    }),
    requireImdsv2: true,
    blockDevices: [
      {
        deviceName: '/dev/xvda',
        volume: ec2.BlockDeviceVolume.ebs(30, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
      },
    ],
  });

  const autoScalingGroup = new autoscaling.AutoScalingGroup(scope, 'AutoScalingGroup', {
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    minCapacity: config.asgMinCapacity,
    maxCapacity: config.asgMaxCapacity,
    ...(config.spot
      ? {
          mixedInstancesPolicy: {
            launchTemplate,
            instancesDistribution: {
              onDemandBaseCapacity: 0,
              onDemandPercentageAboveBaseCapacity: 0,
              spotAllocationStrategy: autoscaling.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
            },
          },
        }
      : { launchTemplate }),
  });
  if (config.spot) {
    Validations.of(autoScalingGroup).acknowledge({
      id: 'AwsSolutions-EC26',
      reason:
        'The launch template encrypts the root volume; the rule cannot follow a mixed instances policy to it',
    });
  }
  Validations.of(autoScalingGroup).acknowledge({
    id: 'AwsSolutions-AS3',
    reason:
      "Scaling is the capacity provider's: its decisions show in the ECS service events and the group's activity history, which is where an operator looks",
  });

  return new ecs.AsgCapacityProvider(scope, 'Ec2CapacityProvider', {
    autoScalingGroup,
    // managed scaling: ECS keeps the group at the size the tasks need (seeds: "add EC2 instances
    // when you're missing capacity"), filled to this percentage
    enableManagedScaling: true,
    targetCapacityPercent: config.capacityTargetPercent,
    // Managed termination protection: scale-in only ends instances without tasks. Production: yes,
    // a scale-in never stops a running task. Sandbox: no, because protected instances that still run
    // tasks keep the group, and `cdk destroy`, from finishing.
    enableManagedTerminationProtection: production,
    // whatever the group terminates (scale-in, instance refresh, rebalancing) is drained of tasks first
    enableManagedDraining: true,
  });
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
 * Target tracking on the three metrics of the seeds, within the configured task counts. Each
 * policy keeps its metric near the target; the service scales out when any asks for it and in
 * only when all agree.
 */
function scaleWithLoad(
  service: ecs.BaseService,
  targetGroup: elbv2.ApplicationTargetGroup,
  config: EcsConfig,
): ecs.ScalableTaskCount {
  const scaling = service.autoScaleTaskCount({
    minCapacity: config.taskMinCount,
    maxCapacity: config.taskMaxCount,
  });
  scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 });
  scaling.scaleOnMemoryUtilization('Memory', { targetUtilizationPercent: 75 });
  scaling.scaleOnRequestCount('Requests', { requestsPerTarget: 600, targetGroup });
  return scaling;
}
