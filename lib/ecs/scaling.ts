import { Duration } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { EcsConfig } from '../config';

/** A service and the target group its tasks register in. */
export interface ScaledService {
  readonly service: ecs.BaseService;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
}

/**
 * Service auto scaling (Application Auto Scaling) changes the number of tasks; it never adds
 * instances: that is the capacity provider's managed scaling. The concept's three kinds: target
 * tracking on both services, step scaling on Fargate, scheduled scaling on EC2.
 */
export function scaleSampleAppServices(ec2: ScaledService, fargate: ScaledService, config: EcsConfig): void {
  const ec2Scaling = scaleWithLoad(ec2, config);
  const fargateScaling = scaleWithLoad(fargate, config);

  // Step scaling reacts to an alarm in proportion to how far it is breached: use it for a metric
  // target tracking cannot hold at a value, like latency. On Fargate, where a task starts in a
  // minute without waiting for an instance.
  fargateScaling.scaleOnMetric('SlowResponses', {
    metric: fargate.targetGroup.metrics.targetResponseTime({ statistic: 'p90', period: Duration.minutes(1) }),
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
}

/**
 * Target tracking on the three metrics of the concept map, within the configured task counts. Each
 * policy keeps its metric near the target; the service scales out when any asks for it and in
 * only when all agree.
 */
function scaleWithLoad({ service, targetGroup }: ScaledService, config: EcsConfig): ecs.ScalableTaskCount {
  const scaling = service.autoScaleTaskCount({
    minCapacity: config.taskMinCount,
    maxCapacity: config.taskMaxCount,
  });
  scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 });
  scaling.scaleOnMemoryUtilization('Memory', { targetUtilizationPercent: 75 });
  scaling.scaleOnRequestCount('Requests', { requestsPerTarget: 600, targetGroup });
  return scaling;
}
