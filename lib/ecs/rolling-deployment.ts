import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { SAMPLE_APP } from '../sample-app';
import { HEALTH_CHECK } from './load-balancing';

/**
 * What both services share: rolling deployments (concept: "min & max healthy %") that start the new
 * task before stopping the old one and roll back by themselves when new tasks keep failing, in
 * private subnets, tagged. The grace period covers start-up plus the health checks the load
 * balancer needs to call a new task healthy. Another strategy (lib/ecs/deployment-strategy.ts)
 * keeps the circuit breaker: ECS applies it to rolling and blue/green deployments alike (ECS
 * Developer Guide, "Amazon ECS deployment failure detection").
 */
export function rollingDeployment(cluster: ecs.ICluster) {
  return {
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
}
