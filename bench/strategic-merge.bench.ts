/**
 * What does applying a strategic merge patch with our engine cost, next to applying the same
 * change as RFC 6902 operations with fast-json-patch on a deep copy? FakeCluster runs the engine
 * on every strategic patch a test sends, so this bounds how much the fake adds to a unit test.
 *
 * The patches are the shapes StatefulSetPlan sends (with `$setElementOrder` pinning new elements
 * at the end); each has a hand-written JSON-patch twin, and the benchmark first checks that both
 * produce the identical StatefulSet — a ratio between two programs that disagree would mean
 * nothing. `structuredClone` alone is the floor: both contenders copy the object first.
 */
import { describe, expect, it } from '@jest/globals';
import jsonpatch, { type Operation } from 'fast-json-patch';
import type { JsonObject } from '../lib/testing/strategic-merge.js';
import { strategicMergePatch } from '../lib/testing/strategic-merge.js';
import { definitionForKind } from '../lib/testing/strategic-merge-metadata.js';
import { PATCH_METADATA } from '../lib/testing/generated/patch-metadata.js';
import { charmStatefulSet } from './fixtures.js';
import { comparisonRows, gcExposed, lastResult, measure, table } from './harness.js';

const STATEFULSET = definitionForKind(PATCH_METADATA, 'apps/v1', 'StatefulSet');
const POD_SPEC = '/spec/template/spec';

/** One patch in both languages. */
interface Case {
  readonly name: string;
  readonly strategic: JsonObject;
  readonly ops: Operation[];
}

const podSpecPatch = (spec: JsonObject): JsonObject => ({ spec: { template: { spec } } });

const CASES: readonly Case[] = [
  {
    name: 'add volume + mount',
    strategic: podSpecPatch({
      volumes: [{ name: 'media', persistentVolumeClaim: { claimName: 'media-pvc' } }],
      '$setElementOrder/volumes': [{ name: 'charm-data' }, { name: 'media' }],
      containers: [
        {
          name: 'radarr',
          volumeMounts: [{ mountPath: '/data', name: 'media' }],
          '$setElementOrder/volumeMounts': [
            { mountPath: '/charm/bin/pebble' },
            { mountPath: '/charm/container' },
            { mountPath: '/config' },
            { mountPath: '/data' },
          ],
        },
      ],
    }),
    ops: [
      {
        op: 'add',
        path: `${POD_SPEC}/volumes/-`,
        value: { name: 'media', persistentVolumeClaim: { claimName: 'media-pvc' } },
      },
      {
        op: 'add',
        path: `${POD_SPEC}/containers/1/volumeMounts/-`,
        value: { mountPath: '/data', name: 'media' },
      },
    ],
  },
  {
    name: 'add init container + sidecar with env',
    strategic: podSpecPatch({
      initContainers: [gatewayInit()],
      '$setElementOrder/initContainers': [{ name: 'charm-init' }, { name: 'gateway-init' }],
      containers: [gatewaySidecar()],
      '$setElementOrder/containers': [
        { name: 'charm' },
        { name: 'radarr' },
        { name: 'gateway-sidecar' },
      ],
    }),
    ops: [
      { op: 'add', path: `${POD_SPEC}/initContainers/-`, value: gatewayInit() },
      { op: 'add', path: `${POD_SPEC}/containers/-`, value: gatewaySidecar() },
    ],
  },
  {
    name: 'move mount ($patch: delete)',
    strategic: podSpecPatch({
      containers: [
        {
          name: 'radarr',
          volumeMounts: [
            { mountPath: '/config', $patch: 'delete' },
            { mountPath: '/srv/config', name: 'radarr-config' },
          ],
          '$setElementOrder/volumeMounts': [
            { mountPath: '/charm/bin/pebble' },
            { mountPath: '/charm/container' },
            { mountPath: '/srv/config' },
          ],
        },
      ],
    }),
    ops: [
      { op: 'remove', path: `${POD_SPEC}/containers/1/volumeMounts/2` },
      {
        op: 'add',
        path: `${POD_SPEC}/containers/1/volumeMounts/-`,
        value: { mountPath: '/srv/config', name: 'radarr-config' },
      },
    ],
  },
  {
    name: 'no-op (image already set)',
    strategic: podSpecPatch({
      containers: [{ name: 'radarr', image: 'lscr.io/linuxserver/radarr:5.14.0' }],
    }),
    ops: [
      {
        op: 'replace',
        path: `${POD_SPEC}/containers/1/image`,
        value: 'lscr.io/linuxserver/radarr:5.14.0',
      },
    ],
  },
];

function gatewayInit(): JsonObject {
  return {
    name: 'gateway-init',
    image: 'ghcr.io/angelnu/pod-gateway:v1.13.0',
    command: ['/bin/gateway_init.sh'],
    env: [
      { name: 'gateway', value: 'vpn-gateway.vpn.svc.cluster.local' },
      { name: 'NOT_ROUTED_TO_GATEWAY_CIDRS', value: '10.0.0.0/8 192.168.0.0/16' },
      { name: 'VXLAN_ID', value: '42' },
    ],
    securityContext: { privileged: true },
  };
}

function gatewaySidecar(): JsonObject {
  return {
    name: 'gateway-sidecar',
    image: 'ghcr.io/angelnu/pod-gateway:v1.13.0',
    command: ['/bin/client_sidecar.sh'],
    env: [
      { name: 'gateway', value: 'vpn-gateway.vpn.svc.cluster.local' },
      { name: 'VXLAN_ID', value: '42' },
      { name: 'DNS_LOCAL_CIDRS', value: 'local' },
    ],
    securityContext: { capabilities: { add: ['NET_ADMIN'] } },
  };
}

const observed = charmStatefulSet() as unknown as JsonObject;

function applyStrategic(c: Case): JsonObject {
  return strategicMergePatch(observed, c.strategic, PATCH_METADATA, STATEFULSET);
}

function applyJsonPatch(c: Case): JsonObject {
  // validate=false, mutate=true: the copy is ours to mutate, as the engine's internal copy is.
  return jsonpatch.applyPatch(structuredClone(observed), c.ops, false, true).newDocument;
}

describe('strategic merge engine vs fast-json-patch', () => {
  it('applies StatefulSet pod-template patches; prints ops/sec and heap per op', async () => {
    const rows: string[][] = [];
    const floor = await measure('structuredClone', () => structuredClone(observed));
    for (const c of CASES) {
      // Correctness first: both contenders must store the same StatefulSet.
      const viaEngine = applyStrategic(c);
      expect(viaEngine).toStrictEqual(applyJsonPatch(c));
      if (c.name.startsWith('no-op')) expect(viaEngine).toStrictEqual(observed);
      else expect(viaEngine).not.toStrictEqual(observed);

      const engine = await measure('strategicMergePatch', () => applyStrategic(c));
      expect(lastResult()).toStrictEqual(viaEngine);
      const baseline = await measure('fast-json-patch (base)', () => applyJsonPatch(c));
      expect(lastResult()).toStrictEqual(viaEngine);
      rows.push(...comparisonRows(c.name, [engine, baseline, floor], baseline));
    }
    // The engine must not have mutated its input while being measured.
    expect(observed).toStrictEqual(charmStatefulSet());

    console.log(
      table(
        `strategic merge vs fast-json-patch on a ${JSON.stringify(observed).length}-byte ` +
          `StatefulSet (time and heap ratios: x the baseline; gc ${gcExposed() ? 'on' : 'off'})`,
        ['patch', 'contender', 'ops/s', 'time vs base', 'heap/op', 'heap vs base'],
        rows,
      ),
    );
  });
});
