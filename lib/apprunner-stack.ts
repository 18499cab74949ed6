/**
 * AWS App Runner: the sample app image as a fully managed web service. No cluster, load balancer
 * or scaling policy to build: App Runner brings the HTTPS endpoint, load balancing, scaling and
 * encryption (concept: "automatic scaling, highly available, load balancer, encryption, VPC support").
 *
 * Today's truth: App Runner has been closed to new customers since 30 April 2026. Accounts that
 * already used it keep using it; a new account cannot create this stack's service. AWS
 * recommends Amazon ECS Express Mode instead: express-stack.ts runs the same image that way.
 *
 * Built with the `@aws-cdk/aws-apprunner-alpha` L2 (2.268.0-alpha.0) rather than the L1: alpha
 * modules are ordinary npm packages, not locked to one aws-cdk-lib release; its peer dependency
 * (^2.268) accepts our 2.276 and it synthesizes cleanly with it, rendering the same AWS::AppRunner::*
 * resources with checked sizes and limits. The tests pin every property it renders, so an alpha
 * upgrade that changes one shows up there.
 */
import * as apprunner from '@aws-cdk/aws-apprunner-alpha';
import { CfnOutput, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { Alerts } from './alerts';
import { observeAppRunner } from './apprunner/dashboard';
import type { AppRunnerConfig } from './config';
import { SAMPLE_APP, type SampleAppEnvironment, type SampleAppImage } from './sample-app';
import type { StagePolicy } from './stage';

export interface AppRunnerStackProps extends StackProps {
  readonly vpc: ec2.IVpc;
  readonly image: SampleAppImage;
  readonly appRunner: AppRunnerConfig;
  readonly policy: StagePolicy;
}

export class AppRunnerStack extends Stack {
  readonly service: apprunner.Service;
  /** Where this stack's alarms publish. */
  readonly alerts: Alerts;

  constructor(scope: Construct, id: string, props: AppRunnerStackProps) {
    super(scope, id, props);
    const { vpc, image, appRunner } = props;

    // Access role: what App Runner itself needs to copy the image from our private repository:
    // pull on this one repository, and the registry login, which has no resource to scope to.
    const accessRole = new iam.Role(this, 'AccessRole', {
      assumedBy: new iam.ServicePrincipal('build.apprunner.amazonaws.com'),
      description: 'App Runner access role: pulls the sample app image from its repository',
    });
    const pullGrant = image.repository.grantPull(accessRole);
    // Instance role: what the app's own code may call on AWS. The sample app calls no AWS API (no
    // metadata endpoint to read either), so it stays empty; a real app adds its grants here.
    const instanceRole = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('tasks.apprunner.amazonaws.com'),
      description: 'App Runner instance role of the sample app: what the app may call (nothing yet)',
    });

    // VPC connector (concept: "VPC support, connect to database, cache and queue"): the service's
    // outbound traffic leaves through network interfaces in our private subnets, so a database's
    // security group can admit this one; the internet is still reached through the VPC's NAT.
    const connectorSecurityGroup = new ec2.SecurityGroup(this, 'VpcConnectorSecurityGroup', {
      vpc,
      description: 'App Runner sample app: outbound into the VPC; databases admit this group',
    });
    const vpcConnector = new apprunner.VpcConnector(this, 'VpcConnector', {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [connectorSecurityGroup],
    });

    // Requests in flight per instance decide the instance count, between min (kept warm) and max
    const autoScaling = new apprunner.AutoScalingConfiguration(this, 'AutoScaling', {
      minSize: appRunner.minInstances,
      maxSize: appRunner.maxInstances,
      maxConcurrency: appRunner.maxConcurrency,
    });

    // App Runner has no metadata endpoint, so the app cannot tell where it runs: PLATFORM says so.
    // No GUESTBOOK_DIR: App Runner mounts no volume, and the page explains there is no shared one.
    const environmentVariables = {
      IMAGE_VERSION: image.tag,
      PLATFORM: 'apprunner',
    } satisfies SampleAppEnvironment;

    this.service = new apprunner.Service(this, 'Service', {
      source: apprunner.Source.fromEcr({
        repository: image.repository,
        tagOrDigest: image.tag,
        imageConfiguration: { port: SAMPLE_APP.port, environmentVariables },
      }),
      accessRole,
      instanceRole,
      // a new tag arrives through a stack update; watching the repository as well is billed monthly
      autoDeploymentsEnabled: false,
      cpu: apprunner.Cpu.of(String(appRunner.cpu)),
      memory: apprunner.Memory.of(String(appRunner.memoryMiB)),
      autoScalingConfiguration: autoScaling,
      healthCheck: apprunner.HealthCheck.http({ path: SAMPLE_APP.healthCheckPath }),
      vpcConnector,
      // Encryption at rest: App Runner encrypts its copy of the image and the logs with an
      // AWS-owned key. A customer key (kmsKey) would add key cost and policy for no reader we
      // exclude: the image already sits KMS-encrypted in ECR. In transit: the URL is HTTPS only.
      // No observability configuration: App Runner's X-Ray tracing needs an app instrumented with
      // OpenTelemetry, and the sample app is not, so it would record nothing.
    });

    // App Runner pulls the image while it creates the service: the access role's policy comes first
    pullGrant.applyBefore(this.service);

    Validations.of(accessRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Only ecr:GetAuthorizationToken is on *: the registry login has no resource scope',
    });

    new CfnOutput(this, 'ServiceUrl', { value: `https://${this.service.serviceUrl}` });

    // Observability: alarms to the alerts topic, one dashboard (its URL: output DashboardUrl)
    this.alerts = new Alerts(this, 'Alerts', { policy: props.policy });
    observeAppRunner(this, this.service, this.alerts);
  }
}
