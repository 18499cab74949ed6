import { ApiObject, Chart, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import type { Construct } from 'constructs';
import { SAMPLE_APP } from '../sample-app';
import { ALB_INGRESS_CLASS } from './load-balancer-controller';

/** Long enough for the load balancer controller to take the pod's target out of the ALB. */
const PRE_STOP_SLEEP_SECONDS = 15;

/** The well-known label of a node's (and, once bound, a pod's) availability zone. */
const ZONE_LABEL = 'topology.kubernetes.io/zone';

/** The sample app's namespace; with the `fargate` node type, the Fargate profile selects it. */
export const SAMPLE_APP_NAMESPACE = 'sample-app';
/** The name of its Deployment, Service, Ingress, autoscaler and disruption budget. */
export const SAMPLE_APP_NAME = 'sample-app';

/**
 * The sample app's namespace, in a manifest of its own that the app's manifest depends on, so the app's
 * objects are deleted from a namespace that still exists. In one manifest, `kubectl delete` deletes the
 * namespace first, its controller deletes the objects too, kubectl's own DELETE of one of them then fails
 * NotFound, and kubectl returns without waiting for the rest: the stack would go on to uninstall the load
 * balancer controller before the Ingress's finalizer has deleted the ALB.
 */
export class SampleAppNamespaceChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new kplus.Namespace(this, 'Namespace', {
      metadata: {
        name: SAMPLE_APP_NAMESPACE,
        // the load balancer controller holds a new pod's readiness until the ALB finds it healthy, so a
        // rolling update never has fewer healthy targets than ready pods
        labels: {
          'elbv2.k8s.aws/pod-readiness-gate-inject': 'enabled',
          // Pod Security Admission refuses any pod here that the restricted profile forbids (root,
          // privilege escalation, capabilities, host namespaces, no seccomp profile)
          'pod-security.kubernetes.io/enforce': 'restricted',
        },
      },
    });
  }
}

export interface SampleAppChartProps {
  /** `repository:tag` in the registry. */
  readonly image: string;
  readonly imageTag: string;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** The guestbook's EFS access point, which fixes the directory and the POSIX user (1000:1000). */
  readonly guestbook: { readonly fileSystemId: string; readonly accessPointId: string };
  /** How long the ALB drains a pod before deregistering it. */
  readonly deregistrationDelaySeconds: number;
}

/**
 * The sample app on Kubernetes, in its namespace, as typed cdk8s objects: a Deployment behind a Service
 * and an Ingress (an internet-facing ALB), a PodDisruptionBudget, a HorizontalPodAutoscaler and the
 * guestbook volume.
 */
export class SampleAppChart extends Chart {
  constructor(scope: Construct, id: string, props: SampleAppChartProps) {
    super(scope, id);
    const metadata = (name: string) => ({ name, namespace: SAMPLE_APP_NAMESPACE });

    // Statically provisioned EFS volume: Fargate mounts EFS but cannot provision it dynamically, so the
    // access point comes from CDK and the claim binds to this volume by name, on EC2 nodes and Fargate alike
    const volumeName = `${SAMPLE_APP_NAMESPACE}-guestbook`;
    // required by the API; EFS grows as it is written and ignores the number
    const size = kplus.k8s.Quantity.fromString('5Gi');
    new kplus.k8s.KubePersistentVolume(this, 'GuestbookVolume', {
      metadata: { name: volumeName },
      spec: {
        capacity: { storage: size },
        accessModes: ['ReadWriteMany'],
        persistentVolumeReclaimPolicy: 'Retain',
        storageClassName: '',
        csi: {
          driver: 'efs.csi.aws.com',
          volumeHandle: `${props.guestbook.fileSystemId}::${props.guestbook.accessPointId}`,
        },
      },
    });
    const claim = new kplus.k8s.KubePersistentVolumeClaim(this, 'GuestbookClaim', {
      metadata: metadata('guestbook'),
      spec: {
        accessModes: ['ReadWriteMany'],
        storageClassName: '',
        volumeName,
        resources: { requests: { storage: size } },
      },
    });

    const deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: metadata(SAMPLE_APP_NAME),
      // Rolling update: one extra pod at a time and none taken away first, so serving capacity never
      // drops. With the namespace's readiness gate, a new pod is ready only once the ALB calls its
      // target healthy, so an old pod goes only after its replacement takes traffic.
      strategy: kplus.DeploymentStrategy.rollingUpdate({
        maxSurge: kplus.PercentOrAbsolute.absolute(1),
        maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
      }),
      // the image's user, and no token: the app never calls the Kubernetes API
      securityContext: { user: SAMPLE_APP.user.uid, group: SAMPLE_APP.user.gid, ensureNonRoot: true },
      automountServiceAccountToken: false,
      // SIGKILL comes this long after the pod starts terminating: the preStop sleep, then the app's deadline
      terminationGracePeriod: Duration.seconds(
        PRE_STOP_SLEEP_SECONDS + SAMPLE_APP.shutdown.timeoutSeconds + SAMPLE_APP.stopMarginSeconds,
      ),
      containers: [
        {
          name: SAMPLE_APP_NAME,
          image: props.image,
          // tags are immutable and content-derived: a node that has the image has the right one
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          portNumber: SAMPLE_APP.port,
          envVariables: {
            IMAGE_VERSION: kplus.EnvValue.fromValue(props.imageTag),
            GUESTBOOK_DIR: kplus.EnvValue.fromValue(SAMPLE_APP.guestbookMountPath),
            // downward API: the app shows its pod and tells Fargate (nodes named fargate-...) from EC2
            NODE_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.NODE_NAME),
            POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
            // The node's zone, for the page: the nodes' hop limit of 1 keeps pods from instance metadata.
            // Kubernetes copies the zone label onto each pod as it binds it to a node (Pod Topology
            // Labels, beta since 1.35); without it the value is empty and the app asks instance
            // metadata, then shows the zone as unknown.
            AVAILABILITY_ZONE: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_LABEL, {
              key: ZONE_LABEL,
            }),
          },
          // startup gates the other two: up to 2 x startupSeconds to answer once, then readiness decides
          // whether the pod gets traffic and liveness whether it is restarted
          startup: kplus.Probe.fromHttpGet(SAMPLE_APP.healthCheckPath, {
            port: SAMPLE_APP.port,
            periodSeconds: Duration.seconds(2),
            failureThreshold: SAMPLE_APP.startupSeconds,
          }),
          readiness: kplus.Probe.fromHttpGet(SAMPLE_APP.healthCheckPath, {
            port: SAMPLE_APP.port,
            periodSeconds: Duration.seconds(5),
            failureThreshold: 2,
          }),
          liveness: kplus.Probe.fromHttpGet(SAMPLE_APP.healthCheckPath, {
            port: SAMPLE_APP.port,
            periodSeconds: Duration.seconds(10),
            failureThreshold: 3,
          }),
          // requests: what the scheduler reserves (and what Fargate sizes the pod from); limits: the ceiling
          resources: {
            cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(500) },
            memory: { request: Size.mebibytes(128), limit: Size.mebibytes(256) },
          },
          securityContext: {
            ensureNonRoot: true,
            user: SAMPLE_APP.user.uid,
            group: SAMPLE_APP.user.gid,
            // the app writes to the guestbook volume only
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            privileged: false,
            capabilities: { drop: [kplus.Capability.ALL] },
            seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
          },
          volumeMounts: [
            {
              path: SAMPLE_APP.guestbookMountPath,
              volume: kplus.Volume.fromPersistentVolumeClaim(
                this,
                'Guestbook',
                kplus.PersistentVolumeClaim.fromClaimName(this, 'GuestbookClaimRef', claim.name),
              ),
            },
          ],
        },
      ],
    });

    // Kubernetes removes the pod from its endpoints (and the controller from the ALB) at the same time
    // as it sends SIGTERM, not before: a preStop sleep keeps the app serving normally until the ALB has
    // stopped sending, then SIGTERM starts its drain. Kubernetes' own sleep action (1.30+; the image
    // would otherwise need a `sleep` binary), which cdk8s-plus does not type yet.
    // seccomp's RuntimeDefault for the whole pod too, so a container added later starts confined (the
    // pod securityContext has the field since Kubernetes 1.19; cdk8s-plus types it on containers only)
    ApiObject.of(deployment).addJsonPatch(
      JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
    );
    ApiObject.of(deployment).addJsonPatch(
      JsonPatch.add('/spec/template/spec/containers/0/lifecycle', {
        preStop: { sleep: { seconds: PRE_STOP_SLEEP_SECONDS } },
      }),
    );

    // Kubernetes' target tracking: keep average CPU near 70 % of the request (metrics-server supplies it)
    new kplus.HorizontalPodAutoscaler(this, 'Autoscaler', {
      metadata: metadata(SAMPLE_APP_NAME),
      target: deployment,
      minReplicas: props.minReplicas,
      maxReplicas: props.maxReplicas,
      metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(70))],
    });

    // voluntary evictions (node drains, node group updates) take one pod at a time; with one replica,
    // a drain still proceeds instead of hanging
    new kplus.k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', {
      metadata: metadata(SAMPLE_APP_NAME),
      spec: {
        maxUnavailable: kplus.k8s.IntOrString.fromNumber(1),
        selector: { matchLabels: deployment.matchLabels },
      },
    });

    const service = new kplus.Service(this, 'Service', {
      metadata: metadata(SAMPLE_APP_NAME),
      type: kplus.ServiceType.CLUSTER_IP,
      selector: deployment,
      ports: [{ port: 80, targetPort: SAMPLE_APP.port }],
    });
    // the public entry point: an internet-facing ALB sending straight to pod IPs (target type ip works
    // for Fargate pods too), health-checking the same path as the probes
    new kplus.Ingress(this, 'Ingress', {
      metadata: {
        ...metadata(SAMPLE_APP_NAME),
        annotations: {
          'alb.ingress.kubernetes.io/scheme': 'internet-facing',
          'alb.ingress.kubernetes.io/target-type': 'ip',
          'alb.ingress.kubernetes.io/healthcheck-path': SAMPLE_APP.healthCheckPath,
          'alb.ingress.kubernetes.io/target-group-attributes': `deregistration_delay.timeout_seconds=${props.deregistrationDelaySeconds}`,
        },
      },
      className: ALB_INGRESS_CLASS,
      defaultBackend: kplus.IngressBackend.fromService(service),
    });
  }
}
