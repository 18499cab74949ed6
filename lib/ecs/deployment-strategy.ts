import { Duration, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { EcsDeployment } from '../config';
import { acknowledgeSharedVpcFunction } from '../control-tower-acknowledgments';
import { inlineHandler } from '../inline-handler';
import { functionLogsPolicy } from '../lambda-log-groups';
import { DeploymentAlarms } from './deployment-alarms';
import {
  type PinnedPlatform,
  platformRules,
  type SampleAppLoadBalancing,
  type ShiftedTraffic,
  shiftableForward,
} from './load-balancing';
import type { SmokeTestEnvironment } from './smoke-test-handler';

/** The ALB port of the test listener: green before production traffic moves, for the smoke test only. */
export const TEST_LISTENER_PORT = 9000;
const RUNTIME = lambda.Runtime.NODEJS_24_X;
const HANDLER_SOURCE = 'lib/ecs/smoke-test-handler.ts';

/** Whether ECS moves traffic between two target groups (every strategy but rolling). */
export function shiftsTraffic(deployment: EcsDeployment): boolean {
  return deployment.strategy !== 'rolling';
}

/**
 * The service properties of a deployment strategy (concept: "ECS deployment strategies"), added to
 * what rollingDeployment gives both services. Rolling adds nothing: ECS's default. The others start
 * a full set of green tasks, shift traffic to it (all at once, a canary share first, or in equal
 * steps with a wait between), then keep blue for the bake time, ready for an instant rollback.
 */
export function deploymentStrategyProps(deployment: EcsDeployment): Partial<ecs.BaseServiceOptions> {
  switch (deployment.strategy) {
    case 'rolling':
      return {};
    case 'blueGreen':
      return {
        deploymentStrategy: ecs.DeploymentStrategy.BLUE_GREEN,
        bakeTime: Duration.minutes(deployment.bakeTimeMinutes),
      };
    case 'canary':
      return {
        deploymentStrategy: ecs.DeploymentStrategy.CANARY,
        bakeTime: Duration.minutes(deployment.bakeTimeMinutes),
        canaryConfiguration: {
          stepPercent: deployment.canaryPercent,
          stepBakeTime: Duration.minutes(deployment.intervalMinutes),
        },
      };
    case 'linear':
      return {
        deploymentStrategy: ecs.DeploymentStrategy.LINEAR,
        bakeTime: Duration.minutes(deployment.bakeTimeMinutes),
        linearConfiguration: {
          stepPercent: deployment.stepPercent,
          stepBakeTime: Duration.minutes(deployment.intervalMinutes),
        },
      };
  }
}

export interface SampleAppDeploymentsProps {
  readonly deployment: EcsDeployment;
  readonly vpc: ec2.IVpc;
  readonly loadBalancing: SampleAppLoadBalancing;
  /** The services, by the platform id their page shows. */
  readonly services: Record<PinnedPlatform, ecs.BaseService>;
}

/**
 * How the services deploy, beyond the service properties: deployment alarms on every strategy and,
 * when ECS shifts traffic, what it shifts with. A test listener on the ALB with the production
 * listener's layout, whose rules ECS points at green first; the alternate target group of each
 * service bound to its production and test rules; and a lifecycle hook that smoke-tests green
 * through the test listener before production traffic moves (lib/ecs/smoke-test-handler.ts).
 */
export class SampleAppDeployments extends Construct {
  /** Each service's deployment alarms, without actions: add yours (`alarm.addAlarmAction`). */
  readonly alarms: Record<PinnedPlatform, DeploymentAlarms>;

  constructor(scope: Construct, id: string, props: SampleAppDeploymentsProps) {
    super(scope, id);
    const { services, loadBalancing } = props;
    const shifted = shiftsTraffic(props.deployment) ? loadBalancing.shifted : undefined;
    if (shifted) {
      const test = testListener(loadBalancing.alb, shifted);
      for (const platform of Object.keys(services) as PinnedPlatform[]) {
        this.shiftWithSmokeTest(props, platform, shifted[platform], test);
      }
    }
    const targetGroups = (platform: PinnedPlatform) =>
      shifted
        ? [shifted[platform].primary, shifted[platform].alternate]
        : [platform === 'ecs-ec2' ? loadBalancing.ec2Target : loadBalancing.fargateTarget];
    this.alarms = {
      'ecs-ec2': new DeploymentAlarms(this, 'Ec2Alarms', services['ecs-ec2'], targetGroups('ecs-ec2')),
      'ecs-fargate': new DeploymentAlarms(
        this,
        'FargateAlarms',
        services['ecs-fargate'],
        targetGroups('ecs-fargate'),
      ),
    };
  }

  /** One service: its alternate target group on the two rules, and the smoke test as a lifecycle hook. */
  private shiftWithSmokeTest(
    props: SampleAppDeploymentsProps,
    platform: PinnedPlatform,
    traffic: ShiftedTraffic,
    test: TestListener,
  ): void {
    const testRule = test.rules[platform];
    const service = props.services[platform];
    const name = platform === 'ecs-ec2' ? 'Ec2' : 'Fargate';
    const scope = new Construct(this, name);

    // The role ECS takes to shift this service's traffic: the actions of the AWS managed policy
    // AmazonECSInfrastructureRolePolicyForLoadBalancers, on this service's groups, rules and listeners
    const loadBalancerRole = new iam.Role(scope, 'TrafficShiftRole', {
      assumedBy: new iam.ServicePrincipal('ecs.amazonaws.com'),
      description: `ECS shifts the traffic of the ${platform} service between its two target groups`,
    });
    loadBalancerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'elasticloadbalancing:DescribeListeners',
          'elasticloadbalancing:DescribeRules',
          'elasticloadbalancing:DescribeTargetGroups',
          'elasticloadbalancing:DescribeTargetHealth',
        ],
        resources: ['*'],
      }),
    );
    loadBalancerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
        resources: [traffic.primary.targetGroupArn, traffic.alternate.targetGroupArn],
      }),
    );
    loadBalancerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['elasticloadbalancing:ModifyRule'],
        resources: [traffic.productionRule.listenerRuleArn, testRule.listenerRuleArn],
      }),
    );
    Validations.of(loadBalancerRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Only the four elasticloadbalancing:Describe* actions are on *: they have no resource scope',
    });
    const target = service.loadBalancerTarget({
      containerName: service.taskDefinition.defaultContainer!.containerName,
      alternateTarget: new ecs.AlternateTarget('AlternateTarget', {
        alternateTargetGroup: traffic.alternate,
        productionListener: ecs.ListenerRuleConfiguration.applicationListenerRule(traffic.productionRule),
        testListener: ecs.ListenerRuleConfiguration.applicationListenerRule(testRule),
        role: loadBalancerRole,
      }),
    });
    traffic.primary.addTarget(target);

    const smokeTest = smokeTestFunction(scope, props, platform);
    test.listener.connections.allowFrom(
      smokeTest,
      ec2.Port.tcp(TEST_LISTENER_PORT),
      `the ${platform} smoke test`,
    );
    // The role ECS takes to run the hook: invoke this function, by its ARN as ECS calls it, and nothing else
    const hookRole = new iam.Role(scope, 'SmokeTestHookRole', {
      assumedBy: new iam.ServicePrincipal('ecs.amazonaws.com'),
      description: `ECS invokes the ${platform} smoke test during a deployment`,
    });
    hookRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [smokeTest.functionArn] }),
    );
    // after ECS has moved the test listener's traffic to green, before any production traffic
    service.addLifecycleHook(
      new ecs.DeploymentLifecycleLambdaTarget(smokeTest, 'SmokeTest', {
        role: hookRole,
        lifecycleStages: [ecs.DeploymentLifecycleStage.POST_TEST_TRAFFIC_SHIFT],
      }),
    );
    // ECS uses both roles from the service's first deployment on: their policies come first
    service.node.addDependency(loadBalancerRole, hookRole);
  }
}

/**
 * The smoke test's function, in the private subnets: it reaches the test listener at the ALB's
 * private addresses, which it looks up (lib/ecs/smoke-test-handler.ts), through a port that admits
 * its security group only.
 */
function smokeTestFunction(
  scope: Construct,
  props: SampleAppDeploymentsProps,
  platform: PinnedPlatform,
): lambda.Function {
  const { vpc, loadBalancing } = props;
  const role = new iam.Role(scope, 'SmokeTestFunctionRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Smoke-tests green ${platform} tasks through the ALB's test listener`,
  });
  // What Lambda needs to attach the function to the VPC, which also finds the ALB's addresses
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: [
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      resources: ['*'],
    }),
  );
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'The network interface actions of a function in a VPC (as in AWSLambdaVPCAccessExecutionRole): the interfaces do not exist before Lambda creates them',
  });
  const securityGroup = new ec2.SecurityGroup(scope, 'SmokeTestSecurityGroup', {
    vpc,
    description: `The ${platform} smoke test: calls the ALB's test listener`,
  });
  const environment: SmokeTestEnvironment = {
    PLATFORM: platform,
    TEST_LISTENER_PORT: String(TEST_LISTENER_PORT),
    LOAD_BALANCER_FULL_NAME: loadBalancing.alb.loadBalancerFullName,
  };
  const fn = new lambda.Function(scope, 'SmokeTest', {
    description: `ECS lifecycle hook: ${platform} green answers /healthz and names its platform`,
    runtime: RUNTIME,
    architecture: lambda.Architecture.ARM_64,
    code: lambda.Code.fromInline(inlineHandler(HANDLER_SOURCE, RUNTIME)),
    handler: 'index.handler',
    role,
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    securityGroups: [securityGroup],
    environment: { ...environment },
    // two requests per ALB node, each at most REQUEST_TIMEOUT_MS, all at once
    timeout: Duration.minutes(1),
  });
  acknowledgeSharedVpcFunction(fn);
  const logs = functionLogsPolicy(scope, 'SmokeTestLogs', fn, role);
  // the function resource only: its log group is a child too, which the policy names
  fn.node.defaultChild!.node.addDependency(logs);
  return fn;
}

interface TestListener {
  readonly listener: elbv2.ApplicationListener;
  readonly rules: Record<PinnedPlatform, elbv2.ApplicationListenerRule>;
}

/**
 * The test listener: the production layout (`?platform=ecs-ec2` to EC2, the rest to Fargate) on
 * another port, which admits only the smoke-test functions. The ALB is internet-facing, but this
 * port is closed to the internet: nobody reaches green before it takes production traffic.
 */
function testListener(
  alb: elbv2.ApplicationLoadBalancer,
  shifted: Record<PinnedPlatform, ShiftedTraffic>,
): TestListener {
  const listener = alb.addListener('Test', {
    port: TEST_LISTENER_PORT,
    protocol: elbv2.ApplicationProtocol.HTTP,
    open: false,
    defaultAction: shiftableForward(shifted['ecs-fargate']),
  });
  const actions = {
    'ecs-ec2': shiftableForward(shifted['ecs-ec2']),
    'ecs-fargate': shiftableForward(shifted['ecs-fargate']),
  };
  return { listener, rules: platformRules(listener, actions, true) };
}
