/**
 * Amazon ECS Express Mode: the App Runner experience on ECS, and AWS's recommended path since App
 * Runner closed to new customers (30 April 2026). We give an image, three roles, a size, a scaling
 * target and the network; ECS builds and owns the rest outside this template: an internet-facing
 * Application Load Balancer with an HTTPS listener and certificate, target groups, security groups,
 * the task definition, the Fargate service and its auto scaling (docs/express.md lists them).
 * Deleting the service deletes what it built, so `cdk destroy` cleans up.
 *
 * There is no L2 yet: this is the L1 `CfnExpressGatewayService`, property by property.
 */
import { CfnOutput, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { Alerts } from './alerts';
import type { ExpressConfig } from './config';
import { observeExpress } from './express/dashboard';
import { SAMPLE_APP, type SampleAppEnvironment, type SampleAppImage } from './sample-app';
import type { StagePolicy } from './stage';
import { insightsCluster } from './insights-cluster';

export interface ExpressStackProps extends StackProps {
  readonly vpc: ec2.IVpc;
  readonly image: SampleAppImage;
  readonly express: ExpressConfig;
  readonly policy: StagePolicy;
}

/** The AWS managed policy that lets ECS build and run an Express service's load balancing and scaling. */
const EXPRESS_INFRASTRUCTURE_POLICY = 'service-role/AmazonECSInfrastructureRoleforExpressGatewayServices';

export class ExpressStack extends Stack {
  readonly service: ecs.CfnExpressGatewayService;
  /** Where this stack's alarms publish. */
  readonly alerts: Alerts;

  constructor(scope: Construct, id: string, props: ExpressStackProps) {
    super(scope, id, props);
    const { vpc, image, express, policy } = props;

    // Our own cluster rather than the account's `default` one, which Express Mode would create
    // outside the template and leave behind. Express runs the tasks on the cluster's default
    // capacity provider: Fargate, as in the cluster it would have created.
    const cluster = insightsCluster(
      this,
      'Cluster',
      { vpc, enableFargateCapacityProviders: true, containerInsightsV2: ecs.ContainerInsights.ENABLED },
      policy,
    );
    cluster.addDefaultCapacityProviderStrategy([{ capacityProvider: 'FARGATE', weight: 1 }]);

    // Express Mode places its load balancer in the subnets we give it, and the tasks beside it:
    // public subnets give an internet-facing load balancer, private ones an internal one. Its API
    // has no public IP setting and our public subnets map none, so the tasks reach ECR and
    // CloudWatch Logs through interface endpoints, and image layers in S3 through the VPC's
    // gateway endpoint. Traffic to a database in the VPC needs neither.
    const taskSubnets = vpc.selectSubnets({ subnetType: ec2.SubnetType.PUBLIC });
    // An endpoint serves every AZ: the sandbox pays for one AZ's interfaces, production for each
    const privateSubnets = vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnets;
    const endpointSubnets = policy.endpointsInEveryAz ? privateSubnets : privateSubnets.slice(0, 1);
    const endpoints = Object.entries({
      EcrApiEndpoint: ec2.InterfaceVpcEndpointAwsService.ECR,
      EcrDockerEndpoint: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
      LogsEndpoint: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    }).map(([endpointId, service]) => {
      // private DNS sends every caller in the VPC here while this stack exists, so the endpoint
      // admits HTTPS from all of it
      const endpoint = new ec2.InterfaceVpcEndpoint(this, endpointId, {
        vpc,
        service,
        subnets: { subnets: endpointSubnets },
      });
      Validations.of(endpoint).acknowledge({
        id: 'AwsSolutions-EC23',
        reason:
          "Inbound is HTTPS from the VPC's own CIDR, imported from the network stack, which the rule cannot read",
      });
      return endpoint;
    });

    // The tasks' own security group: what a database admits. Express Mode adds its own groups
    // for the load balancer path, so this one has no inbound rule.
    const taskSecurityGroup = new ec2.SecurityGroup(this, 'TaskSecurityGroup', {
      vpc,
      description: 'ECS Express Mode sample app tasks: outbound; databases admit this group',
    });

    const logGroup = new logs.LogGroup(this, 'ContainerLogGroup', {
      retention: policy.logRetention,
      removalPolicy: policy.logRemovalPolicy,
    });

    const taskPrincipal = new iam.ServicePrincipal('ecs-tasks.amazonaws.com');
    // Task execution role: what ECS needs to start a task for us: pull the image, write its logs
    const executionRole = new iam.Role(this, 'ExecutionRole', {
      assumedBy: taskPrincipal,
      description: 'ECS Express Mode task execution role: pulls the sample app image and writes its logs',
    });
    const executionGrants = [image.repository.grantPull(executionRole), logGroup.grantWrite(executionRole)];
    // Task role (concept: "ECS task role"): what the app may call on AWS. Nothing yet.
    const taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: taskPrincipal,
      description: 'ECS Express Mode task role of the sample app: what the app may call (nothing yet)',
    });
    // Infrastructure role: what ECS needs to build the load balancer, certificate, security groups
    // and scaling policies on our behalf.
    const infrastructureRole = new iam.Role(this, 'InfrastructureRole', {
      assumedBy: new iam.ServicePrincipal('ecs.amazonaws.com'),
      description:
        'ECS Express Mode infrastructure role: builds the load balancer and scaling of the service',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(EXPRESS_INFRASTRUCTURE_POLICY)],
    });

    // Express tasks run on Fargate, so the app reads FARGATE from its task metadata; the hint says
    // which way of running Fargate this is. No volume: the page says there is no shared one.
    const environment = { IMAGE_VERSION: image.tag, PLATFORM: 'express' } satisfies SampleAppEnvironment;

    this.service = new ecs.CfnExpressGatewayService(this, 'Service', {
      cluster: cluster.clusterName,
      executionRoleArn: executionRole.roleArn,
      infrastructureRoleArn: infrastructureRole.roleArn,
      taskRoleArn: taskRole.roleArn,
      cpu: String(express.taskCpu),
      memory: String(express.taskMemoryMiB),
      healthCheckPath: SAMPLE_APP.healthCheckPath,
      primaryContainer: {
        image: image.repository.repositoryUriForTag(image.tag),
        containerPort: SAMPLE_APP.port,
        environment: Object.entries(environment).map(([name, value]) => ({ name, value })),
        awsLogsConfiguration: { logGroup: logGroup.logGroupName, logStreamPrefix: 'express' },
      },
      networkConfiguration: {
        subnets: taskSubnets.subnetIds,
        securityGroups: [taskSecurityGroup.securityGroupId],
      },
      // Target tracking (concept: "scale based on target value"): Application Auto Scaling adds or
      // removes tasks to hold the metric near the target, between min and max.
      scalingTarget: {
        minTaskCount: express.taskMinCount,
        maxTaskCount: express.taskMaxCount,
        autoScalingMetric: express.scalingMetric,
        autoScalingTargetValue: express.scalingTarget,
      },
    });
    // What the first task needs beyond the references: the execution role's policy, the cluster's
    // capacity providers and the endpoints; on deletion they outlive the tasks draining.
    for (const grant of executionGrants) grant.applyBefore(this.service);
    this.service.node.addDependency(cluster, ...endpoints);

    Validations.of(infrastructureRole).acknowledge({
      id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${EXPRESS_INFRASTRUCTURE_POLICY}]`,
      reason:
        'The managed policy the ECS docs prescribe for the Express Mode infrastructure role; AWS revises it as Express Mode gains features, a copy would fall behind',
    });
    Validations.of(executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Only ecr:GetAuthorizationToken is on *: the registry login has no resource scope',
    });

    new CfnOutput(this, 'ServiceUrl', { value: `https://${this.service.attrEndpoint}` });

    // Observability: alarms to the alerts topic, one dashboard (its URL: output DashboardUrl)
    this.alerts = new Alerts(this, 'Alerts', { policy });
    observeExpress(this, { service: this.service, cluster, alerts: this.alerts });
  }
}
