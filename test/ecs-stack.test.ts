import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DIMENSION_NAMES, METRIC_NAMES, METRICS_NAMESPACE } from '../app/src/metrics';
import { DEPLOYMENT_ALARM_THRESHOLDS } from '../lib/ecs/deployment-alarms';
import { deploymentStrategyProps } from '../lib/ecs/deployment-strategy';
import { addGuestbookVolume } from '../lib/ecs/guestbook-volume';
import type { EcsStack } from '../lib/ecs-stack';
import { SAMPLE_APP } from '../lib/sample-app';
import { stagePolicy } from '../lib/stage';
import { controlTowerAcknowledgments } from './support/acknowledgments';
import { bareStack, STAGE_CONTEXT, STAGES, synthesize } from './support/synth';
import {
  actionsOf,
  alarmsToAlertsTopic,
  dashboardMetricLines,
  dashboardMetrics,
  dimensionsAsGraphed,
  joined,
  logicalIdAt,
  metricAsGraphed,
  only,
  onlyId,
  resourceAt,
  resourcesOf,
  statementsOfRole,
  statementsOfRoleAt,
  type Resource,
  subnetKinds,
} from './support/template';

const CERTIFICATE_ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';

/**
 * Production names its environment (the ALB access-log bucket needs the region) and its certificate
 * and domain (it serves HTTPS only); options are all on.
 */
const CONTEXTS = {
  sandbox: { stage: 'sandbox' },
  production: STAGE_CONTEXT.production,
  options: {
    stage: 'sandbox',
    cpuArchitecture: 'arm64',
    ecsSpot: true,
    ecsNlb: true,
    certificateArn: CERTIFICATE_ARN,
    domainName: 'ecs.example.com',
    ecsCapacityTargetPercent: 80,
  },
};
type Variant = keyof typeof CONTEXTS;

function build(variant: Variant) {
  const { stacks } = synthesize({ ...CONTEXTS[variant], platforms: 'ecs' });
  const stack = stacks.ecs!;
  // Annotations synthesizes the app (forced), so it goes first; the template reuses that assembly.
  const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue());
  // cdk-nag on this stack alone; test/whole-app.test.ts checks the whole app.
  const nag = new AwsSolutionsChecks().validateScope(stack);
  return { stack, tag: stacks.registry.image.tag, warnings, nag, template: Template.fromStack(stack) };
}
const built = { sandbox: build('sandbox'), production: build('production'), options: build('options') };
const VARIANTS = Object.keys(built) as Variant[];
type Built = (typeof built)[Variant];

// ---- helpers reading one template -------------------------------------------------------------

const SERVICES = { ec2: 'Ec2Service', fargate: 'FargateService' };
const TASKS = { ec2: 'Ec2Task', fargate: 'FargateTask' };

function container(v: Built, task: string) {
  return resourceAt(v, `${task}/TaskDefinition`).Properties.ContainerDefinitions[0];
}

// ---- the tests ----------------------------------------------------------------------------------

describe('ECS stack: cluster and EC2 capacity', () => {
  test.each([
    ['sandbox', 'enabled'],
    ['production', 'enhanced'],
  ] as const)('%s: Container Insights through containerInsightsV2 (%s)', (variant, value) => {
    expect(only(built[variant].template, 'AWS::ECS::Cluster').Properties.ClusterSettings).toEqual([
      { Name: 'containerInsights', Value: value },
    ]);
  });

  test.each([
    ['sandbox', 7, 'Delete'],
    ['production', 365, 'Retain'],
  ] as const)(
    '%s: Container Insights logs to a group of the template, made before the cluster (%i days, %s)',
    (variant, days, policy) => {
      const v = built[variant];
      const logs = resourceAt(v, 'ClusterPerformanceLogs');
      // the name the service writes to: /aws/ecs/containerinsights/<cluster>/performance
      const clusterName = only(v.template, 'AWS::ECS::Cluster').Properties.ClusterName;
      expect(joined(logs.Properties.LogGroupName)).toBe(
        `/aws/ecs/containerinsights/${joined(clusterName)}/performance`,
      );
      expect(logs.Properties.RetentionInDays).toBe(days);
      expect(logs.DeletionPolicy).toBe(policy);
      expect(resourceAt(v, 'Cluster').DependsOn).toContain(logicalIdAt(v, 'ClusterPerformanceLogs'));
    },
  );

  test('the cluster name ends in the stack creation ID, so a retained group never blocks a redeploy', () => {
    expect(only(built.production.template, 'AWS::ECS::Cluster').Properties.ClusterName).toEqual({
      'Fn::Join': [
        '',
        [
          'coa-ecs-',
          {
            'Fn::Select': [
              0,
              { 'Fn::Split': ['-', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }] },
            ],
          },
        ],
      ],
    });
  });

  test('the capacity provider is created after the cluster, which brings the service-linked role', () => {
    const v = built.sandbox;
    expect(resourceAt(v, 'Ec2CapacityProvider/Ec2CapacityProvider').DependsOn).toContain(
      logicalIdAt(v, 'Cluster'),
    );
  });

  test.each(VARIANTS)(
    '%s: instances come from a launch template, never a launch configuration',
    (variant) => {
      const v = built[variant];
      v.template.resourceCountIs('AWS::AutoScaling::LaunchConfiguration', 0);
      const group = only(v.template, 'AWS::AutoScaling::AutoScalingGroup').Properties;
      const template =
        group.LaunchTemplate ?? group.MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification;
      expect(template.LaunchTemplateId).toEqual({ Ref: logicalIdAt(v, 'LaunchTemplate') });
    },
  );

  test('the ECS-optimized Amazon Linux 2023 AMI for the configured CPU architecture, resolved by EC2 at launch', () => {
    const ami = (variant: Variant) =>
      resourceAt(built[variant], 'LaunchTemplate').Properties.LaunchTemplateData;
    expect(ami('sandbox')).toMatchObject({
      ImageId: 'resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id',
      InstanceType: 't3.small',
    });
    expect(ami('options')).toMatchObject({
      ImageId: 'resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id',
      InstanceType: 't4g.small',
    });
  });

  test.each(VARIANTS)('%s: a new AMI release does not replace instances on deploy', (variant) => {
    const v = built[variant];
    // no AMI id resolved by CloudFormation at deploy time (that would change the template)...
    const parameters = Object.values(v.template.toJSON().Parameters ?? {}) as { Type: string }[];
    expect(parameters.filter((p) => p.Type.includes('AWS::EC2::Image::Id'))).toEqual([]);
    // ...and no update policy that would roll the group when the launch template changes
    const { UpdatePolicy } = only(v.template, 'AWS::AutoScaling::AutoScalingGroup');
    expect(UpdatePolicy?.AutoScalingRollingUpdate).toBeUndefined();
    expect(UpdatePolicy?.AutoScalingReplacingUpdate).toBeUndefined();
  });

  test.each(VARIANTS)('%s: IMDSv2 required, encrypted gp3 root volume', (variant) => {
    const data = resourceAt(built[variant], 'LaunchTemplate').Properties.LaunchTemplateData;
    expect(data.MetadataOptions).toEqual({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
    expect(data.BlockDeviceMappings).toEqual([
      { DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeSize: 30, VolumeType: 'gp3' } },
    ]);
  });

  test.each(VARIANTS)('%s: instances live in private subnets without public IPs', (variant) => {
    const v = built[variant];
    const group = only(v.template, 'AWS::AutoScaling::AutoScalingGroup').Properties;
    expect(new Set(subnetKinds(group.VPCZoneIdentifier))).toEqual(new Set(['private']));
    expect(JSON.stringify(resourceAt(v, 'LaunchTemplate'))).not.toContain('AssociatePublicIpAddress');
  });

  test('user data registers the instance in the cluster and keeps awsvpc tasks off the instance credentials', () => {
    const v = built.sandbox;
    const userData = JSON.stringify(resourceAt(v, 'LaunchTemplate').Properties.LaunchTemplateData.UserData);
    expect(userData).toContain('echo ECS_CLUSTER=');
    expect(userData).toContain(`{"Ref":"${logicalIdAt(v, 'Cluster')}"}`);
    expect(userData).toContain('echo ECS_AWSVPC_BLOCK_IMDS=true >> /etc/ecs/ecs.config');
    expect(userData).not.toContain('ECS_ENABLE_SPOT_INSTANCE_DRAINING');
  });

  test('ecsSpot: Spot instances through a mixed instances policy, drained on the interruption notice', () => {
    const v = built.options;
    expect(
      only(v.template, 'AWS::AutoScaling::AutoScalingGroup').Properties.MixedInstancesPolicy
        .InstancesDistribution,
    ).toEqual({
      OnDemandBaseCapacity: 0,
      OnDemandPercentageAboveBaseCapacity: 0,
      SpotAllocationStrategy: 'price-capacity-optimized',
    });
    expect(JSON.stringify(resourceAt(v, 'LaunchTemplate').Properties.LaunchTemplateData.UserData)).toContain(
      'echo ECS_ENABLE_SPOT_INSTANCE_DRAINING=true >> /etc/ecs/ecs.config',
    );
    expect(
      only(built.sandbox.template, 'AWS::AutoScaling::AutoScalingGroup').Properties.MixedInstancesPolicy
        .InstancesDistribution.SpotAllocationStrategy,
    ).toBeUndefined();
  });

  test('the capacity provider scales the group to the configured target and drains instances it removes', () => {
    const provider = (variant: Variant) =>
      only(built[variant].template, 'AWS::ECS::CapacityProvider').Properties.AutoScalingGroupProvider;
    expect(provider('sandbox')).toMatchObject({
      AutoScalingGroupArn: { Ref: logicalIdAt(built.sandbox, 'AutoScalingGroup') },
      ManagedScaling: { Status: 'ENABLED', TargetCapacity: 100 },
      ManagedDraining: 'ENABLED',
    });
    expect(provider('options').ManagedScaling.TargetCapacity).toBe(80);
  });

  test.each([
    ['sandbox', 'DISABLED'],
    ['production', 'ENABLED'],
  ] as const)('%s: managed termination protection %s', (variant, status) => {
    const v = built[variant];
    expect(
      only(v.template, 'AWS::ECS::CapacityProvider').Properties.AutoScalingGroupProvider
        .ManagedTerminationProtection,
    ).toBe(status);
    const protectedFromScaleIn = only(v.template, 'AWS::AutoScaling::AutoScalingGroup').Properties
      .NewInstancesProtectedFromScaleIn;
    expect(protectedFromScaleIn ?? false).toBe(status === 'ENABLED');
  });

  test.each(STAGES)('%s: no drain-hook Lambda or topic: managed draining does that job', (stage) => {
    built[stage].template.resourceCountIs('AWS::Lambda::Function', 0);
    // one topic: the alerts topic (the "Observability" tests)
    built[stage].template.resourceCountIs('AWS::SNS::Topic', 1);
  });

  test('ECS service scaling is not EC2 scaling: the group has no scaling policy of its own', () => {
    built.sandbox.template.resourceCountIs('AWS::AutoScaling::ScalingPolicy', 0);
  });

  test('the cluster lists its capacity providers before a service uses them, and after it is gone', () => {
    const v = built.sandbox;
    const type = 'AWS::ECS::ClusterCapacityProviderAssociations';
    expect(only(v.template, type).Properties.CapacityProviders).toEqual([
      'FARGATE',
      'FARGATE_SPOT',
      { Ref: logicalIdAt(v, 'Ec2CapacityProvider/Ec2CapacityProvider') },
    ]);
    for (const service of Object.values(SERVICES)) {
      expect(resourceAt(v, service).DependsOn).toContain(onlyId(v.template, type));
    }
  });
});

describe('ECS stack: the three roles', () => {
  test('EC2 instance profile: the ECS agent on this cluster; no secrets, no EFS', () => {
    const v = built.sandbox;
    const roleId = logicalIdAt(v, 'InstanceRole');
    expect(resourceAt(v, 'InstanceRole').Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' } },
    ]);
    expect(only(v.template, 'AWS::IAM::InstanceProfile').Properties.Roles).toEqual([{ Ref: roleId }]);
    const statements = statementsOfRole(v.template, roleId);
    expect(statements).toContainEqual({
      Action: ['ecs:DeregisterContainerInstance', 'ecs:RegisterContainerInstance', 'ecs:Submit*'],
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [logicalIdAt(v, 'Cluster'), 'Arn'] },
    });
    expect(actionsOf(statements).filter((a) => /^(secretsmanager|ssm|elasticfilesystem):/.test(a))).toEqual(
      [],
    );
  });

  test('each task definition has its own task role and its own task execution role', () => {
    const v = built.sandbox;
    const roles = Object.values(TASKS).flatMap((task) => {
      const { TaskRoleArn, ExecutionRoleArn } = resourceAt(v, `${task}/TaskDefinition`).Properties;
      expect(TaskRoleArn).toEqual({ 'Fn::GetAtt': [logicalIdAt(v, `${task}/TaskRole`), 'Arn'] });
      expect(ExecutionRoleArn).toEqual({ 'Fn::GetAtt': [logicalIdAt(v, `${task}/ExecutionRole`), 'Arn'] });
      return [TaskRoleArn, ExecutionRoleArn].map((arn) => arn['Fn::GetAtt'][0]);
    });
    expect(new Set(roles).size).toBe(4);
  });

  test('task roles: exactly ClientMount and ClientWrite, only through the guestbook access point', () => {
    // production: no ECS Exec, whose grants the "Debug access" tests check
    const v = built.production;
    for (const task of Object.values(TASKS)) {
      expect(statementsOfRoleAt(v, `${task}/TaskRole`)).toEqual([
        {
          Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [logicalIdAt(v, 'Guestbook/FileSystem'), 'Arn'] },
          Condition: {
            StringEquals: {
              'elasticfilesystem:AccessPointArn': expect.anything(),
            },
          },
        },
      ]);
    }
    // the grant matters: the file system policy allows no one to mount (`access denied by server`)
    const fileSystemPolicy = only(v.template, 'AWS::EFS::FileSystem').Properties.FileSystemPolicy;
    expect(actionsOf(fileSystemPolicy.Statement)).not.toContain('elasticfilesystem:ClientMount');
  });

  test('execution roles: pull the image, write the log group, read the secret and the parameter', () => {
    const v = built.sandbox;
    for (const task of Object.values(TASKS)) {
      const statements = statementsOfRoleAt(v, `${task}/ExecutionRole`);
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
          }),
          expect.objectContaining({
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [logicalIdAt(v, 'SampleAppLogs'), 'Arn'] },
          }),
          expect.objectContaining({
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Resource: { Ref: logicalIdAt(v, 'SampleAppApiKey') },
          }),
          expect.objectContaining({ Action: expect.arrayContaining(['ssm:GetParameters']) }),
        ]),
      );
    }
  });
});

describe('ECS stack: two services', () => {
  test('the EC2 service runs on the capacity provider, one task per AZ first, then packed', () => {
    const v = built.sandbox;
    expect(resourceAt(v, SERVICES.ec2).Properties).toMatchObject({
      CapacityProviderStrategy: [
        { CapacityProvider: { Ref: logicalIdAt(v, 'Ec2CapacityProvider/Ec2CapacityProvider') }, Weight: 1 },
      ],
      PlacementStrategies: [
        { Field: 'attribute:ecs.availability-zone', Type: 'spread' },
        { Field: 'MEMORY', Type: 'binpack' },
      ],
    });
    expect(resourceAt(v, SERVICES.ec2).Properties.LaunchType).toBeUndefined();
  });

  test.each([
    [
      'sandbox',
      [
        { CapacityProvider: 'FARGATE', Base: 1, Weight: 0 },
        { CapacityProvider: 'FARGATE_SPOT', Weight: 1 },
      ],
    ],
    ['production', [{ CapacityProvider: 'FARGATE', Weight: 1 }]],
    // ECS runs no ARM64 Linux task on Fargate Spot: an arm64 sandbox stays on regular Fargate
    ['options', [{ CapacityProvider: 'FARGATE', Weight: 1 }]],
  ] as const)('%s: the Fargate capacity provider strategy', (variant, strategy) => {
    expect(resourceAt(built[variant], SERVICES.fargate).Properties.CapacityProviderStrategy).toEqual(
      strategy,
    );
  });

  test.each(VARIANTS)('%s: both services run in private subnets without public IPs', (variant) => {
    const v = built[variant];
    expect(JSON.stringify(v.template.toJSON())).not.toContain('"AssignPublicIp":"ENABLED"');
    for (const service of Object.values(SERVICES)) {
      const { AwsvpcConfiguration } = resourceAt(v, service).Properties.NetworkConfiguration;
      expect(AwsvpcConfiguration.AssignPublicIp).toBe('DISABLED');
      expect(new Set(subnetKinds(AwsvpcConfiguration.Subnets))).toEqual(new Set(['private']));
    }
  });

  test('rolling deployments: circuit breaker with rollback, 100-200 %, grace of start-up plus two health checks', () => {
    for (const service of Object.values(SERVICES)) {
      expect(resourceAt(built.sandbox, service).Properties).toMatchObject({
        DeploymentConfiguration: {
          DeploymentCircuitBreaker: { Enable: true, Rollback: true },
          MinimumHealthyPercent: 100,
          MaximumPercent: 200,
        },
        HealthCheckGracePeriodSeconds: 10 + 2 * 10,
      });
    }
  });

  test('both run the registry image as repository:tag, told its version and the guestbook path, not the platform', () => {
    const v = built.sandbox;
    for (const task of Object.values(TASKS)) {
      // ReadonlyRootFilesystem: the "Debug access" tests
      const { Image, Environment, PortMappings } = container(v, task);
      expect(JSON.stringify(Image)).toMatch(new RegExp(`\\.dkr\\.ecr\\..*/coa/sample-app:${v.tag}"`));
      expect(Environment).toEqual(
        expect.arrayContaining([
          { Name: 'IMAGE_VERSION', Value: v.tag },
          { Name: 'GUESTBOOK_DIR', Value: '/mnt/guestbook' },
        ]),
      );
      expect(Environment.map((e: { Name: string }) => e.Name)).not.toContain('PLATFORM');
      expect(PortMappings).toEqual([{ ContainerPort: 8080, Name: 'http', Protocol: 'tcp' }]);
    }
  });

  test('task sizes come from config; Fargate declares the CPU architecture of the image', () => {
    const fargate = (variant: Variant) =>
      resourceAt(built[variant], `${TASKS.fargate}/TaskDefinition`).Properties;
    expect(fargate('sandbox')).toMatchObject({
      Cpu: '256',
      Memory: '512',
      RuntimePlatform: { CpuArchitecture: 'X86_64' },
    });
    expect(fargate('options').RuntimePlatform).toEqual({
      CpuArchitecture: 'ARM64',
      OperatingSystemFamily: 'LINUX',
    });
    expect(container(built.sandbox, TASKS.ec2)).toMatchObject({ Cpu: 256, Memory: 512 });
    expect(resourceAt(built.sandbox, `${TASKS.ec2}/TaskDefinition`).Properties.NetworkMode).toBe('awsvpc');
  });

  test.each([
    ['sandbox', 7, 'Delete'],
    ['production', 365, 'Retain'],
  ] as const)(
    '%s: logs go to one group (a stream prefix per launch type), %i days, %s with the stack',
    (variant, days, policy) => {
      const v = built[variant];
      const logGroup = resourceAt(v, 'SampleAppLogs');
      expect(logGroup.Properties.RetentionInDays).toBe(days);
      expect(logGroup.DeletionPolicy).toBe(policy);
      for (const [launchType, task] of Object.entries(TASKS)) {
        expect(container(v, task).LogConfiguration).toMatchObject({
          LogDriver: 'awslogs',
          Options: {
            'awslogs-group': { Ref: logicalIdAt(v, 'SampleAppLogs') },
            'awslogs-stream-prefix': launchType,
          },
        });
      }
    },
  );

  test('a Secrets Manager secret and an SSM String parameter reach the container as ecs.Secret', () => {
    const v = built.sandbox;
    expect(only(v.template, 'AWS::SSM::Parameter').Properties.Type).toBe('String');
    expect(resourceAt(v, 'SampleAppApiKey').Properties.GenerateSecretString).toEqual({
      PasswordLength: 32,
      ExcludePunctuation: true,
    });
    for (const task of Object.values(TASKS)) {
      const { Secrets, Environment } = container(v, task);
      expect(Secrets).toEqual([
        { Name: 'APP_API_KEY', ValueFrom: { Ref: logicalIdAt(v, 'SampleAppApiKey') } },
        { Name: 'WELCOME_MESSAGE', ValueFrom: expect.anything() },
      ]);
      expect(JSON.stringify(Secrets[1].ValueFrom)).toContain(logicalIdAt(v, 'SampleAppWelcome'));
      expect(JSON.stringify(Environment)).not.toMatch(/APP_API_KEY|WELCOME_MESSAGE/);
    }
  });
});

describe('ECS stack: tasks stop without dropping requests', () => {
  const environment = (v: Built, task: string) =>
    Object.fromEntries(
      (container(v, task).Environment ?? []).map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]),
    );

  test.each(['sandbox', 'production'] as const)(
    '%s, EC2: the app drains on its defaults; SIGKILL comes 5 s after its 10 s deadline',
    (variant) => {
      expect(container(built[variant], TASKS.ec2).StopTimeout).toBe(15);
      expect(environment(built[variant], TASKS.ec2)).not.toHaveProperty('SHUTDOWN_DRAIN_MS');
    },
  );

  test('production, Fargate only: the same defaults', () => {
    expect(container(built.production, TASKS.fargate).StopTimeout).toBe(15);
    expect(environment(built.production, TASKS.fargate)).not.toHaveProperty('SHUTDOWN_DRAIN_MS');
  });

  test('sandbox, Fargate Spot: an interrupted task stays registered, so it drains until health checks fail', () => {
    // 3 failed checks 10 s apart take it out of the target group: drain 40 s, deadline 50 s, kill at 55 s
    expect(environment(built.sandbox, TASKS.fargate)).toMatchObject({
      SHUTDOWN_DRAIN_MS: '40000',
      SHUTDOWN_TIMEOUT_MS: '50000',
    });
    expect(container(built.sandbox, TASKS.fargate).StopTimeout).toBe(55);
  });
});

describe('ECS stack: one ALB in front of both', () => {
  test('an internet-facing ALB in the public subnets, one HTTP listener, default spread evenly over both services', () => {
    const v = built.sandbox;
    const alb = only(v.template, 'AWS::ElasticLoadBalancingV2::LoadBalancer').Properties;
    expect(alb.Scheme).toBe('internet-facing');
    expect(new Set(subnetKinds(alb.Subnets))).toEqual(new Set(['public']));
    expect(only(v.template, 'AWS::ElasticLoadBalancingV2::Listener').Properties).toMatchObject({
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: { Ref: logicalIdAt(v, 'Ec2TargetGroup') }, Weight: 1 },
              { TargetGroupArn: { Ref: logicalIdAt(v, 'FargateTargetGroup') }, Weight: 1 },
            ],
          },
        },
      ],
    });
  });

  test('a rule per service pins it with a query parameter named after the platform the page shows', () => {
    const v = built.sandbox;
    const rules = Object.values(resourcesOf(v.template, 'AWS::ElasticLoadBalancingV2::ListenerRule')).map(
      (r) => r.Properties,
    );
    expect(rules.map(({ Priority, Conditions, Actions }) => ({ Priority, Conditions, Actions }))).toEqual([
      {
        Priority: 10,
        Conditions: [
          { Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'platform', Value: 'ecs-ec2' }] } },
        ],
        Actions: [{ Type: 'forward', TargetGroupArn: { Ref: logicalIdAt(v, 'Ec2TargetGroup') } }],
      },
      {
        Priority: 20,
        Conditions: [
          {
            Field: 'query-string',
            QueryStringConfig: { Values: [{ Key: 'platform', Value: 'ecs-fargate' }] },
          },
        ],
        Actions: [{ Type: 'forward', TargetGroupArn: { Ref: logicalIdAt(v, 'FargateTargetGroup') } }],
      },
    ]);
  });

  test.each([
    ['sandbox', '30'],
    ['production', '120'],
  ] as const)(
    '%s: target groups reach task IPs on 8080, check /healthz, drain for %s s',
    (variant, delay) => {
      const v = built[variant];
      for (const id of ['Ec2TargetGroup', 'FargateTargetGroup']) {
        expect(resourceAt(v, id).Properties).toMatchObject({
          TargetType: 'ip',
          Port: 8080,
          HealthCheckPath: '/healthz',
          HealthCheckIntervalSeconds: 10,
          HealthyThresholdCount: 2,
          Matcher: { HttpCode: '200' },
          TargetGroupAttributes: expect.arrayContaining([
            { Key: 'deregistration_delay.timeout_seconds', Value: delay },
          ]),
        });
      }
    },
  );

  test.each(VARIANTS)('%s: tasks accept 8080 only from the load balancers', (variant) => {
    const v = built[variant];
    const loadBalancerGroups = [
      'Alb/SecurityGroup',
      ...(variant === 'options' ? ['Nlb/SecurityGroup'] : []),
    ].map((path) => ({ 'Fn::GetAtt': [logicalIdAt(v, path), 'GroupId'] }));
    for (const service of Object.values(SERVICES)) {
      const group = { 'Fn::GetAtt': [logicalIdAt(v, `${service}/SecurityGroup`), 'GroupId'] };
      const ingress = Object.values(resourcesOf(v.template, 'AWS::EC2::SecurityGroupIngress'))
        .map((r) => r.Properties)
        .filter((rule) => JSON.stringify(rule.GroupId) === JSON.stringify(group));
      expect(ingress.every((rule) => rule.FromPort === 8080 && rule.ToPort === 8080 && !rule.CidrIp)).toBe(
        true,
      );
      expect(ingress.map((rule) => rule.SourceSecurityGroupId)).toEqual(
        service === SERVICES.fargate ? loadBalancerGroups : loadBalancerGroups.slice(0, 1),
      );
    }
  });

  test('production: deletion protection, and access logs in an SSE-S3 bucket that outlives the stack', () => {
    const v = built.production;
    const attributes = only(v.template, 'AWS::ElasticLoadBalancingV2::LoadBalancer').Properties
      .LoadBalancerAttributes;
    expect(attributes).toEqual(
      expect.arrayContaining([
        { Key: 'deletion_protection.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
        { Key: 'access_logs.s3.bucket', Value: { Ref: logicalIdAt(v, 'AlbAccessLogs') } },
      ]),
    );
    const bucket = resourceAt(v, 'AlbAccessLogs');
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
    ]);
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const bucketPolicy = only(v.template, 'AWS::S3::BucketPolicy').Properties.PolicyDocument.Statement;
    expect(bucketPolicy).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  test('sandbox: no deletion protection and no log bucket to outlive cdk destroy', () => {
    const v = built.sandbox;
    const attributes = only(v.template, 'AWS::ElasticLoadBalancingV2::LoadBalancer').Properties
      .LoadBalancerAttributes;
    expect(attributes).toContainEqual({ Key: 'deletion_protection.enabled', Value: 'false' });
    expect(JSON.stringify(attributes)).not.toContain('access_logs');
    v.template.resourceCountIs('AWS::S3::Bucket', 0);
  });

  test('HTTPS: a 443 listener with the certificate carries the default and the rules; 80 redirects to it', () => {
    const v = built.options;
    const listeners = resourcesOf(v.template, 'AWS::ElasticLoadBalancingV2::Listener');
    const https = logicalIdAt(v, 'Alb/Https');
    expect(listeners[https].Properties).toMatchObject({
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: CERTIFICATE_ARN }],
      DefaultActions: [{ Type: 'forward' }],
    });
    expect(listeners[logicalIdAt(v, 'Alb/Redirect80To443')].Properties).toMatchObject({
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [
        { Type: 'redirect', RedirectConfig: { Port: '443', Protocol: 'HTTPS', StatusCode: 'HTTP_301' } },
      ],
    });
    for (const rule of Object.values(resourcesOf(v.template, 'AWS::ElasticLoadBalancingV2::ListenerRule'))) {
      expect(rule.Properties.ListenerArn).toEqual({ Ref: https });
    }
    expect(v.template.toJSON().Outputs.Url.Value).toBe('https://ecs.example.com/');
  });

  test('NLB: off by default; ecsNlb puts an internet-facing TCP listener in front of the Fargate service', () => {
    built.sandbox.template.resourcePropertiesCountIs(
      'AWS::ElasticLoadBalancingV2::LoadBalancer',
      { Type: 'network' },
      0,
    );
    const v = built.options;
    v.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'network',
      Scheme: 'internet-facing',
    });
    v.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'TCP' });
    const nlbTargets = logicalIdAt(v, 'Nlb/Tcp/FargateGroup');
    expect(resourceAt(v, 'Nlb/Tcp/FargateGroup').Properties).toMatchObject({
      Protocol: 'TCP',
      Port: 8080,
      TargetType: 'ip',
      HealthCheckProtocol: 'HTTP',
      HealthCheckPath: '/healthz',
    });
    const loadBalancers = resourceAt(v, SERVICES.fargate).Properties.LoadBalancers;
    expect(loadBalancers.map((lb: { TargetGroupArn: unknown }) => lb.TargetGroupArn)).toEqual([
      { Ref: logicalIdAt(v, 'FargateTargetGroup') },
      { Ref: nlbTargets },
    ]);
  });
});

describe('ECS stack: the EFS guestbook both services share', () => {
  test('access point: POSIX user 1000:1000, its directory created for that user with 0755', () => {
    expect(only(built.sandbox.template, 'AWS::EFS::AccessPoint').Properties).toMatchObject({
      PosixUser: { Uid: '1000', Gid: '1000' },
      RootDirectory: {
        Path: '/guestbook',
        CreationInfo: { OwnerUid: '1000', OwnerGid: '1000', Permissions: '755' },
      },
    });
  });

  test('both task definitions mount it at /mnt/guestbook with TLS and IAM authorization through the access point', () => {
    const v = built.sandbox;
    for (const task of Object.values(TASKS)) {
      expect(resourceAt(v, `${task}/TaskDefinition`).Properties.Volumes).toEqual([
        {
          Name: 'guestbook',
          EFSVolumeConfiguration: {
            FilesystemId: { Ref: logicalIdAt(v, 'Guestbook/FileSystem') },
            TransitEncryption: 'ENABLED',
            AuthorizationConfig: {
              AccessPointId: { Ref: logicalIdAt(v, 'Guestbook/FileSystem/GuestbookAccessPoint') },
              IAM: 'ENABLED',
            },
          },
        },
      ]);
      expect(container(v, task).MountPoints).toEqual([
        { ContainerPath: '/mnt/guestbook', ReadOnly: false, SourceVolume: 'guestbook' },
      ]);
      // nothing starts a task before the mount targets exist
      const mountTargets = Object.keys(resourcesOf(v.template, 'AWS::EFS::MountTarget'));
      expect(mountTargets).toHaveLength(2);
      expect(resourceAt(v, `${task}/TaskDefinition`).DependsOn).toEqual(expect.arrayContaining(mountTargets));
    }
  });

  test.each(VARIANTS)('%s: NFS (2049) open only from the two services’ security groups', (variant) => {
    const v = built[variant];
    const fileSystemGroup = {
      'Fn::GetAtt': [logicalIdAt(v, 'Guestbook/FileSystem/EfsSecurityGroup'), 'GroupId'],
    };
    const nfs = Object.values(resourcesOf(v.template, 'AWS::EC2::SecurityGroupIngress'))
      .map((r) => r.Properties)
      .filter((rule) => rule.FromPort <= 2049 && rule.ToPort >= 2049);
    expect(nfs.map((rule) => rule.GroupId)).toEqual([fileSystemGroup, fileSystemGroup]);
    expect(nfs.map((rule) => rule.SourceSecurityGroupId)).toEqual(
      Object.values(SERVICES).map((service) => ({
        'Fn::GetAtt': [logicalIdAt(v, `${service}/SecurityGroup`), 'GroupId'],
      })),
    );
    expect(JSON.stringify(resourceAt(v, 'Guestbook/FileSystem/EfsSecurityGroup').Properties)).not.toContain(
      'SecurityGroupIngress',
    );
  });

  test.each([
    ['sandbox', 'Delete', undefined],
    ['production', 'Retain', { Status: 'ENABLED' }],
  ] as const)(
    '%s: the file system is encrypted, %s with the stack, backups %j',
    (variant, policy, backups) => {
      const fileSystem = only(built[variant].template, 'AWS::EFS::FileSystem');
      expect(fileSystem.Properties.Encrypted).toBe(true);
      expect(fileSystem.DeletionPolicy).toBe(policy);
      expect(fileSystem.Properties.BackupPolicy).toEqual(backups);
    },
  );

  test('addGuestbookVolume works on another stack’s task definition, as the ECS patterns stack uses it', () => {
    const stack = bareStack('Consumer');
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
    const worker = taskDefinition.addContainer('Worker', {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/x/y'),
    });
    const fileSystem = efs.FileSystem.fromFileSystemAttributes(stack, 'Fs', {
      fileSystemId: 'fs-12345678',
      securityGroup: { securityGroupId: 'sg-1' } as never,
    });
    const accessPoint = efs.AccessPoint.fromAccessPointAttributes(stack, 'Ap', {
      accessPointId: 'fsap-1',
      fileSystem,
    });
    addGuestbookVolume(taskDefinition, worker, { fileSystem, accessPoint });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Volumes: [
        {
          Name: 'guestbook',
          EFSVolumeConfiguration: Match.objectLike({
            FilesystemId: 'fs-12345678',
            TransitEncryption: 'ENABLED',
            AuthorizationConfig: { AccessPointId: 'fsap-1', IAM: 'ENABLED' },
          }),
        },
      ],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'] }),
        ],
      },
    });
  });
});

describe('ECS stack: service scaling', () => {
  test.each([
    ['sandbox', 1, 3],
    ['production', 2, 10],
  ] as const)('%s: both services scale between %i and %i tasks', (variant, min, max) => {
    const targets = Object.values(
      resourcesOf(built[variant].template, 'AWS::ApplicationAutoScaling::ScalableTarget'),
    );
    expect(targets.map((t) => [t.Properties.MinCapacity, t.Properties.MaxCapacity])).toEqual([
      [min, max],
      [min, max],
    ]);
  });

  test('target tracking on CPU, memory and ALB requests per target, on each service', () => {
    const v = built.sandbox;
    for (const service of Object.values(SERVICES)) {
      const target = logicalIdAt(v, `${service}/TaskCount/Target`);
      const tracked = Object.values(resourcesOf(v.template, 'AWS::ApplicationAutoScaling::ScalingPolicy'))
        .filter(
          (p) =>
            p.Properties.ScalingTargetId.Ref === target &&
            p.Properties.PolicyType === 'TargetTrackingScaling',
        )
        .map((p) => {
          const { PredefinedMetricSpecification, TargetValue } =
            p.Properties.TargetTrackingScalingPolicyConfiguration;
          return [PredefinedMetricSpecification.PredefinedMetricType, TargetValue];
        });
      expect(tracked).toEqual([
        ['ECSServiceAverageCPUUtilization', 60],
        ['ECSServiceAverageMemoryUtilization', 75],
        ['ALBRequestCountPerTarget', 600],
      ]);
    }
  });

  test('step scaling on Fargate only: a p90 response-time alarm adds 1 task from 0.5 s and 3 from 1 s', () => {
    const v = built.sandbox;
    const step = Object.values(resourcesOf(v.template, 'AWS::ApplicationAutoScaling::ScalingPolicy')).filter(
      (p) => p.Properties.PolicyType === 'StepScaling',
    );
    expect(step).toHaveLength(1);
    expect(step[0].Properties.ScalingTargetId).toEqual({
      Ref: logicalIdAt(v, `${SERVICES.fargate}/TaskCount/Target`),
    });
    expect(step[0].Properties.StepScalingPolicyConfiguration).toMatchObject({
      AdjustmentType: 'ChangeInCapacity',
      StepAdjustments: [
        { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 0.5, ScalingAdjustment: 1 },
        { MetricIntervalLowerBound: 0.5, ScalingAdjustment: 3 },
      ],
    });
    expect(
      resourceAt(v, `${SERVICES.fargate}/TaskCount/Target/SlowResponses/UpperAlarm`).Properties,
    ).toMatchObject({
      MetricName: 'TargetResponseTime',
      Namespace: 'AWS/ApplicationELB',
      ExtendedStatistic: 'p90',
      Threshold: 0.5,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: expect.arrayContaining([
        {
          Name: 'TargetGroup',
          Value: { 'Fn::GetAtt': [logicalIdAt(v, 'FargateTargetGroup'), 'TargetGroupFullName'] },
        },
      ]),
    });
  });

  test.each([
    ['sandbox', 2, 1],
    ['production', 4, 2],
  ] as const)(
    '%s: scheduled scaling on EC2 raises the floor to %i on weekday mornings and back to %i',
    (variant, up, down) => {
      const v = built[variant];
      expect(resourceAt(v, `${SERVICES.ec2}/TaskCount/Target`).Properties.ScheduledActions).toEqual([
        {
          ScheduledActionName: 'OfficeHours',
          Schedule: 'cron(0 7 ? * MON-FRI *)',
          ScalableTargetAction: { MinCapacity: up },
        },
        {
          ScheduledActionName: 'AfterHours',
          Schedule: 'cron(0 19 ? * MON-FRI *)',
          ScalableTargetAction: { MinCapacity: down },
        },
      ]);
      expect(
        resourceAt(v, `${SERVICES.fargate}/TaskCount/Target`).Properties.ScheduledActions,
      ).toBeUndefined();
    },
  );
});

describe('ECS stack: hygiene', () => {
  test.each(VARIANTS)('%s: no CDK warnings', (variant) => {
    expect(built[variant].warnings).toEqual([]);
  });

  test.each(VARIANTS)(
    '%s: cdk-nag AWS Solutions: every finding fixed or acknowledged with a reason',
    (variant) => {
      expect(built[variant].nag.violations).toEqual([]);
    },
  );

  test.each(STAGES)('%s: snapshot', (stage) => {
    expect(built[stage].template.toJSON()).toMatchSnapshot();
  });
});

describe('ECS stack: the edge in production (HTTPS only, WAF)', () => {
  const v = built.production;
  const listeners = () => Object.values(resourcesOf(v.template, 'AWS::ElasticLoadBalancingV2::Listener'));
  const webAcl = () => only(v.template, 'AWS::WAFv2::WebACL').Properties;
  const webAclArn = () => ({ 'Fn::GetAtt': [onlyId(v.template, 'AWS::WAFv2::WebACL'), 'Arn'] });

  test('HTTP only redirects: the port 80 listener’s default action is a 301 to HTTPS, and nothing on HTTP forwards', () => {
    const http = listeners().filter((l) => l.Properties.Protocol === 'HTTP');
    expect(http.map((l) => [l.Properties.Port, l.Properties.DefaultActions])).toEqual([
      [
        80,
        [{ Type: 'redirect', RedirectConfig: { Port: '443', Protocol: 'HTTPS', StatusCode: 'HTTP_301' } }],
      ],
    ]);
    const httpIds = Object.keys(
      resourcesOf(v.template, 'AWS::ElasticLoadBalancingV2::Listener', { Protocol: 'HTTP' }),
    );
    const rulesOnHttp = Object.values(
      resourcesOf(v.template, 'AWS::ElasticLoadBalancingV2::ListenerRule'),
    ).filter((rule) => httpIds.includes(rule.Properties.ListenerArn.Ref));
    expect(rulesOnHttp).toEqual([]);
  });

  test('the HTTPS listener: the certificate, a TLS 1.3 policy, the services behind it and the ?platform= pins', () => {
    const https = resourceAt(v, 'Alb/Https').Properties;
    expect(https).toMatchObject({
      Port: 443,
      Protocol: 'HTTPS',
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09',
      Certificates: [{ CertificateArn: STAGE_CONTEXT.production.certificateArn }],
      DefaultActions: [{ Type: 'forward' }],
    });
    const pins = Object.values(resourcesOf(v.template, 'AWS::ElasticLoadBalancingV2::ListenerRule'));
    expect(pins.map((rule) => [rule.Properties.ListenerArn, rule.Properties.Conditions[0].Field])).toEqual([
      [{ Ref: logicalIdAt(v, 'Alb/Https') }, 'query-string'],
      [{ Ref: logicalIdAt(v, 'Alb/Https') }, 'query-string'],
    ]);
    expect(v.template.toJSON().Outputs.Url.Value).toBe('https://app.example.com/');
  });

  test('the web ACL: regional, allows by default, a per-IP rate limit first, then the AWS managed rule groups', () => {
    const acl = webAcl();
    expect(acl.Scope).toBe('REGIONAL');
    expect(acl.DefaultAction).toEqual({ Allow: {} });
    expect(acl.Rules.map((r: { Name: string; Priority: number }) => [r.Priority, r.Name])).toEqual([
      [0, 'RateLimitPerIp'],
      [1, 'AWSManagedRulesAmazonIpReputationList'],
      [2, 'AWSManagedRulesKnownBadInputsRuleSet'],
      [3, 'AWSManagedRulesCommonRuleSet'],
    ]);
    expect(acl.Rules[0]).toMatchObject({
      Action: { Block: {} },
      Statement: { RateBasedStatement: { Limit: 2000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
    });
    for (const rule of acl.Rules.slice(1)) {
      // the groups' own actions apply (None), and each is AWS's group of the rule's name
      expect(rule.OverrideAction).toEqual({ None: {} });
      expect(rule.Statement.ManagedRuleGroupStatement).toMatchObject({ VendorName: 'AWS', Name: rule.Name });
    }
  });

  test('the common rule set only counts bodies over 8 KB: a valid guestbook entry can be larger', () => {
    const [, , known, common] = webAcl().Rules;
    expect(common.Statement.ManagedRuleGroupStatement.RuleActionOverrides).toEqual([
      { Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } },
    ]);
    expect(known.Statement.ManagedRuleGroupStatement.RuleActionOverrides).toBeUndefined();
  });

  test('the web ACL is associated with the ALB', () => {
    expect(only(v.template, 'AWS::WAFv2::WebACLAssociation').Properties).toEqual({
      ResourceArn: { Ref: logicalIdAt(v, 'Alb') },
      WebACLArn: webAclArn(),
    });
  });

  test('WAF logs to an aws-waf-logs- group of the stage’s retention, named per stack creation, credentials redacted', () => {
    const group = resourceAt(v, 'AlbWebAcl/Logs');
    expect(joined(group.Properties.LogGroupName)).toMatch(/^aws-waf-logs-coa-ecs-\{"Fn::Select"/);
    expect(group.Properties.RetentionInDays).toBe(stagePolicy('production', 'x86_64').logRetention);
    expect(group.DeletionPolicy).toBe('Retain');
    const logging = only(v.template, 'AWS::WAFv2::LoggingConfiguration');
    const groupId = logicalIdAt(v, 'AlbWebAcl/Logs');
    expect(logging.Properties).toEqual({
      ResourceArn: webAclArn(),
      // WAF takes the group's ARN without the `:*` of Fn::GetAtt
      LogDestinationConfigs: [
        { 'Fn::Join': ['', ['arn:aws:logs:eu-west-1:123456789012:log-group:', { Ref: groupId }]] },
      ],
      RedactedFields: [{ SingleHeader: { Name: 'authorization' } }, { SingleHeader: { Name: 'cookie' } }],
    });
    expect(logging.DependsOn).toContain(onlyId(v.template, 'AWS::Logs::ResourcePolicy'));
  });

  test('log delivery may write to that group only, for this account: the resource policy WAF would otherwise add', () => {
    // the document is JSON text joined around the group's name: parse it with the name as GROUP
    const [, parts] = only(v.template, 'AWS::Logs::ResourcePolicy').Properties.PolicyDocument['Fn::Join'];
    expect(parts.filter((part: unknown) => typeof part !== 'string')).toEqual([
      { Ref: logicalIdAt(v, 'AlbWebAcl/Logs') },
    ]);
    const policy = JSON.parse(
      parts.map((part: unknown) => (typeof part === 'string' ? part : 'GROUP')).join(''),
    );
    expect(policy.Statement).toEqual([
      {
        Sid: 'AWSLogDeliveryWrite',
        Effect: 'Allow',
        Principal: { Service: 'delivery.logs.amazonaws.com' },
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: 'arn:aws:logs:eu-west-1:123456789012:log-group:GROUP:log-stream:*',
        Condition: {
          StringEquals: { 'aws:SourceAccount': '123456789012' },
          ArnLike: { 'aws:SourceArn': 'arn:aws:logs:eu-west-1:123456789012:*' },
        },
      },
    ]);
  });

  test('sandbox: no web ACL, no WAF logging, and HTTP serves the app (no certificate needed)', () => {
    const s = built.sandbox;
    for (const type of [
      'AWS::WAFv2::WebACL',
      'AWS::WAFv2::WebACLAssociation',
      'AWS::WAFv2::LoggingConfiguration',
    ]) {
      s.template.resourceCountIs(type, 0);
    }
    s.template.resourceCountIs('AWS::Logs::ResourcePolicy', 0);
    expect(only(s.template, 'AWS::ElasticLoadBalancingV2::Listener').Properties).toMatchObject({
      Protocol: 'HTTP',
      DefaultActions: [{ Type: 'forward' }],
    });
  });
});

describe('ECS stack: deployments', () => {
  // the one extra synthesis: blue/green on both services; canary and linear differ from it only in
  // the service properties, checked below without synthesizing the app
  const blueGreen = (() => {
    const { stacks, config } = synthesize({
      stage: 'sandbox',
      platforms: 'ecs',
      ecsDeploymentStrategy: 'blueGreen',
    });
    const stack = stacks.ecs!;
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue());
    const nag = new AwsSolutionsChecks().validateScope(stack);
    return { stack, config, warnings, nag, template: Template.fromStack(stack) };
  })();
  /** CloudFormation JSON, whose shape depends on the resource type. */
  type Json = Resource['Properties'];
  const PLATFORMS = { ec2: 'ecs-ec2', fargate: 'ecs-fargate' } as const;
  type Kind = keyof typeof PLATFORMS;
  const KINDS = Object.keys(PLATFORMS) as Kind[];
  const NAMES = { ec2: 'Ec2', fargate: 'Fargate' };

  const service = (v: { stack: Stack; template: Template }, kind: Kind) =>
    resourceAt(v, SERVICES[kind]).Properties;
  const byRef = (v: { template: Template }, value: { Ref: string }) =>
    v.template.toJSON().Resources[value.Ref];
  const listenerOnPort = (v: { template: Template }, port: number) =>
    onlyId(v.template, 'AWS::ElasticLoadBalancingV2::Listener', { Port: port });
  /** The alarms a service's deployment watches, as synthesized. */
  const deploymentAlarms = (v: Built | typeof blueGreen, kind: Kind) =>
    service(v, kind).DeploymentConfiguration.Alarms.AlarmNames.map(
      (name: { Ref: string }) => byRef(v, name).Properties,
    );
  /** Every metric the alarm reads (alone, or in its metric math), with its dimensions as a map. */
  const metricsOf = (
    alarm: Json,
  ): { Namespace: string; MetricName: string; Stat: string; Dimensions: Json }[] =>
    (alarm.Metrics
      ? alarm.Metrics.flatMap((m: Json) =>
          m.MetricStat ? [{ ...m.MetricStat.Metric, Stat: m.MetricStat.Stat }] : [],
        )
      : [{ ...alarm, Stat: alarm.ExtendedStatistic ?? alarm.Statistic }]
    ).map((m: Json) => ({
      Namespace: m.Namespace,
      MetricName: m.MetricName,
      Stat: m.Stat,
      Dimensions: Object.fromEntries(m.Dimensions.map((d: Json) => [d.Name, d.Value])),
    }));

  test.each(KINDS)(
    'rolling (the default): the %s service keeps ECS’s rolling update, no second target group',
    (kind) => {
      const v = built.sandbox;
      const props = service(v, kind);
      expect(props.DeploymentConfiguration).not.toHaveProperty('Strategy');
      expect(props.DeploymentConfiguration).not.toHaveProperty('BakeTimeInMinutes');
      expect(props.DeploymentConfiguration).not.toHaveProperty('LifecycleHooks');
      expect(props.LoadBalancers).toEqual([
        {
          ContainerName: 'SampleApp',
          ContainerPort: 8080,
          TargetGroupArn: { Ref: logicalIdAt(v, `${NAMES[kind]}TargetGroup`) },
        },
      ]);
      expect(Object.keys(resourcesOf(v.template, 'AWS::ElasticLoadBalancingV2::TargetGroup'))).toHaveLength(
        2,
      );
      expect(Object.keys(resourcesOf(v.template, 'AWS::Lambda::Function'))).toEqual([]);
    },
  );

  test.each(VARIANTS)(
    '%s: each service rolls back on its deployment alarms, alongside the circuit breaker',
    (variant) => {
      const v = built[variant];
      for (const kind of KINDS) {
        const { Alarms, DeploymentCircuitBreaker } = service(v, kind).DeploymentConfiguration;
        expect(DeploymentCircuitBreaker).toEqual({ Enable: true, Rollback: true });
        expect(Alarms).toEqual({
          AlarmNames: ['Target5xx', 'LatencyP90', 'UnhealthyTargets'].map((alarm) => ({
            Ref: logicalIdAt(v, `Deployments/${NAMES[kind]}Alarms/${alarm}`),
          })),
          Enable: true,
          Rollback: true,
        });
      }
    },
  );

  test.each([
    ['rolling', 'sandbox'],
    ['blueGreen', 'blueGreen'],
  ] as const)(
    '%s: every deployment alarm reads the ALB metrics of the target groups the service registers in',
    (_, variant) => {
      const v = variant === 'blueGreen' ? blueGreen : built.sandbox;
      const loadBalancer = only(v.template, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
      const albId = onlyId(v.template, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
      expect(loadBalancer.Type).toBe('AWS::ElasticLoadBalancingV2::LoadBalancer');
      for (const kind of KINDS) {
        // the groups, as the service names them: its target group and, with traffic shifting, the alternate
        const [{ TargetGroupArn, AdvancedConfiguration }] = service(v, kind).LoadBalancers;
        const groups = [
          TargetGroupArn,
          ...(AdvancedConfiguration ? [AdvancedConfiguration.AlternateTargetGroupArn] : []),
        ];
        const groupDimensions = groups.map(({ Ref }: { Ref: string }) => ({
          'Fn::GetAtt': [Ref, 'TargetGroupFullName'],
        }));
        for (const alarm of deploymentAlarms(v, kind)) {
          const metrics = metricsOf(alarm);
          expect(metrics.every((m) => m.Namespace === 'AWS/ApplicationELB')).toBe(true);
          // each metric names one of the service's groups, and the listener it hangs on is on this ALB
          for (const metric of metrics) {
            expect(groupDimensions).toContainEqual(metric.Dimensions.TargetGroup);
            const listenerRef = JSON.stringify(metric.Dimensions.LoadBalancer).match(/"Ref":"(\w+)"/)![1];
            expect(v.template.toJSON().Resources[listenerRef].Properties.LoadBalancerArn).toEqual({
              Ref: albId,
            });
          }
          // and every group is read: green's errors count whichever group of the pair it is in
          const read = new Set(metrics.map((m) => JSON.stringify(m.Dimensions.TargetGroup)));
          expect(read.size).toBe(groups.length);
          expect(alarm).toMatchObject({
            ComparisonOperator: 'GreaterThanOrEqualToThreshold',
            EvaluationPeriods: 3,
            DatapointsToAlarm: 2,
            TreatMissingData: 'notBreaching',
          });
          // ECS rolls back on the alarm itself; its action only tells people
          expect(alarm.AlarmActions).toEqual([{ Ref: logicalIdAt(v, 'Alerts/Topic') }]);
        }
        const [errors, latency, unhealthy] = deploymentAlarms(v, kind);
        const { target5xxPercent, p90Seconds, unhealthyHosts } = DEPLOYMENT_ALARM_THRESHOLDS;
        // 5xx as a share of requests: metric math over the 5xx and request counts of each group
        expect(errors.Threshold).toBe(target5xxPercent);
        expect(
          metricsOf(errors)
            .map((m) => `${m.MetricName}/${m.Stat}`)
            .sort(),
        ).toEqual(groups.flatMap(() => ['HTTPCode_Target_5XX_Count/Sum', 'RequestCount/Sum']).sort());
        const fill = (name: string) =>
          errors.Metrics.filter((m: Json) => m.MetricStat?.Metric.MetricName === name)
            .map((m: Json) => `FILL(${m.Id}, 0)`)
            .join(' + ');
        expect(errors.Metrics.find((m: Json) => m.Expression).Expression).toBe(
          `100 * (${fill('HTTPCode_Target_5XX_Count')}) / (${fill('RequestCount')})`,
        );
        expect(latency.Threshold).toBe(p90Seconds);
        expect(metricsOf(latency).map((m) => `${m.MetricName}/${m.Stat}`)).toEqual(
          groups.map(() => 'TargetResponseTime/p90'),
        );
        expect(unhealthy.Threshold).toBe(unhealthyHosts);
        expect(metricsOf(unhealthy).map((m) => `${m.MetricName}/${m.Stat}`)).toEqual(
          groups.map(() => 'UnHealthyHostCount/Maximum'),
        );
      }
    },
  );

  test('the stack exposes both services’ deployment alarms, for alarm actions added elsewhere', () => {
    const v = built.sandbox;
    const stack = v.stack as EcsStack;
    expect(stack.deploymentAlarms.map((alarm) => stack.resolve(alarm.alarmName))).toEqual(
      KINDS.flatMap((kind) => service(v, kind).DeploymentConfiguration.Alarms.AlarmNames),
    );
  });

  test.each(KINDS)('blueGreen: the %s service deploys blue/green with the configured bake time', (kind) => {
    const { DeploymentConfiguration } = service(blueGreen, kind);
    expect(blueGreen.config.ecs.deployment).toEqual({ strategy: 'blueGreen', bakeTimeMinutes: 5 });
    expect(DeploymentConfiguration).toMatchObject({ Strategy: 'BLUE_GREEN', BakeTimeInMinutes: 5 });
    expect(DeploymentConfiguration).not.toHaveProperty('CanaryConfiguration');
    expect(DeploymentConfiguration).not.toHaveProperty('LinearConfiguration');
  });

  test.each(KINDS)(
    'blueGreen: the %s service has an alternate target group like its primary, on a production and a test rule that forward to exactly the pair',
    (kind) => {
      const v = blueGreen;
      const [{ TargetGroupArn, AdvancedConfiguration }] = service(v, kind).LoadBalancers;
      const primary = byRef(v, TargetGroupArn).Properties;
      const alternate = byRef(v, AdvancedConfiguration.AlternateTargetGroupArn).Properties;
      expect(AdvancedConfiguration.AlternateTargetGroupArn).not.toEqual(TargetGroupArn);
      // the same kind of group (ECS moves tasks between them), and ECS registers the tasks in either
      expect(alternate).toEqual(primary);
      expect(primary).not.toHaveProperty('Targets');
      const pair = [
        { TargetGroupArn, Weight: 100 },
        { TargetGroupArn: AdvancedConfiguration.AlternateTargetGroupArn, Weight: 0 },
      ];
      const production = byRef(v, AdvancedConfiguration.ProductionListenerRule).Properties;
      const test = byRef(v, AdvancedConfiguration.TestListenerRule).Properties;
      for (const [rule, port] of [
        [production, 80],
        [test, 9000],
      ] as const) {
        expect(rule.ListenerArn).toEqual({ Ref: listenerOnPort(v, port) });
        expect(rule.Actions).toEqual([{ Type: 'forward', ForwardConfig: { TargetGroups: pair } }]);
      }
      expect(production.Conditions).toEqual(test.Conditions);
    },
  );

  test('blueGreen: ?platform=ecs-ec2 pins EC2, everything else (the plain URL included) goes to Fargate, on both listeners', () => {
    const v = blueGreen;
    for (const port of [80, 9000]) {
      const listener = listenerOnPort(v, port);
      const rules = Object.values(
        resourcesOf(v.template, 'AWS::ElasticLoadBalancingV2::ListenerRule', {
          ListenerArn: { Ref: listener },
        }),
      ).map(({ Properties: { Priority, Conditions } }) => ({ Priority, Conditions }));
      expect(rules).toEqual([
        {
          Priority: 10,
          Conditions: [
            { Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'platform', Value: 'ecs-ec2' }] } },
          ],
        },
        { Priority: 20, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } }] },
      ]);
      // ECS refuses listeners mixing forward with other actions: the (never taken) default forwards too
      expect(v.template.toJSON().Resources[listener].Properties.DefaultActions).toEqual([
        expect.objectContaining({ Type: 'forward' }),
      ]);
    }
  });

  test('blueGreen: the test port admits the two smoke tests’ security groups and nothing else', () => {
    const v = blueGreen;
    const albGroup = { 'Fn::GetAtt': [logicalIdAt(v, 'Alb/SecurityGroup'), 'GroupId'] };
    const inline = only(v.template, 'AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('Alb'),
    }).Properties.SecurityGroupIngress;
    expect(inline.filter((rule: Json) => rule.FromPort === 9000)).toEqual([]);
    const ingress = Object.values(
      resourcesOf(v.template, 'AWS::EC2::SecurityGroupIngress', { GroupId: albGroup, FromPort: 9000 }),
    );
    expect(
      ingress
        .map((r) => r.Properties.SourceSecurityGroupId)
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toEqual(
      KINDS.map((kind) => ({
        'Fn::GetAtt': [logicalIdAt(v, `Deployments/${NAMES[kind]}/SmokeTestSecurityGroup`), 'GroupId'],
      })),
    );
  });

  test.each(KINDS)(
    'blueGreen: the %s smoke test runs after test traffic moves to green, invoked through a role that may invoke it only',
    (kind) => {
      const v = blueGreen;
      const fnId = logicalIdAt(v, `Deployments/${NAMES[kind]}/SmokeTest`);
      const roleId = logicalIdAt(v, `Deployments/${NAMES[kind]}/SmokeTestHookRole`);
      expect(service(v, kind).DeploymentConfiguration.LifecycleHooks).toEqual([
        {
          HookTargetArn: { 'Fn::GetAtt': [fnId, 'Arn'] },
          LifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
          RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
        },
      ]);
      expect(
        resourceAt(v, `Deployments/${NAMES[kind]}/SmokeTestHookRole`).Properties.AssumeRolePolicyDocument
          .Statement,
      ).toEqual([
        expect.objectContaining({ Principal: { Service: 'ecs.amazonaws.com' }, Action: 'sts:AssumeRole' }),
      ]);
      expect(statementsOfRoleAt(v, `Deployments/${NAMES[kind]}/SmokeTestHookRole`)).toEqual([
        { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [fnId, 'Arn'] } },
      ]);
      // the service starts only once both roles can act
      expect(resourceAt(v, SERVICES[kind]).DependsOn).toEqual(
        expect.arrayContaining([roleId, logicalIdAt(v, `Deployments/${NAMES[kind]}/TrafficShiftRole`)]),
      );
    },
  );

  test.each(KINDS)(
    "blueGreen: the %s smoke test's Control Tower Lambda-in-a-VPC finding is acknowledged on it alone (the shared VPC's subnets)",
    (kind) => {
      const path = `${blueGreen.stack.node.path}/Deployments/${NAMES[kind]}/SmokeTest`;
      expect(
        controlTowerAcknowledgments(blueGreen.stack)
          .filter((ack) => ack.path.startsWith(path) && ack.id.endsWith('::lambda_inside_vpc_check'))
          .map((ack) => ack.path),
      ).toEqual([path]);
    },
  );

  test.each(KINDS)(
    'blueGreen: the %s smoke test is inline code in the private subnets, told its platform, the test port and the ALB',
    (kind) => {
      const v = blueGreen;
      const fn = resourceAt(v, `Deployments/${NAMES[kind]}/SmokeTest`).Properties;
      expect(fn.Code.ZipFile).toMatch(/^\/\/ Transpiled from lib\/ecs\/smoke-test-handler\.ts/);
      expect(fn.Environment.Variables).toEqual({
        PLATFORM: PLATFORMS[kind],
        TEST_LISTENER_PORT: String(byRef(v, { Ref: listenerOnPort(v, 9000) }).Properties.Port),
        LOAD_BALANCER_FULL_NAME: {
          'Fn::GetAtt': [
            onlyId(v.template, 'AWS::ElasticLoadBalancingV2::LoadBalancer'),
            'LoadBalancerFullName',
          ],
        },
      });
      expect(new Set(subnetKinds(fn.VpcConfig.SubnetIds))).toEqual(new Set(['private']));
      expect(fn.VpcConfig.SecurityGroupIds).toEqual([
        { 'Fn::GetAtt': [logicalIdAt(v, `Deployments/${NAMES[kind]}/SmokeTestSecurityGroup`), 'GroupId'] },
      ]);
      const path = `Deployments/${NAMES[kind]}/SmokeTestFunctionRole`;
      expect(actionsOf(statementsOfRoleAt(v, path))).toEqual([
        'ec2:AssignPrivateIpAddresses',
        'ec2:CreateNetworkInterface',
        'ec2:DeleteNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:UnassignPrivateIpAddresses',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ]);
    },
  );

  test.each(KINDS)(
    'blueGreen: ECS shifts the %s service’s traffic with a role scoped to its own groups and rules',
    (kind) => {
      const v = blueGreen;
      const [{ TargetGroupArn, AdvancedConfiguration }] = service(v, kind).LoadBalancers;
      const path = `Deployments/${NAMES[kind]}/TrafficShiftRole`;
      expect(AdvancedConfiguration.RoleArn).toEqual({ 'Fn::GetAtt': [logicalIdAt(v, path), 'Arn'] });
      expect(resourceAt(v, path).Properties.ManagedPolicyArns).toBeUndefined();
      const statements = statementsOfRoleAt(v, path);
      const resourcesFor = (action: string) =>
        statements.find((s) => [s.Action].flat().includes(action))!.Resource;
      expect(resourcesFor('elasticloadbalancing:RegisterTargets')).toEqual([
        TargetGroupArn,
        AdvancedConfiguration.AlternateTargetGroupArn,
      ]);
      expect(resourcesFor('elasticloadbalancing:DeregisterTargets')).toEqual([
        TargetGroupArn,
        AdvancedConfiguration.AlternateTargetGroupArn,
      ]);
      expect(resourcesFor('elasticloadbalancing:ModifyRule')).toEqual([
        AdvancedConfiguration.ProductionListenerRule,
        AdvancedConfiguration.TestListenerRule,
      ]);
      const onEverything = statements.filter((s) => s.Resource === '*').flatMap((s) => [s.Action].flat());
      expect(onEverything.every((action: string) => action.startsWith('elasticloadbalancing:Describe'))).toBe(
        true,
      );
    },
  );

  test('blueGreen: no CDK warnings, and cdk-nag clean', () => {
    expect(blueGreen.warnings).toEqual([]);
    expect(blueGreen.nag.violations).toEqual([]);
  });

  test.each([
    [
      { strategy: 'canary', bakeTimeMinutes: 3, canaryPercent: 2.5, intervalMinutes: 15 },
      {
        strategy: 'CANARY',
        bakeTimeInMinutes: 3,
        canaryConfiguration: { canaryPercent: 2.5, canaryBakeTimeInMinutes: 15 },
      },
    ],
    [
      { strategy: 'linear', bakeTimeMinutes: 0, stepPercent: 20, intervalMinutes: 4 },
      {
        strategy: 'LINEAR',
        bakeTimeInMinutes: 0,
        linearConfiguration: { stepPercent: 20, stepBakeTimeInMinutes: 4 },
      },
    ],
  ] as const)('%j: the service properties ECS reads, on a service of its own', (deployment, expected) => {
    // only the service, resolved without synthesizing: a cluster and one Fargate task, none of the app
    const stack = new Stack();
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
    taskDefinition.addContainer('App', { image: ecs.ContainerImage.fromRegistry('app') });
    const fargate = new ecs.FargateService(stack, 'Service', {
      cluster: new ecs.Cluster(stack, 'Cluster'),
      taskDefinition,
      ...deploymentStrategyProps(deployment),
    });
    const resolved = stack.resolve((fargate.node.defaultChild as ecs.CfnService).deploymentConfiguration);
    expect(resolved).toMatchObject(expected);
    expect(resolved).not.toHaveProperty(
      deployment.strategy === 'canary' ? 'linearConfiguration' : 'canaryConfiguration',
    );
  });

  test('rolling adds no service property: the rolling template changes only by the deployment alarms', () => {
    expect(deploymentStrategyProps({ strategy: 'rolling' })).toEqual({});
  });
});

describe('ECS stack: production controls for tasks and instances', () => {
  const DOCKERFILE_USER = /^USER (\d+):(\d+)$/m.exec(
    fs.readFileSync(path.join(__dirname, '..', 'app', 'Dockerfile'), 'utf8'),
  );
  const containers = (variant: Variant) =>
    Object.values(resourcesOf(built[variant].template, 'AWS::ECS::TaskDefinition')).flatMap((task) =>
      task.Properties.ContainerDefinitions.map((c: Record<string, unknown>) => ({ task, c })),
    );
  const group = (variant: Variant) =>
    only(built[variant].template, 'AWS::AutoScaling::AutoScalingGroup').Properties;

  test("SAMPLE_APP.user is the image's USER, by number, and not root", () => {
    expect(DOCKERFILE_USER?.slice(1).map(Number)).toEqual([SAMPLE_APP.user.uid, SAMPLE_APP.user.gid]);
    expect(SAMPLE_APP.user.uid).toBeGreaterThan(0);
  });

  test.each(STAGES)("%s: every container runs as the image's non-root uid:gid (CT.ECS.PR.3)", (stage) => {
    const users = containers(stage).map(({ c }) => c.User);
    expect(users).toHaveLength(2);
    expect(users).toEqual(users.map(() => `${DOCKERFILE_USER![1]}:${DOCKERFILE_USER![2]}`));
  });

  test.each(STAGES)("%s: the EFS access point's POSIX user is the containers' user", (stage) => {
    const { PosixUser, RootDirectory } = only(built[stage].template, 'AWS::EFS::AccessPoint').Properties;
    const [uid, gid] = (containers(stage)[0].c.User as string).split(':');
    expect(PosixUser).toEqual({ Uid: uid, Gid: gid });
    expect(RootDirectory.CreationInfo).toMatchObject({ OwnerUid: uid, OwnerGid: gid });
  });

  test.each(STAGES)("%s: each container's hard memory limit is the task's memory (CT.ECS.PR.7)", (stage) => {
    for (const { c } of containers(stage)) expect(c.Memory).toBe(512);
    const fargate = resourceAt(built[stage], 'FargateTask/TaskDefinition').Properties;
    expect(fargate.Memory).toBe('512');
  });

  test.each(STAGES)('%s: every Linux capability dropped, none added', (stage) => {
    for (const { c } of containers(stage)) {
      expect(c.LinuxParameters).toEqual({ Capabilities: { Drop: ['ALL'] } });
    }
  });

  test('production: a read-only root file system in every container (the sandbox gives it up for ECS Exec)', () => {
    for (const { c } of containers('production')) expect(c.ReadonlyRootFilesystem).toBe(true);
  });

  test.each(STAGES)(
    '%s: no privileged container and no Docker security options (neither is valid on Fargate)',
    (stage) => {
      for (const { c } of containers(stage)) {
        expect(c.Privileged).toBeUndefined();
        expect(c.DockerSecurityOptions).toBeUndefined();
      }
    },
  );

  test('the EC2 instances refuse privileged containers whatever a task definition asks', () => {
    const userData = JSON.stringify(
      resourceAt(built.sandbox, 'LaunchTemplate').Properties.LaunchTemplateData,
    );
    expect(userData).toContain('echo ECS_DISABLE_PRIVILEGED=true >> /etc/ecs/ecs.config');
  });

  test.each([
    ['sandbox', false],
    ['production', true],
  ] as const)('%s: launch template detailed monitoring per the stage (CT.EC2.PR.10)', (stage, monitoring) => {
    expect(resourceAt(built[stage], 'LaunchTemplate').Properties.LaunchTemplateData.Monitoring).toEqual({
      Enabled: monitoring,
    });
  });

  test.each([
    ['sandbox', ['t3.small', 't3a.small']],
    ['production', ['c7a.medium', 'm7a.medium']],
    ['options', ['t4g.small', 'c7g.medium']],
  ] as const)(
    '%s: more than one instance type through the mixed instances policy, ecsInstanceType first (CT.AUTOSCALING.PR.6)',
    (variant, types) => {
      const policy = group(variant).MixedInstancesPolicy;
      expect(policy.LaunchTemplate.Overrides.map((o: { InstanceType: string }) => o.InstanceType)).toEqual(
        types,
      );
      expect(group(variant).LaunchTemplate).toBeUndefined();
    },
  );

  test('on demand: the types in order of preference, all on demand', () => {
    expect(group('production').MixedInstancesPolicy.InstancesDistribution).toEqual({
      OnDemandAllocationStrategy: 'prioritized',
      OnDemandPercentageAboveBaseCapacity: 100,
    });
  });

  test.each(VARIANTS)(
    '%s: the group names the zones of its subnets, more than one (CT.AUTOSCALING.PR.1)',
    (variant) => {
      const { AvailabilityZones: zones, VPCZoneIdentifier: subnets } = group(variant);
      expect(zones).toHaveLength(subnets.length);
      expect(new Set(zones.map((zone: unknown) => JSON.stringify(zone))).size).toBe(subnets.length);
      expect(subnets.length).toBeGreaterThan(1);
    },
  );
});

describe('the sample app writes only to its guestbook directory (so a read-only root file system holds)', () => {
  const dir = path.join(__dirname, '..', 'app', 'src');
  const sources = fs.readdirSync(dir).map((file) => [file, fs.readFileSync(path.join(dir, file), 'utf8')]);
  /** What each module imports from node's file system and os modules, by name. */
  const imported = (source: string, module: RegExp) =>
    [...source.matchAll(/import\s*(\*\s*as\s*\w+|\{[^}]*\})\s*from\s*'(?:node:)?([\w/]+)'/g)]
      .filter(([, , from]) => module.test(from))
      .flatMap(([, names]) =>
        names
          .replace(/[{}]/g, '')
          .split(',')
          .map((name) => name.trim()),
      )
      .filter(Boolean);
  const READ_ONLY = new Set(['stat', 'readdir', 'readFile']);

  test('only app/src/guestbook.ts imports a file system call that writes (it writes under GUESTBOOK_DIR)', () => {
    const writers = sources
      .filter(([, source]) => imported(source, /^fs(\/promises)?$/).some((name) => !READ_ONLY.has(name)))
      .map(([file]) => file);
    expect(writers).toEqual(['guestbook.ts']);
  });

  test('nothing asks for a temporary directory: the container needs no scratch volume', () => {
    const temporary = sources.filter(([, source]) =>
      imported(source, /^os$/).some((name) => /tmpdir|\*/.test(name)),
    );
    expect(temporary).toEqual([]);
  });
});

describe('ECS stack: production instance types encrypt traffic between instances', () => {
  test('production: every type the group may launch is a Nitro type with encryption in transit (CT.AUTOSCALING.PR.11)', () => {
    // the Nitro families Control Tower's rule lists that this app defaults to (m7a, c7a, c7g, m7g)
    const overrides = only(built.production.template, 'AWS::AutoScaling::AutoScalingGroup').Properties
      .MixedInstancesPolicy.LaunchTemplate.Overrides;
    for (const { InstanceType } of overrides) expect(InstanceType).toMatch(/^(c7a|m7a|c7g|m7g)\./);
  });
});

describe('ECS stack: debug access (ECS Exec)', () => {
  const execInProduction = (() => {
    const { stacks } = synthesize({ ...CONTEXTS.production, platforms: 'ecs', ecsExec: 'true' });
    return { ...built.production, stack: stacks.ecs!, template: Template.fromStack(stacks.ecs!) };
  })();
  const CASES = [
    ['sandbox', built.sandbox, true],
    ['production', built.production, false],
    ['production with ecsExec=true', execInProduction, true],
  ] as const;
  const SSM_CHANNELS = [
    'ssmmessages:CreateControlChannel',
    'ssmmessages:CreateDataChannel',
    'ssmmessages:OpenControlChannel',
    'ssmmessages:OpenDataChannel',
  ];

  test.each(CASES)('%s: enableExecuteCommand on both services is %s', (_name, v, on) => {
    for (const service of Object.values(SERVICES)) {
      expect(resourceAt(v, service).Properties.EnableExecuteCommand).toBe(on);
    }
  });

  test.each(CASES)('%s: the root file system is read-only exactly where ECS Exec is off', (_name, v, on) => {
    for (const task of Object.values(TASKS)) expect(container(v, task).ReadonlyRootFilesystem).toBe(!on);
  });

  test.each(CASES)(
    "%s: sessions are logged to the stack's log group, with no KMS key of their own",
    (_name, v, on) => {
      const { Configuration } = resourceAt(v, 'Cluster').Properties;
      if (!on) {
        expect(Configuration).toBeUndefined();
        expect(() => logicalIdAt(v, 'ExecSessionLogs')).toThrow();
        return;
      }
      expect(Configuration).toEqual({
        ExecuteCommandConfiguration: {
          Logging: 'OVERRIDE',
          LogConfiguration: { CloudWatchLogGroupName: { Ref: logicalIdAt(v, 'ExecSessionLogs') } },
        },
      });
    },
  );

  test.each(CASES)(
    '%s: the task role gets the SSM channels and the session log, nothing broader',
    (_name, v, on) => {
      for (const task of Object.values(TASKS)) {
        const exec = statementsOfRoleAt(v, `${task}/TaskRole`).filter(
          (s) => !actionsOf([s]).every((a) => a.startsWith('elasticfilesystem:')),
        );
        if (!on) {
          expect(exec).toEqual([]);
          continue;
        }
        expect(exec).toEqual([
          // the SSM agent's channels to Session Manager; the API has no resource to scope them to
          { Action: ['logs:DescribeLogGroups', ...SSM_CHANNELS], Effect: 'Allow', Resource: '*' },
          {
            Action: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
            Effect: 'Allow',
            Resource: expect.objectContaining({ 'Fn::Join': expect.anything() }),
          },
        ]);
        expect(joined(exec[1].Resource)).toContain(
          `:log-group:{"Ref":"${logicalIdAt(v, 'ExecSessionLogs')}"}:*`,
        );
        expect(actionsOf(exec).filter((a) => /^(ssm|kms|s3):/.test(a))).toEqual([]);
      }
    },
  );

  test('outputs name the cluster and both services, as aws ecs execute-command takes them', () => {
    const v = built.sandbox;
    expect(v.template.findOutputs('ClusterName').ClusterName.Value).toEqual({
      Ref: logicalIdAt(v, 'Cluster'),
    });
    for (const [output, service] of [
      ['Ec2ServiceName', SERVICES.ec2],
      ['FargateServiceName', SERVICES.fargate],
    ]) {
      expect(v.template.findOutputs(output)[output].Value).toEqual({
        'Fn::GetAtt': [logicalIdAt(v, service), 'Name'],
      });
    }
  });
});

describe('ECS stack: observability', () => {
  const v = built.sandbox;
  const construct = <T>(id: string) => v.stack.node.findChild(id) as T;
  const targetGroups = {
    'ecs-ec2': construct<elbv2.ApplicationTargetGroup>('Ec2TargetGroup'),
    'ecs-fargate': construct<elbv2.ApplicationTargetGroup>('FargateTargetGroup'),
  };
  const services = [construct<ecs.BaseService>(SERVICES.ec2), construct<ecs.BaseService>(SERVICES.fargate)];

  test('one alerts topic, without subscribers in the sandbox', () => {
    v.template.resourceCountIs('AWS::SNS::Topic', 1);
    v.template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  test.each(VARIANTS)(
    '%s: every alarm tells the alerts topic, which lets CloudWatch publish for it alone',
    (variant) => {
      // one per target group and one per service, and each service's three deployment alarms
      expect(Object.keys(alarmsToAlertsTopic(built[variant]))).toHaveLength(4 + 2 * 3);
    },
  );

  test('no healthy targets: an alarm per target group on its own HealthyHostCount, silence counting as none', () => {
    for (const [platform, targetGroup] of Object.entries(targetGroups)) {
      const alarm = resourceAt(v, `NoHealthyTargets-${platform}`).Properties;
      const [namespace, metricName, ...dimensions] = metricAsGraphed(
        v.stack,
        targetGroup.metrics.healthyHostCount(),
      );
      expect(alarm).toMatchObject({
        Namespace: namespace,
        MetricName: metricName,
        Statistic: 'Minimum',
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
        EvaluationPeriods: 3,
        TreatMissingData: 'breaching',
      });
      expect(dimensionsAsGraphed(alarm.Dimensions)).toEqual(dimensions);
    }
  });

  test('tasks missing: desired - running over Container Insights, per service, for 10 minutes', () => {
    for (const [platform, service] of [
      ['ecs-ec2', services[0]],
      ['ecs-fargate', services[1]],
    ] as const) {
      const alarm = resourceAt(v, `RunningBelowDesired-${platform}`).Properties;
      expect(alarm).toMatchObject({
        Threshold: 1,
        EvaluationPeriods: 10,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
      const [expression, ...metrics] = alarm.Metrics;
      expect(expression.Expression).toBe('desired - running');
      const dimensions = [
        { Name: 'ClusterName', Value: v.stack.resolve(service.cluster.clusterName) },
        { Name: 'ServiceName', Value: v.stack.resolve(service.serviceName) },
      ];
      expect(metrics.map((m: { MetricStat: { Metric: unknown } }) => m.MetricStat.Metric)).toEqual([
        { Namespace: 'ECS/ContainerInsights', MetricName: 'DesiredTaskCount', Dimensions: dimensions },
        { Namespace: 'ECS/ContainerInsights', MetricName: 'RunningTaskCount', Dimensions: dimensions },
      ]);
    }
  });

  test('the dashboard graphs each metric as the resource it describes names it', () => {
    const graphed = dashboardMetrics(only(v.template, 'AWS::CloudWatch::Dashboard')).map((m) =>
      JSON.stringify(m),
    );
    const alb = construct<elbv2.ApplicationLoadBalancer>('Alb');
    const expected = [
      ...Object.values(targetGroups).flatMap((tg) => [
        tg.metrics.requestCount(),
        tg.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT),
        tg.metrics.targetResponseTime(),
        tg.metrics.healthyHostCount(),
      ]),
      alb.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT),
      ...services.flatMap((s) => [s.metricCpuUtilization(), s.metricMemoryUtilization()]),
    ].map((m) => JSON.stringify(metricAsGraphed(v.stack, m)));
    // the app's own (app/src/metrics.ts) and the guestbook's file system
    const fileSystem = { Ref: logicalIdAt(v, 'Guestbook/FileSystem') };
    expected.push(
      ...Object.keys(targetGroups).map((platform) =>
        JSON.stringify([METRICS_NAMESPACE, METRIC_NAMES.guestbookWrites, DIMENSION_NAMES.platform, platform]),
      ),
      JSON.stringify(['AWS/EFS', 'TotalIOBytes', 'FileSystemId', fileSystem]),
      JSON.stringify(['AWS/EFS', 'ClientConnections', 'FileSystemId', fileSystem]),
    );
    for (const metric of expected) expect(graphed).toContain(metric);
  });

  test('latency as p50 and p90 of each target group', () => {
    const stats = dashboardMetricLines(only(v.template, 'AWS::CloudWatch::Dashboard'))
      .filter((m) => m[1] === 'TargetResponseTime')
      .map((m) => (m[m.length - 1] as { stat: string }).stat);
    expect(stats).toEqual(['p50', 'p90', 'p50', 'p90']);
  });

  test('the dashboard URL is a stack output', () => {
    const url = joined(v.template.findOutputs('DashboardUrl').DashboardUrl.Value);
    expect(url).toContain(`#dashboards:name={"Ref":"${logicalIdAt(v, 'Dashboard/Dashboard')}"}`);
  });
});
