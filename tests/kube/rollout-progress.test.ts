import { rolloutProgress, statusProvesRollout } from '../../lib/kube/rollout-progress.js';
import type { StatefulSet } from '../../lib/kube/types.js';

function sts(
  spec: Partial<StatefulSet['spec']>,
  status: StatefulSet['status'],
  generation = 2,
): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'radarr', namespace: 'media', generation },
    spec: {
      selector: { matchLabels: { app: 'radarr' } },
      template: { spec: { containers: [] } },
      replicas: 1,
      ...spec,
    },
    status,
  };
}

// Status shapes as the v1.37 StatefulSet controller writes them during and after an update.
const done = {
  observedGeneration: 2,
  replicas: 1,
  readyReplicas: 1,
  updatedReplicas: 1,
  currentReplicas: 1,
  currentRevision: 'r-2',
  updateRevision: 'r-2',
};

describe('rolloutProgress', () => {
  it('is complete when the latest spec is observed, all pods ready and the revisions agree', () => {
    expect(rolloutProgress(sts({}, done))).toMatchObject({
      complete: true,
      desired: 1,
      ready: 1,
      updated: 1,
    });
  });

  it('waits for the controller to observe the new generation', () => {
    const p = rolloutProgress(sts({}, { ...done, observedGeneration: 1 }));
    expect(p).toMatchObject({
      complete: false,
      message: 'the StatefulSet controller has not yet seen generation 2',
    });
    expect(rolloutProgress(sts({}, undefined)).complete).toBe(false);
  });

  it('waits for ready pods', () => {
    expect(rolloutProgress(sts({}, { ...done, readyReplicas: 0 }))).toMatchObject({
      complete: false,
      message: '0/1 pods ready',
    });
  });

  it('waits while the update revision has not become current (update still rolling)', () => {
    const rolling = {
      ...done,
      replicas: 3,
      readyReplicas: 3,
      updatedReplicas: 1,
      currentReplicas: 2,
      currentRevision: 'r-1',
    };
    expect(rolloutProgress(sts({ replicas: 3 }, rolling))).toMatchObject({
      complete: false,
      message: '1/3 pods updated to revision r-2',
    });
  });

  it('says what OnDelete needs', () => {
    const p = rolloutProgress(
      sts(
        { updateStrategy: { type: 'OnDelete' } },
        { ...done, updatedReplicas: 0, currentRevision: 'r-1' },
      ),
    );
    expect(p.message).toContain('OnDelete strategy: old pods must be deleted');
  });

  it('treats a partitioned rollout as complete once the pods above the partition are updated', () => {
    const spec = {
      replicas: 3,
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } },
    };
    const base = {
      observedGeneration: 2,
      replicas: 3,
      readyReplicas: 3,
      currentRevision: 'r-1',
      updateRevision: 'r-2',
    };
    expect(rolloutProgress(sts(spec, { ...base, updatedReplicas: 0 })).complete).toBe(false);
    expect(rolloutProgress(sts(spec, { ...base, updatedReplicas: 1 })).complete).toBe(true);
  });

  it('without currentRevision, judges by updatedReplicas', () => {
    const noRevisions = { observedGeneration: 2, replicas: 2, readyReplicas: 2 };
    expect(
      rolloutProgress(sts({ replicas: 2 }, { ...noRevisions, updatedReplicas: 1 })).complete,
    ).toBe(false);
    expect(
      rolloutProgress(sts({ replicas: 2 }, { ...noRevisions, updatedReplicas: 2 })).complete,
    ).toBe(true);
  });

  it('waits for surplus pods of a scale-down to go', () => {
    expect(
      rolloutProgress(sts({ replicas: 1 }, { ...done, replicas: 2, readyReplicas: 2 })),
    ).toMatchObject({
      complete: false,
      message: '1 surplus pods still terminating',
    });
  });

  it('defaults spec.replicas to 1 and handles 0 replicas', () => {
    expect(rolloutProgress(sts({ replicas: undefined }, done)).desired).toBe(1);
    const zero = {
      observedGeneration: 2,
      replicas: 0,
      readyReplicas: 0,
      updatedReplicas: 0,
      currentRevision: 'r-2',
      updateRevision: 'r-2',
    };
    expect(rolloutProgress(sts({ replicas: 0 }, zero)).complete).toBe(true);
  });
});

describe('statusProvesRollout (may the pods go unlisted?)', () => {
  it('proves it when revisions agree and replicas = ready = updated = spec.replicas', () => {
    expect(statusProvesRollout(sts({}, done))).toBe(true);
    expect(
      statusProvesRollout(
        sts({ replicas: 3 }, { ...done, replicas: 3, readyReplicas: 3, updatedReplicas: 3 }),
      ),
    ).toBe(true);
  });

  it('a scaled-to-zero StatefulSet has nothing to list', () => {
    expect(
      statusProvesRollout(
        sts(
          { replicas: 0 },
          { observedGeneration: 2, currentRevision: 'r-2', updateRevision: 'r-2' },
        ),
      ),
    ).toBe(true);
  });

  it.each([
    ['the controller has not seen the spec', { ...done, observedGeneration: 1 }],
    ['no status at all', undefined],
    ['revisions differ (rolling)', { ...done, updateRevision: 'r-3' }],
    ['no revisions reported', { ...done, currentRevision: undefined, updateRevision: undefined }],
    ['a pod not ready', { ...done, readyReplicas: 0 }],
    ['a pod not updated', { ...done, updatedReplicas: 0 }],
    ['a surplus pod still terminating', { ...done, replicas: 2 }],
  ])('proves nothing when %s', (_why, status) => {
    expect(statusProvesRollout(sts({}, status as StatefulSet['status']))).toBe(false);
  });

  it('a partitioned rollout that is complete by its own measure still needs the pods listed', () => {
    const partitioned = sts(
      { replicas: 2, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } },
      { ...done, replicas: 2, readyReplicas: 2, updatedReplicas: 1, updateRevision: 'r-3' },
    );
    expect(rolloutProgress(partitioned).complete).toBe(true);
    expect(statusProvesRollout(partitioned)).toBe(false);
  });
});
