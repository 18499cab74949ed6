import { stagePolicy } from '../lib/stage';

describe('stage policy', () => {
  test('Fargate Spot: an x86_64 sandbox only', () => {
    expect(stagePolicy('sandbox', 'x86_64').fargateSpot).toBe(true);
    // ECS does not run ARM64 Linux tasks on Fargate Spot: the worker and prune task would never start
    expect(stagePolicy('sandbox', 'arm64').fargateSpot).toBe(false);
    expect(stagePolicy('production', 'x86_64').fargateSpot).toBe(false);
  });
});

describe('stage policy: production controls for compute', () => {
  test('EC2 detailed monitoring: production only, for its price per instance', () => {
    expect(stagePolicy('production', 'x86_64').detailedMonitoring).toBe(true);
    expect(stagePolicy('sandbox', 'x86_64').detailedMonitoring).toBe(false);
  });
});
