import { CfnOutput, Duration, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import * as cdk8s from 'cdk8s';
import type { Construct } from 'constructs';
import { Alerts } from './alerts';
import { customerManagedKey } from './customer-managed-keys';
import type { EksConfig } from './config';
import { ManagedAddons } from './eks/addons';
import { ClusterChart } from './eks/cluster-chart';
import { observeEks } from './eks/dashboard';
import { acknowledgeClusterRoles, acknowledgeKubectlProvider } from './eks/findings';
import { GuestbookStorage } from './eks/guestbook-storage';
import { LoadBalancerController } from './eks/load-balancer-controller';
import { addCompute } from './eks/node-types';
import {
  SAMPLE_APP_NAME,
  SAMPLE_APP_NAMESPACE,
  SampleAppChart,
  SampleAppNamespaceChart,
} from './eks/sample-app-chart';
import { KUBERNETES_VERSIONS } from './eks/versions';
import type { SampleAppImage } from './sample-app';
import type { StagePolicy } from './stage';

export interface EksStackProps extends StackProps {
  readonly eks: EksConfig;
  readonly policy: StagePolicy;
  readonly vpc: ec2.IVpc;
  readonly image: SampleAppImage;
  /** Fixed, so the log groups EKS and Container Insights write to can be created first, with our retention. */
  readonly clusterName: string;
}

/** Kubernetes Services get addresses from here, outside the VPC's 10.0.0.0/16. */
const SERVICE_CIDR = '172.20.0.0/16';

/**
 * EKS: a Kubernetes cluster (aws-eks-v2: a native AWS::EKS::Cluster with access entries) running the
 * sample app on every EKS node type, with managed add-ons, EBS and EFS storage classes, and an ALB.
 */
export class EksStack extends Stack {
  readonly cluster: eks.Cluster;
  /** The charts applied to the cluster, kept for tests to read the rendered Kubernetes objects. */
  readonly clusterChart: ClusterChart;
  readonly sampleAppChart: SampleAppChart;
  /** Where this stack's alarms publish. */
  readonly alerts: Alerts;

  constructor(scope: Construct, id: string, props: EksStackProps) {
    super(scope, id, props);
    const { eks: config, policy, vpc, image, clusterName } = props;
    const autoMode = config.nodeTypes.includes('autoMode');
    const release = KUBERNETES_VERSIONS[config.kubernetesVersion];

    // Names EKS and Container Insights fix: `namedLogRemovalPolicy` keeps them on delete where the
    // stage keeps logs, but not after a failed create, so a rolled-back first deploy leaves none to
    // collide with its retry. A redeploy after `cdk destroy` finds the kept ones:
    // `--import-existing-resources` adopts them (CloudFormation imports named resources whose policy
    // is Retain or RetainExceptOnCreate).
    const logGroups = [
      `/aws/eks/${clusterName}/cluster`,
      ...['application', 'dataplane', 'host', 'performance'].map(
        (kind) => `/aws/containerinsights/${clusterName}/${kind}`,
      ),
    ].map(
      (logGroupName, index) =>
        new LogGroup(this, `LogGroup${index}`, {
          logGroupName,
          retention: policy.logRetention,
          removalPolicy: policy.namedLogRemovalPolicy,
        }),
    );

    const kubectlSecurityGroup = new ec2.SecurityGroup(this, 'KubectlSecurityGroup', {
      vpc,
      description: 'The kubectl provider functions: HTTPS to the cluster endpoint and AWS APIs',
    });
    const cluster = new eks.Cluster(this, 'Cluster', {
      clusterName,
      version: release.version,
      vpc,
      // the control plane's network interfaces: private subnets
      vpcSubnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }],
      endpointAccess:
        config.endpointAllowList.length > 0
          ? eks.EndpointAccess.PUBLIC_AND_PRIVATE.onlyFrom(...config.endpointAllowList)
          : eks.EndpointAccess.PRIVATE,
      secretsEncryptionKey: customerManagedKey(
        this,
        'SecretsKey',
        `Envelope encryption of Kubernetes secrets in ${clusterName}`,
        policy,
      ),
      clusterLogging: Object.values(eks.ClusterLoggingTypes),
      serviceIpv4Cidr: SERVICE_CIDR,
      // manifests and Helm charts go through a Lambda function with kubectl and helm from this layer;
      // it runs in the VPC's private subnets and talks to the private endpoint
      kubectlProviderOptions: {
        kubectlLayer: new release.kubectlLayer(this, 'KubectlLayer'),
        // its own group, let in on 443 only (below), rather than the cluster's, which admits everything
        securityGroups: [kubectlSecurityGroup],
      },
      // access entries only: whoever deploys is not made admin; the kubectl function and eksAdminPrincipalArn are
      bootstrapClusterCreatorAdminPermissions: false,
      // the CNI, kube-proxy and CoreDNS come as managed add-ons below, not as unmanaged manifests
      bootstrapSelfManagedAddons: false,
      ...(autoMode
        ? {
            defaultCapacityType: eks.DefaultCapacityType.AUTOMODE,
            compute: { nodePools: ['system', 'general-purpose'] },
          }
        : { defaultCapacityType: eks.DefaultCapacityType.NODEGROUP, defaultCapacity: 0 }),
    });
    this.cluster = cluster;
    acknowledgeClusterRoles(cluster, autoMode);
    acknowledgeKubectlProvider(cluster);
    cluster.connections.allowFrom(
      kubectlSecurityGroup,
      ec2.Port.tcp(443),
      'kubectl provider to the endpoint',
    );
    Validations.of(cluster).acknowledge({
      id: 'CloudFormation-Validate::W9009',
      reason:
        'EncryptionConfig Resources ["secrets"] is what aws-eks-v2 writes, and secrets are what EKS encrypts',
    });
    cluster.node.defaultChild!.node.addDependency(...logGroups);
    if (config.adminPrincipalArn) cluster.grantClusterAdmin('AdminAccess', config.adminPrincipalArn);

    const compute = addCompute({
      cluster,
      config,
      cpuArchitecture: image.cpuArchitecture,
      fargateNamespace: SAMPLE_APP_NAMESPACE,
      serviceCidr: SERVICE_CIDR,
      kubernetesVersion: release.version.version,
      detailedMonitoring: policy.detailedMonitoring,
    });

    const storage = new GuestbookStorage(this, 'Guestbook', { cluster, vpc, policy });
    const { fileSystem, accessPoint } = storage;

    const managedAddons = new ManagedAddons(this, 'Addons', {
      cluster,
      autoMode,
      compute,
      efsNodeIdentity: storage.nodePluginIdentity,
    });

    const k8sApp = new cdk8s.App();
    this.clusterChart = new ClusterChart(k8sApp, 'cluster', {
      autoMode,
      fileSystemId: fileSystem.fileSystemId,
    });
    const clusterManifest = cluster.addCdk8sChart('ClusterObjects', this.clusterChart);
    this.sampleAppChart = new SampleAppChart(k8sApp, 'sample-app', {
      image: image.repository.repositoryUriForTag(image.tag),
      imageTag: image.tag,
      minReplicas: config.appMinReplicas,
      maxReplicas: config.appMaxReplicas,
      guestbook: { fileSystemId: fileSystem.fileSystemId, accessPointId: accessPoint.accessPointId },
      deregistrationDelaySeconds: policy.deregistrationDelay.toSeconds(),
    });
    const sampleApp = cluster.addCdk8sChart('SampleApp', this.sampleAppChart);
    // what cluster.addCdk8sChart does, with `kubectl apply` on create: a cluster where the app's manifest
    // created the namespace keeps it, and loses that manifest's prune label, so the app's next update
    // does not prune it
    const namespace = new eks.KubernetesManifest(cluster, 'SampleAppNamespace', {
      cluster,
      manifest: new SampleAppNamespaceChart(k8sApp, 'sample-app-namespace').toJson(),
      overwrite: true,
    });

    // Deletion runs in reverse: the app (and the ALB its Ingress owns) goes while its namespace, the
    // controller, the CSI drivers and the nodes are still there to clean up after it
    sampleApp.node.addDependency(namespace, clusterManifest, ...managedAddons.addons, ...compute);
    if (!autoMode) {
      const controller = new LoadBalancerController(this, 'LoadBalancerController', { cluster });
      controller.chart.node.addDependency(...compute);
      sampleApp.node.addDependency(controller);
    }

    // the ALB's name, once the controller has created it: the deploy waits for it and prints the URL
    const albHostname = new eks.KubernetesObjectValue(this, 'SampleAppHostname', {
      cluster,
      objectType: 'ingress',
      objectName: SAMPLE_APP_NAME,
      objectNamespace: SAMPLE_APP_NAMESPACE,
      jsonPath: '.status.loadBalancer.ingress[0].hostname',
      timeout: Duration.minutes(10),
    });
    albHostname.node.addDependency(sampleApp);
    new CfnOutput(this, 'SampleAppUrl', { value: `http://${albHostname.value}` });
    // Observability: alarms to the alerts topic, one dashboard (its URL: output DashboardUrl)
    this.alerts = new Alerts(this, 'Alerts', { policy });
    observeEks(this, { cluster, fileSystem, alerts: this.alerts });

    // kubectl needs an access entry: the deployer gets none (CloudFormation's role creates the cluster),
    // so the command is printed only for the principal that has one
    if (config.adminPrincipalArn) {
      new CfnOutput(this, 'KubeconfigCommand', {
        value: `aws eks update-kubeconfig --name ${cluster.clusterName} --region ${this.region}`,
        description: `For ${config.adminPrincipalArn} (eksAdminPrincipalArn), the one principal with kubectl access`,
      });
    } else {
      new CfnOutput(this, 'KubectlAccess', {
        value:
          'none: no access entry for you; redeploy with -c eksAdminPrincipalArn=<IAM role or user ARN> for a KubeconfigCommand',
      });
    }
  }
}
