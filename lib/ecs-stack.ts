import { CfnOutput, CrossStackReferences, ReferenceStrength, Stack, StackProps } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { Alerts } from './alerts';
import type { EcsConfig } from './config';
import { sampleAppSettings } from './ecs/app-settings';
import { deploymentStrategyProps, SampleAppDeployments, shiftsTraffic } from './ecs/deployment-strategy';
import { ec2CapacityProvider } from './ecs/ec2-capacity';
import { observeEcs } from './ecs/dashboard';
import { EcsExec } from './ecs/exec';
import { addGuestbookVolume, EfsGuestbook, sampleAppGuestbook } from './ecs/guestbook-volume';
import {
  FARGATE_SPOT_SHUTDOWN,
  sampleAppLoadBalancing,
  sampleAppNetworkLoadBalancer,
} from './ecs/load-balancing';
import { rollingDeployment } from './ecs/rolling-deployment';
import { SampleAppTask } from './ecs/sample-app-task';
import { scaleSampleAppServices } from './ecs/scaling';
import { WebAcl } from './ecs/web-acl';
import { insightsCluster } from './insights-cluster';
import type { SampleAppImage } from './sample-app';
import type { StagePolicy } from './stage';

export interface EcsStackProps extends StackProps {
  readonly ecs: EcsConfig;
  readonly policy: StagePolicy;
  readonly vpc: ec2.IVpc;
  readonly image: SampleAppImage;
}

/**
 * Amazon ECS, both launch types side by side: an EC2 service on an Auto Scaling group capacity
 * provider and a Fargate service, behind one Application Load Balancer, sharing one EFS guestbook.
 * The guide: docs/ecs.md.
 */
export class EcsStack extends Stack {
  readonly cluster: ecs.ICluster;
  /** The shared guestbook; mount it into another task definition with `addGuestbookVolume`. */
  readonly guestbook: EfsGuestbook;
  /** Both services' deployment alarms; they also tell the alerts topic. */
  readonly deploymentAlarms: cloudwatch.Alarm[];
  /** Where this stack's alarms publish: the deployment alarms and those of the dashboard's metrics. */
  readonly alerts: Alerts;

  constructor(scope: Construct, id: string, props: EcsStackProps) {
    super(scope, id, props);
    const { ecs: config, policy, vpc, image } = props;

    // The cluster. Container Insights: cluster, service and task metrics, per the stage.
    // ECS Exec: per the stage unless `ecsExec` says otherwise; the cluster says where sessions are logged.
    const exec = new EcsExec(this, config.ecsExec ?? policy.ecsExec, policy);
    const cluster = insightsCluster(
      this,
      'Cluster',
      {
        vpc,
        containerInsightsV2: policy.containerInsights,
        enableFargateCapacityProviders: true,
        executeCommandConfiguration: exec.configuration,
      },
      policy,
    );
    this.cluster = cluster;

    // EC2 launch type: we provision the instances, the ECS agent on each registers it in the cluster.
    const capacityProvider = ec2CapacityProvider(cluster, config, policy, image.cpuArchitecture);

    // Shared by both services: one log group (a stream prefix per launch type), the app's settings
    // and the guestbook on EFS.
    const logGroup = new logs.LogGroup(this, 'SampleAppLogs', {
      retention: policy.logRetention,
      removalPolicy: policy.logRemovalPolicy,
    });
    const secrets = sampleAppSettings(this, policy);
    this.guestbook = sampleAppGuestbook(this, vpc, policy);
    const { fileSystem, accessPoint } = this.guestbook;
    // The patterns stack mounts this guestbook on this cluster. A weak reference (Fn::GetStackOutput)
    // is read only when its consumer deploys, and the CLI skips an unchanged stack: a replaced access
    // point or security group would leave the patterns' tasks mounting the old one. Strong references
    // (exports) make such a replacement fail this stack's deploy instead, saying which stack uses it.
    for (const shared of [cluster, fileSystem, accessPoint, ...fileSystem.connections.securityGroups]) {
      CrossStackReferences.of(shared).produce(ReferenceStrength.STRONG);
    }

    const bothTasks = {
      image,
      cpu: config.taskCpu,
      memoryMiB: config.taskMemoryMiB,
      logGroup,
      secrets,
      ecsExec: exec.enabled,
    };
    const ec2Task = new SampleAppTask(this, 'Ec2Task', { ...bothTasks, launchType: 'ec2' });
    const fargateTask = new SampleAppTask(this, 'FargateTask', {
      ...bothTasks,
      launchType: 'fargate',
      shutdown: policy.fargateSpot ? FARGATE_SPOT_SHUTDOWN : undefined,
    });
    for (const task of [ec2Task, fargateTask]) {
      addGuestbookVolume(task.taskDefinition, task.container, this.guestbook);
      exec.acknowledgeGrants(task.taskDefinition.taskRole);
    }

    // the configured strategy (rolling adds nothing): lib/ecs/deployment-strategy.ts
    const deployment = {
      ...rollingDeployment(cluster),
      ...deploymentStrategyProps(config.deployment),
      enableExecuteCommand: exec.enabled,
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

    // One ALB in front of both; `?platform=` pins one. Then the three kinds of service scaling.
    const trafficShifting = shiftsTraffic(config.deployment);
    const lb = sampleAppLoadBalancing(this, {
      vpc,
      policy,
      config,
      ec2Service,
      fargateService,
      trafficShifting,
    });
    scaleSampleAppServices(
      { service: ec2Service, targetGroup: lb.ec2Target },
      { service: fargateService, targetGroup: lb.fargateTarget },
      config,
    );

    // Deployment alarms for every strategy; with traffic shifting, the test listener and smoke test
    const deployments = new SampleAppDeployments(this, 'Deployments', {
      deployment: config.deployment,
      vpc,
      loadBalancing: lb,
      services: { 'ecs-ec2': ec2Service, 'ecs-fargate': fargateService },
    });
    this.deploymentAlarms = Object.values(deployments.alarms).flatMap(({ alarms }) => alarms);

    new CfnOutput(this, 'Url', {
      value: lb.url,
      description: trafficShifting
        ? 'The Fargate service; ?platform=ecs-ec2 for EC2'
        : 'Both services, taking turns',
    });
    for (const [platform, url] of Object.entries(lb.pinnedUrls)) {
      new CfnOutput(this, `Url-${platform}`, { value: url });
    }
    if (config.certificateArn) {
      new CfnOutput(this, 'AlbDnsName', {
        value: lb.alb.loadBalancerDnsName,
        description: `Point a CNAME (or alias) for ${config.domainName} here`,
      });
    }
    if (config.nlb) {
      const nlbUrl = sampleAppNetworkLoadBalancer(this, vpc, fargateService, policy);
      new CfnOutput(this, 'NlbUrl', { value: nlbUrl });
    }
    // production: a WAF web ACL in front of the ALB (docs/ecs.md, "Security")
    if (policy.webAcl) new WebAcl(this, 'AlbWebAcl', { loadBalancer: lb.alb, policy });

    // Observability: alarms to the alerts topic, one dashboard (its URL: output DashboardUrl)
    this.alerts = new Alerts(this, 'Alerts', { policy });
    observeEcs(this, {
      alb: lb.alb,
      services: [
        { platform: 'ecs-ec2', service: ec2Service, targetGroup: lb.ec2Target },
        { platform: 'ecs-fargate', service: fargateService, targetGroup: lb.fargateTarget },
      ],
      fileSystem,
      alerts: this.alerts,
    });
    for (const alarm of this.deploymentAlarms) this.alerts.notifyOn(alarm);
    // Debug access: what `aws ecs execute-command` needs (docs/ecs.md, "Debug access")
    new CfnOutput(this, 'ClusterName', { value: cluster.clusterName });
    new CfnOutput(this, 'Ec2ServiceName', { value: ec2Service.serviceName });
    new CfnOutput(this, 'FargateServiceName', { value: fargateService.serviceName });
    if (exec.logGroup) new CfnOutput(this, 'ExecSessionLogGroup', { value: exec.logGroup.logGroupName });
  }
}
