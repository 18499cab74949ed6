import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { KubectlV36Layer } from '@aws-cdk/lambda-layer-kubectl-v36';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { KubernetesVersionName } from '../config';

/**
 * Each Kubernetes version the configuration offers (KUBERNETES_VERSION_NAMES, where the choice is
 * explained), with the kubectl Lambda layer of the same minor version (kubectl is supported within
 * one minor version of the API server: the same one is the safe choice). A name without its row here
 * fails tsc.
 */
export const KUBERNETES_VERSIONS: Readonly<Record<KubernetesVersionName, KubernetesRelease>> = {
  '1.36': { version: eks.KubernetesVersion.V1_36, kubectlLayer: KubectlV36Layer },
  '1.35': { version: eks.KubernetesVersion.V1_35, kubectlLayer: KubectlV35Layer },
};

interface KubernetesRelease {
  readonly version: eks.KubernetesVersion;
  readonly kubectlLayer: new (scope: Construct, id: string) => lambda.ILayerVersion;
}
