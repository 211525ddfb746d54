/**
 * The StatefulSet every benchmark works on: shaped like the one Juju creates for a sidecar charm
 * (a `charm` container and a workload container, both started by Pebble from a shared `charm-data`
 * emptyDir), with the fields the API server defaults already filled in, because that is what a
 * controller reads back and what its patches are merged into. A toy object would make every
 * operation look cheaper than it is.
 */
import type { Container, StatefulSet } from '../lib/kube/types.js';

const JUJU_VERSION = '3.6.4';

function pebbleProbe(port: number, level: 'alive' | 'ready'): Record<string, unknown> {
  return {
    httpGet: { path: `/v1/health?level=${level}`, port, scheme: 'HTTP' },
    initialDelaySeconds: 30,
    periodSeconds: 5,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: 1,
  };
}

/** Fields the API server fills in on every container. */
const CONTAINER_DEFAULTS = {
  imagePullPolicy: 'IfNotPresent',
  resources: {},
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File',
};

function charmContainer(app: string): Container {
  return {
    name: 'charm',
    image: `ghcr.io/canonical/charm-base:ubuntu-22.04@sha256:${'c'.repeat(64)}`,
    command: ['/charm/bin/pebble'],
    args: ['run', '--http', ':38812', '--verbose'],
    env: [
      { name: 'JUJU_CONTAINER_NAMES', value: app },
      { name: 'HTTP_PROBE_PORT', value: '3856' },
      { name: 'PEBBLE_SKIP_CHECKS', value: '1' },
    ],
    livenessProbe: pebbleProbe(38812, 'alive'),
    readinessProbe: pebbleProbe(38812, 'ready'),
    startupProbe: pebbleProbe(38812, 'alive'),
    securityContext: { runAsUser: 0, runAsGroup: 0 },
    volumeMounts: [
      { name: 'charm-data', mountPath: '/charm/bin', subPath: 'charm/bin', readOnly: true },
      { name: 'charm-data', mountPath: '/var/lib/juju', subPath: 'var/lib/juju' },
      { name: 'charm-data', mountPath: '/charm/containers', subPath: 'charm/containers' },
      { name: 'charm-data', mountPath: '/var/log/juju', subPath: 'var/log/juju' },
    ],
    ...CONTAINER_DEFAULTS,
  };
}

function workloadContainer(app: string): Container {
  return {
    name: app,
    image: 'lscr.io/linuxserver/radarr:5.14.0',
    command: ['/charm/bin/pebble'],
    args: ['run', '--create-dirs', '--hold', '--http', ':38813', '--verbose'],
    env: [
      { name: 'JUJU_CONTAINER_NAME', value: app },
      { name: 'PEBBLE_SOCKET', value: '/charm/container/pebble.socket' },
      { name: 'TZ', value: 'Etc/UTC' },
    ],
    ports: [{ name: 'http', containerPort: 7878, protocol: 'TCP' }],
    livenessProbe: pebbleProbe(38813, 'alive'),
    readinessProbe: pebbleProbe(38813, 'ready'),
    securityContext: { runAsUser: 0, runAsGroup: 0 },
    volumeMounts: [
      {
        name: 'charm-data',
        mountPath: '/charm/bin/pebble',
        subPath: 'charm/bin/pebble',
        readOnly: true,
      },
      { name: 'charm-data', mountPath: '/charm/container', subPath: 'charm/containers/' + app },
      { name: `${app}-config`, mountPath: '/config' },
    ],
    ...CONTAINER_DEFAULTS,
  };
}

/**
 * A Juju-style StatefulSet for application `app` in `namespace`. The workload container is named
 * after the application here (as in charmcraft.yaml for this charm); the list order is
 * `initContainers: [charm-init]`, `containers: [charm, <app>]`, `volumes: [charm-data]`.
 */
export function charmStatefulSet(app = 'radarr', namespace = 'media'): StatefulSet {
  const labels = { 'app.kubernetes.io/name': app };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {
      name: app,
      namespace,
      uid: '6c9f3f0e-3a55-4d7e-9c55-0d6f2f1f7a01',
      resourceVersion: '48213',
      generation: 3,
      creationTimestamp: '2026-01-01T00:00:00Z',
      labels: { ...labels, 'app.kubernetes.io/managed-by': 'juju' },
      annotations: { 'juju.is/version': JUJU_VERSION, 'app.juju.is/uuid': 'f'.repeat(32) },
    },
    spec: {
      replicas: 1,
      serviceName: `${app}-endpoints`,
      podManagementPolicy: 'Parallel',
      revisionHistoryLimit: 10,
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      selector: { matchLabels: labels },
      template: {
        metadata: {
          labels,
          annotations: { 'juju.is/version': JUJU_VERSION, 'controller.juju.is/id': 'a'.repeat(36) },
        },
        spec: {
          serviceAccountName: app,
          automountServiceAccountToken: true,
          dnsPolicy: 'ClusterFirst',
          restartPolicy: 'Always',
          schedulerName: 'default-scheduler',
          terminationGracePeriodSeconds: 300,
          enableServiceLinks: true,
          nodeSelector: { 'kubernetes.io/arch': 'amd64' },
          securityContext: { runAsUser: 0, runAsGroup: 0 },
          initContainers: [
            {
              name: 'charm-init',
              image: `jujusolutions/jujud-operator:${JUJU_VERSION}`,
              command: ['/opt/containeragent'],
              args: ['init', '--containeragent-pebble-dir', '/containeragent/pebble'],
              env: [
                { name: 'JUJU_CONTAINER_NAMES', value: app },
                {
                  name: 'JUJU_K8S_POD_NAME',
                  valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } },
                },
                {
                  name: 'JUJU_K8S_POD_UUID',
                  valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.uid' } },
                },
              ],
              volumeMounts: [
                { name: 'charm-data', mountPath: '/var/lib/juju', subPath: 'var/lib/juju' },
                { name: 'charm-data', mountPath: '/charm/bin', subPath: 'charm/bin' },
              ],
              ...CONTAINER_DEFAULTS,
            },
          ],
          containers: [charmContainer(app), workloadContainer(app)],
          volumes: [{ name: 'charm-data', emptyDir: {} }],
        },
      },
      volumeClaimTemplates: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: `${app}-config` },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: '1Gi' } },
            storageClassName: 'standard',
            volumeMode: 'Filesystem',
          },
        },
      ],
    },
    status: {
      replicas: 1,
      readyReplicas: 1,
      currentReplicas: 1,
      updatedReplicas: 1,
      availableReplicas: 1,
      observedGeneration: 3,
      currentRevision: `${app}-5d8f7c9b6`,
      updateRevision: `${app}-5d8f7c9b6`,
      collisionCount: 0,
    },
  };
}
