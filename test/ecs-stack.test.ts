import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { addGuestbookVolume } from '../lib/ecs/guestbook-volume';
import { STAGES, synthesize } from './support/synth';
import {
  actionsOf,
  joined,
  logicalIdAt,
  only,
  onlyId,
  resourceAt,
  resourcesOf,
  statementsOfRole,
  statementsOfRoleAt,
  subnetKinds,
} from './support/template';

const CERTIFICATE_ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';

/** Production names its environment (the ALB access-log bucket needs the region); options are all on. */
const CONTEXTS = {
  sandbox: { stage: 'sandbox' },
  production: { stage: 'production', account: '123456789012', region: 'eu-west-1' },
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
    expect(data.MetadataOptions).toEqual({ HttpTokens: 'required' });
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
      only(built.sandbox.template, 'AWS::AutoScaling::AutoScalingGroup').Properties.MixedInstancesPolicy,
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
    built[stage].template.resourceCountIs('AWS::SNS::Topic', 0);
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
    const v = built.sandbox;
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
      const { Image, Environment, PortMappings, ReadonlyRootFilesystem } = container(v, task);
      expect(JSON.stringify(Image)).toMatch(new RegExp(`\\.dkr\\.ecr\\..*/coa/sample-app:${v.tag}"`));
      expect(Environment).toEqual(
        expect.arrayContaining([
          { Name: 'IMAGE_VERSION', Value: v.tag },
          { Name: 'GUESTBOOK_DIR', Value: '/mnt/guestbook' },
        ]),
      );
      expect(Environment.map((e: { Name: string }) => e.Name)).not.toContain('PLATFORM');
      expect(PortMappings).toEqual([{ ContainerPort: 8080, Name: 'http', Protocol: 'tcp' }]);
      expect(ReadonlyRootFilesystem).toBe(true);
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
    const stack = new Stack(new App(), 'Consumer');
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
    expect(only(v.template, 'AWS::CloudWatch::Alarm').Properties).toMatchObject({
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
