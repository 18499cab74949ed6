import type { CommonConfig } from './common';
import { integer, oneOf, type Reader } from './reader';

export const NAT_PROVIDERS = ['instance', 'gateway'] as const;
export type NatProviderKind = (typeof NAT_PROVIDERS)[number];

export interface NetworkConfig {
  /** Availability zones the VPC spans: ALB and EKS both need two. */
  readonly azCount: number;
  /** `instance`: one NAT instance (a few dollars a month); `gateway`: one NAT gateway per AZ. */
  readonly natProvider: NatProviderKind;
}

export function readNetwork(r: Reader, { stage, env }: CommonConfig): NetworkConfig {
  const production = stage === 'production';
  const azCount = r.read('azCount', production && env ? 3 : 2, integer(2, 3));
  if (azCount > 2 && !env) {
    r.fail(
      'azCount',
      `got ${azCount}; an environment-agnostic stack sees only 2 availability zones: set account and region, or use azCount=2`,
    );
  }
  return {
    azCount,
    natProvider: r.read('natProvider', production ? 'gateway' : 'instance', oneOf(NAT_PROVIDERS)),
  };
}
