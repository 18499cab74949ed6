import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { acknowledgeSharedVpcFunction } from '../control-tower-acknowledgments';

/**
 * cdk-nag IAM4, once per AWS managed policy on a role. EKS documents these policies for exactly these
 * roles and AWS updates them as the services change; a copy would only drift.
 */
export function acknowledgeManagedPolicies(
  role: IConstruct,
  policyNames: readonly string[],
  purpose: string,
): void {
  for (const name of policyNames) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`,
      reason: `${name} is the AWS managed policy EKS documents for ${purpose}`,
    });
  }
}

/** The roles aws-eks-v2 creates for the cluster itself and, in Auto Mode, for the nodes it launches. */
export function acknowledgeClusterRoles(cluster: eks.Cluster, autoMode: boolean): void {
  acknowledgeManagedPolicies(
    cluster.role,
    [
      'AmazonEKSClusterPolicy',
      ...(autoMode
        ? [
            'AmazonEKSComputePolicy',
            'AmazonEKSBlockStoragePolicy',
            'AmazonEKSLoadBalancingPolicy',
            'AmazonEKSNetworkingPolicy',
          ]
        : []),
    ],
    'the cluster role (with Auto Mode: compute, block storage, load balancing and networking)',
  );
  const nodePoolRole = cluster.node.tryFindChild(`${cluster.node.id}nodePoolRole`);
  if (nodePoolRole) {
    acknowledgeManagedPolicies(
      nodePoolRole,
      ['AmazonEKSWorkerNodePolicy', 'AmazonEC2ContainerRegistryReadOnly'],
      'the nodes of Auto Mode node pools',
    );
  }
}

/**
 * The kubectl provider: a Lambda function (with kubectl, helm and the AWS CLI) behind a custom resource
 * provider framework function. aws-eks-v2 builds both and their roles; we only choose the layer.
 */
export function acknowledgeKubectlProvider(cluster: eks.Cluster): void {
  const stack = Stack.of(cluster);
  const provider = cluster.node.findChild('KubectlProvider');
  const handler = provider.node.findChild('Handler');
  const framework = provider.node.findChild('Provider').node.findChild('framework-onEvent');
  const basicAndVpc = [
    'service-role/AWSLambdaBasicExecutionRole',
    'service-role/AWSLambdaVPCAccessExecutionRole',
  ];
  acknowledgeManagedPolicies(
    handler,
    [...basicAndVpc, 'AmazonEC2ContainerRegistryReadOnly'],
    'Lambda functions in a VPC (logs, network interfaces) that pull Helm charts from registries',
  );
  const publicEcr = provider.node.findChild('conditionalPolicy') as iam.IManagedPolicy;
  Validations.of(handler).acknowledge({
    id: `AwsSolutions-IAM4[Policy::${JSON.stringify(stack.resolve(publicEcr.managedPolicyArn))}]`,
    reason:
      'AmazonElasticContainerRegistryPublicReadOnly lets helm pull charts from public ECR (aws partition only)',
  });
  Validations.of(handler).acknowledge({
    id: 'AwsSolutions-L1',
    reason: 'aws-eks-v2 sets the handler runtime (the newest Python it knows) and bundles code for it',
  });
  acknowledgeManagedPolicies(framework, basicAndVpc, 'Lambda functions in a VPC (logs, network interfaces)');
  acknowledgeSharedVpcFunction(handler);
  acknowledgeSharedVpcFunction(framework);
  Validations.of(framework).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${stack.resolve(stack.getLogicalId(handler.node.defaultChild as CfnElement))}.Arn>:*]`,
    reason:
      'The provider framework invokes any version of the kubectl handler function, and that function only',
  });
}
