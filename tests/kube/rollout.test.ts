import { KubernetesError, describeRequest } from '../../lib/kube/errors.js';
import type {
  KubePort,
  ListOptions,
  ObjectRef,
  TypeRef,
  WatchHandle,
} from '../../lib/kube/port.js';
import type { Clock } from '../../lib/core/clock.js';
import { diagnoseStatefulSet, waitForRollout } from '../../lib/kube/rollout.js';
import { UnsupportedSelectorError, labelSelectorString } from '../../lib/kube/selectors.js';
import type {
  KubeList,
  KubeObject,
  PersistentVolumeClaim,
  Pod,
  StatefulSet,
} from '../../lib/kube/types.js';

const ref = { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'media', name: 'radarr' };

function sts(status: StatefulSet['status']): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'radarr', namespace: 'media', uid: 'sts-uid', generation: 2 },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'radarr' } },
      template: {
        spec: {
          containers: [{ name: 'radarr' }],
          volumes: [{ name: 'lib', persistentVolumeClaim: { claimName: 'library' } }],
        },
      },
    },
    status,
  };
}

const rolling = {
  observedGeneration: 2,
  replicas: 1,
  readyReplicas: 0,
  updatedReplicas: 1,
  currentRevision: 'r-1',
  updateRevision: 'r-2',
};
const complete = { ...rolling, readyReplicas: 1, currentRevision: 'r-2' };

function notFound(what: ObjectRef): KubernetesError {
  return new KubernetesError(
    {
      kind: 'Status',
      apiVersion: 'v1',
      code: 404,
      reason: 'NotFound',
      message: `${what.kind} "${what.name}" not found`,
    },
    describeRequest('get', what),
  );
}

/** A read-only port answering from fixed data and recording every call; enough for rollout I/O. */
class ScriptedPort implements KubePort {
  readonly calls: string[] = [];
  constructor(
    private readonly statefulSets: StatefulSet[],
    private readonly objects: Record<string, KubeObject[]> = {},
    private readonly failList: Record<string, KubernetesError> = {},
  ) {}
  async get<T extends KubeObject = KubeObject>(r: ObjectRef): Promise<T> {
    this.calls.push(`get ${r.kind} ${r.name}`);
    if (r.kind === 'StatefulSet') {
      const next = this.statefulSets.length > 1 ? this.statefulSets.shift() : this.statefulSets[0];
      if (!next) throw notFound(r);
      return next as unknown as T;
    }
    const found = (this.objects[r.kind] ?? []).find((o) => o.metadata.name === r.name);
    if (!found) throw notFound(r);
    return found as T;
  }
  async list<T extends KubeObject = KubeObject>(
    type: TypeRef,
    options: ListOptions = {},
  ): Promise<KubeList<T>> {
    const query = options.labelSelector ?? options.fieldSelector ?? '';
    this.calls.push(`list ${type.kind} ${query}`);
    const failure = this.failList[type.kind];
    if (failure) throw failure;
    let items = this.objects[type.kind] ?? [];
    if (type.kind === 'Event' && options.fieldSelector) {
      const name = /involvedObject.name=([^,]+)/.exec(options.fieldSelector)?.[1];
      items = items.filter((e) => (e.involvedObject as { name?: string }).name === name);
    }
    return { apiVersion: 'v1', kind: `${type.kind}List`, metadata: {}, items: items as T[] };
  }
  async create<T extends KubeObject = KubeObject>(): Promise<T> {
    throw new Error('rollout must not write');
  }
  async replace<T extends KubeObject = KubeObject>(): Promise<T> {
    throw new Error('rollout must not write');
  }
  async patch<T extends KubeObject = KubeObject>(): Promise<T> {
    throw new Error('rollout must not write');
  }
  async delete(): Promise<void> {
    throw new Error('rollout must not write');
  }
  async watch(): Promise<WatchHandle> {
    throw new Error('rollout polls; it must not watch');
  }
}

/** A clock that advances only when slept on. */
function fakeClock(): Clock & { slept: number[] } {
  let now = 1_000_000;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

const pendingPod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'radarr-0',
    namespace: 'media',
    uid: 'p-uid',
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'radarr', uid: 'sts-uid' },
    ],
  },
  spec: {
    containers: [{ name: 'radarr' }],
    volumes: [{ name: 'lib', persistentVolumeClaim: { claimName: 'library' } }],
  },
  status: {
    phase: 'Pending',
    conditions: [
      {
        type: 'PodScheduled',
        status: 'False',
        reason: 'Unschedulable',
        message: '0/2 nodes are available: persistentvolumeclaim "library" not found.',
      },
    ],
  },
};
const strangerPod: Pod = {
  ...pendingPod,
  metadata: {
    name: 'radarr-tools',
    namespace: 'media',
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'x', uid: 'other' }],
  },
};

describe('waitForRollout', () => {
  it('returns as soon as the rollout is complete, one GET per poll', async () => {
    const port = new ScriptedPort([sts(rolling), sts(rolling), sts(complete)]);
    const clock = fakeClock();
    const result = await waitForRollout(port, ref, { clock, intervalMs: 2000 });
    expect(result.complete).toBe(true);
    expect(result.polls).toBe(3);
    expect(clock.slept).toEqual([2000, 2000]);
    expect(port.calls).toEqual([
      'get StatefulSet radarr',
      'get StatefulSet radarr',
      'get StatefulSet radarr',
    ]);
  });

  it('gives up at the timeout and returns a diagnosis instead of throwing', async () => {
    const port = new ScriptedPort([sts(rolling)], { Pod: [pendingPod, strangerPod] });
    const clock = fakeClock();
    const result = await waitForRollout(port, ref, { clock, timeoutMs: 5000, intervalMs: 2000 });
    expect(result.complete).toBe(false);
    if (result.complete) return;
    // Polls at t=0, 2000, 4000, then a last one after a shortened sleep at 5000.
    expect(clock.slept).toEqual([2000, 2000, 1000]);
    expect(result.polls).toBe(4);
    expect(result.diagnosis?.findings.map((f) => [f.kind, f.pod ?? f.object])).toEqual([
      ['UnboundPVC', 'library'],
      ['FailedScheduling', 'radarr-0'],
    ]);
    expect(result.diagnosis?.summary).toBe(
      'PersistentVolumeClaim "library" does not exist (used by pod radarr-0) (+1 more)',
    );
    // The diagnosis reads: pods by the StatefulSet's selector, the unready pod's events, its claim.
    expect(port.calls.slice(4)).toEqual([
      'list Pod app=radarr',
      'list Event involvedObject.kind=Pod,involvedObject.name=radarr-0',
      'get PersistentVolumeClaim library',
    ]);
  });

  it('with timeout 0 checks once, and can skip the diagnosis', async () => {
    const port = new ScriptedPort([sts(rolling)]);
    const result = await waitForRollout(port, ref, {
      clock: fakeClock(),
      timeoutMs: 0,
      diagnose: false,
    });
    expect(result).toMatchObject({ complete: false, polls: 1 });
    expect(result.complete === false && result.diagnosis).toBeUndefined();
    expect(port.calls).toEqual(['get StatefulSet radarr']);
  });

  it('reads the StatefulSet events and its template claims while pods are missing', async () => {
    const port = new ScriptedPort([sts({ ...rolling, replicas: 0 })], {
      Event: [
        {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: 'e' },
          involvedObject: { kind: 'StatefulSet', name: 'radarr' },
          reason: 'FailedCreate',
          type: 'Warning',
          message:
            'create Pod radarr-0 in StatefulSet radarr failed error: pods "radarr-0" is forbidden: exceeded quota',
        },
      ],
    });
    const result = await waitForRollout(port, ref, { clock: fakeClock(), timeoutMs: 0 });
    expect(port.calls.slice(1)).toEqual([
      'list Pod app=radarr',
      'get PersistentVolumeClaim library',
      'list Event involvedObject.kind=StatefulSet,involvedObject.name=radarr',
    ]);
    expect(result.complete === false && result.diagnosis?.findings.map((f) => f.kind)).toEqual([
      'UnboundPVC',
      'FailedCreate',
    ]);
  });

  it('uses a claim the caller just read instead of reading it again', async () => {
    const pending: PersistentVolumeClaim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'library', namespace: 'media' },
      spec: {},
      status: { phase: 'Pending' },
    };
    const elsewhere = { ...pending, metadata: { name: 'library', namespace: 'other' } };
    const stuck = sts({ ...rolling, replicas: 1 });
    const port = new ScriptedPort([stuck], { Pod: [pendingPod] });
    const diagnosis = await diagnoseStatefulSet(port, stuck, undefined, {
      knownClaims: [elsewhere, pending],
    });
    expect(port.calls).toEqual([
      'list Pod app=radarr',
      'list Event involvedObject.kind=Pod,involvedObject.name=radarr-0',
      // The known claim is Pending: its events are read, the claim itself is not.
      'list Event involvedObject.kind=PersistentVolumeClaim,involvedObject.name=library',
    ]);
    expect(diagnosis.findings.map((f) => f.kind)).toContain('UnboundPVC');

    // A claim of the same name in another namespace is not the one the pod uses.
    const again = new ScriptedPort([stuck], { Pod: [pendingPod] });
    await diagnoseStatefulSet(again, stuck, undefined, { knownClaims: [elsewhere] });
    expect(again.calls).toContain('get PersistentVolumeClaim library');
  });

  it('reports reads it was not allowed to make as findings', async () => {
    const forbidden = new KubernetesError(
      {
        kind: 'Status',
        apiVersion: 'v1',
        code: 403,
        reason: 'Forbidden',
        message:
          'pods is forbidden: User "u" cannot list resource "pods" in API group "" in the namespace "media"',
      },
      describeRequest('list', { apiVersion: 'v1', kind: 'Pod', namespace: 'media' }),
    );
    const port = new ScriptedPort([sts(rolling)], {}, { Pod: forbidden });
    const result = await waitForRollout(port, ref, { clock: fakeClock(), timeoutMs: 0 });
    const findings = result.complete ? [] : (result.diagnosis?.findings ?? []);
    // The claim named in the template was still checked (and really is missing here)...
    expect(findings.map((f) => f.kind)).toEqual(['UnboundPVC', 'Unknown']);
    // ...and the denied read is reported with the rule that would allow it.
    expect(findings[1]?.message).toBe(
      'cannot read pods of StatefulSet radarr: forbidden: cannot list pods in namespace "media"; grant a Role rule {apiGroups: [""], resources: ["pods"], verbs: ["list"]}',
    );
  });

  it('throws when the StatefulSet itself cannot be read', async () => {
    const port = new ScriptedPort([]);
    await expect(waitForRollout(port, ref, { clock: fakeClock() })).rejects.toBeInstanceOf(
      KubernetesError,
    );
  });
});

describe('labelSelectorString', () => {
  it('renders matchLabels and every expression operator', () => {
    expect(
      labelSelectorString({
        matchLabels: { app: 'radarr', 'app.kubernetes.io/name': 'radarr' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['a', 'b'] },
          { key: 'env', operator: 'NotIn', values: ['dev'] },
          { key: 'managed', operator: 'Exists' },
          { key: 'legacy', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe(
      'app=radarr,app.kubernetes.io/name=radarr,tier in (a,b),env notin (dev),managed,!legacy',
    );
    expect(labelSelectorString(undefined)).toBe('');
    expect(() => labelSelectorString({ matchExpressions: [{ key: 'k', operator: 'Gt' }] })).toThrow(
      UnsupportedSelectorError,
    );
  });
});
