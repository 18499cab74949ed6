import * as fs from 'node:fs';
import * as path from 'node:path';
import { Aws, Stack, Validations } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { podIdentity } from './addons';

/** The controller release; aws-cdk-lib ships the IAM policy its maintainers publish for it. */
const CONTROLLER_VERSION = eks.AlbControllerVersion.V3_2_2;
const NAMESPACE = 'kube-system';
const SERVICE_ACCOUNT = 'aws-load-balancer-controller';

/** The IngressClass the controller's chart creates, and the one Auto Mode's built-in controller gets. */
export const ALB_INGRESS_CLASS = 'alb';

export interface LoadBalancerControllerProps {
  readonly cluster: eks.Cluster;
}

/**
 * AWS Load Balancer Controller from its Helm chart: it turns the sample app's Ingress into an ALB
 * (and its finalizer deletes the ALB again when the Ingress goes). aws-eks-v2's `albController` option
 * would give it an IRSA role (and an OIDC provider); here it gets a Pod Identity role like every add-on,
 * and the chart creates its service account (no IRSA annotation).
 */
export class LoadBalancerController extends Construct {
  readonly chart: eks.HelmChart;

  constructor(scope: Construct, id: string, props: LoadBalancerControllerProps) {
    super(scope, id);
    const { cluster } = props;
    const identity = podIdentity(this, 'Controller', {
      cluster,
      namespace: NAMESPACE,
      serviceAccount: SERVICE_ACCOUNT,
      purpose: 'the AWS Load Balancer Controller manages load balancers for Ingresses and Services',
    });
    const policy = controllerPolicy();
    for (const statement of policy.Statement) {
      identity.role.addToPrincipalPolicy(iam.PolicyStatement.fromJson(statement));
    }
    this.chart = new eks.HelmChart(this, 'Chart', {
      cluster,
      chart: 'aws-load-balancer-controller',
      repository: 'https://aws.github.io/eks-charts',
      version: CONTROLLER_VERSION.helmChartVersion,
      release: 'aws-load-balancer-controller',
      namespace: NAMESPACE,
      wait: true,
      values: {
        clusterName: cluster.clusterName,
        serviceAccount: { create: true, name: SERVICE_ACCOUNT },
        // given, so the controller does not depend on instance metadata to find them
        region: Stack.of(this).region,
        vpcId: cluster.vpc.vpcId,
        ingressClass: ALB_INGRESS_CLASS,
      },
    });
    // the controller's pods must start with the association in place, and its policy attached
    this.chart.node.addDependency(identity.association, identity.role);
    const wildcardResources = new Set(policy.Statement.flatMap((statement) => [statement.Resource].flat()));
    for (const resource of wildcardResources) {
      Validations.of(identity.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${resource.replace(Aws.PARTITION, '<AWS::Partition>')}]`,
        reason:
          "The controller's published policy: the load balancers, target groups, listeners and security groups it " +
          'creates have names unknown in advance; changing and deleting them is conditioned on its elbv2.k8s.aws/cluster tag',
      });
    }
  }
}

/** The policy document for CONTROLLER_VERSION, with `arn:aws:` made partition-neutral. */
function controllerPolicy(): { Statement: { Resource: string | string[] }[] } {
  const file = path.join(
    path.dirname(require.resolve('aws-cdk-lib/aws-eks-v2')),
    'lib',
    'addons',
    `alb-iam_policy-${CONTROLLER_VERSION.version}.json`,
  );
  return JSON.parse(fs.readFileSync(file, 'utf8').replaceAll('arn:aws:', `arn:${Aws.PARTITION}:`));
}
