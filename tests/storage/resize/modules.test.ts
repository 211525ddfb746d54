/**
 * The resize helper's parts on their own: names, the journal's lock, the Job spec, how a claim's
 * expansion status is read, recovery commands and status texts.
 */
import { describe, expect, it } from '@jest/globals';
import { FakeCluster } from 'charmkit/testing';
import type { PersistentVolumeClaim, Pod } from 'charmkit/kube';
import {
  ResizeFailedError,
  ResizeInterruptedError,
  ResizeLockedError,
  ResizeNeedsHumanError,
  resizeStatus,
} from 'charmkit/storage';
import { expansionState } from '../../../lib/storage/resize/in-place.js';
import { buildResizeJob, resizeJobState } from '../../../lib/storage/resize/jobs.js';
import { JournalStore, type ResizeJournal } from '../../../lib/storage/resize/journal.js';
import {
  copyClaimName,
  jobName,
  journalName,
  MAX_NAME_LENGTH,
} from '../../../lib/storage/resize/names.js';
import { detectResize } from '../../../lib/storage/resize/plan.js';
import { recoveryCommands } from '../../../lib/storage/resize/recovery.js';
import { planSteps } from '../../../lib/storage/resize/runner.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe('names', () => {
  const long = 'a-very-long-statefulset-name-that-goes-on-and-on-and-on-and-on-forever';
  it('are DNS labels of at most 63 characters, deterministic, and distinct when cut', () => {
    const names = [
      journalName('media', long),
      journalName('media', `${long}-2`),
      copyClaimName(`data-${long}-0`, 'uid-1', '2Gi'),
      copyClaimName(`data-${long}-1`, 'uid-2', '2Gi'),
      jobName('verify-back', `data-${long}-10`, 'uid-3', '20Gi'),
    ];
    for (const name of names) {
      expect(name.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
      expect(name).toMatch(DNS_LABEL);
    }
    expect(new Set(names).size).toBe(names.length);
    expect(journalName('media', long)).toBe(journalName('media', long));
    expect(copyClaimName('data-web-0', 'u', '2Gi')).not.toBe(
      copyClaimName('data-web-0', 'u', '3Gi'),
    );
  });
});

describe('detection', () => {
  const set = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'media' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { spec: { containers: [{ name: 'app' }] } },
      volumeClaimTemplates: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: 'data' },
          spec: { resources: { requests: { storage: '1Gi' } } },
        },
      ],
    },
  };
  const claim = (name: string, request: string, capacity = request): PersistentVolumeClaim => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, uid: name },
    spec: { resources: { requests: { storage: request } } },
    status: { phase: 'Bound', capacity: { storage: capacity } },
  });

  it('finds every ordinal below target, leftovers and unfinished expansions included', () => {
    const found = detectResize(
      set,
      [
        claim('data-web-0', '1Gi'),
        claim('data-web-1', '2Gi', '1Gi'), // request raised earlier, expansion not finished
        claim('data-web-5', '1Gi'), // a leftover ordinal
        claim('data-web-x', '1Gi'), // not an ordinal
        claim('data-other-0', '1Gi'), // another set
        claim('data-web-2', '2Gi'), // already there
      ],
      '2Gi',
    );
    expect(found.claims.map((c) => [c.claim, c.leftover])).toEqual([
      ['data-web-0', false],
      ['data-web-1', false],
      ['data-web-5', true],
    ]);
    expect(found.templatesToUpdate).toEqual(['data']);
  });

  it('treats equal sizes in other spellings as equal, and brings claims up to the template', () => {
    expect(detectResize(set, [claim('data-web-0', '1073741824')], undefined).claims).toEqual([]);
    expect(
      detectResize(set, [claim('data-web-0', '512Mi')], undefined).claims.map((c) => c.target),
    ).toEqual(['1Gi']);
  });
});

describe('the journal lock', () => {
  const journal = (): ResizeJournal => ({
    version: 1,
    runId: 'r1',
    startedAt: '2026-01-01T00:00:00Z',
    namespace: 'media',
    statefulSet: { name: 'web', uid: 'u', replicas: 2, original: {} },
    targets: { data: '2Gi' },
    templateUpdate: 'recreate',
    oldVolumes: 'keep',
    claims: [],
    steps: [],
    phase: 'forward',
    bytesCopied: 0,
    warnings: [],
  });
  const clock = {
    t: 0,
    now() {
      return this.t;
    },
    async sleep(ms: number) {
      this.t += ms;
    },
  };

  it('keeps another holder out until the lease expires, lets the same holder resume at once', async () => {
    const fake = new FakeCluster();
    await JournalStore.create(fake, 'unit/0', clock, 60_000, journal());
    await expect(JournalStore.open(fake, 'media', 'web', 'unit/1', clock, 60_000)).rejects.toThrow(
      ResizeLockedError,
    );
    const same = await JournalStore.open(fake, 'media', 'web', 'unit/0', clock, 60_000);
    expect(same?.data.runId).toBe('r1');
    clock.t += 61_000;
    const other = await JournalStore.open(fake, 'media', 'web', 'unit/1', clock, 60_000);
    expect(other?.data.runId).toBe('r1');
    // The previous holder's next write fails: the journal moved on without it.
    await expect(same?.save()).rejects.toThrow(ResizeLockedError);
  });

  it('refuses a second journal for the same StatefulSet', async () => {
    const fake = new FakeCluster();
    await JournalStore.create(fake, 'unit/0', clock, 60_000, journal());
    await expect(JournalStore.create(fake, 'unit/1', clock, 60_000, journal())).rejects.toThrow(
      ResizeLockedError,
    );
  });
});

describe('the copy Job', () => {
  const input = {
    name: 'rsz-copy-x',
    namespace: 'media',
    role: 'copy' as const,
    statefulSet: 'web',
    claim: 'data-web-0',
    source: 'data-web-0',
    destination: 'data-web-0-rsz-1',
    image: 'registry.invalid/rsync@sha256:' + '0'.repeat(64),
    deadlineSeconds: 3600,
    nodeAffinity: {
      required: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }] },
        ],
      },
    },
  };

  it('runs once, bounded, as root with the least capabilities, without fsGroup, source read-only', () => {
    const job = buildResizeJob(input) as unknown as {
      spec: {
        backoffLimit: number;
        activeDeadlineSeconds: number;
        template: { spec: Pod['spec'] & Record<string, unknown> };
      };
    };
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.activeDeadlineSeconds).toBe(3600);
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.securityContext).toEqual({
      runAsUser: 0,
      runAsGroup: 0,
      runAsNonRoot: false,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.securityContext?.fsGroup).toBeUndefined();
    const container = pod.containers[0];
    expect(container?.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: {
        drop: ['ALL'],
        add: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'SETFCAP', 'MKNOD'],
      },
    });
    expect(container?.volumeMounts?.find((m) => m.name === 'src')?.readOnly).toBe(true);
    expect(container?.volumeMounts?.find((m) => m.name === 'dst')?.readOnly).toBe(false);
    expect(pod.affinity).toEqual({ nodeAffinity: input.nodeAffinity });
    expect(container?.image).toBe(input.image);
    // No name from the cluster reaches the shell: the script is a constant, paths come from env.
    expect(container?.command?.[2]).not.toContain('data-web-0');
  });

  it('mounts both claims read-only for a verification', () => {
    const job = buildResizeJob({
      ...input,
      role: 'verify',
      expectedDigest: 'a'.repeat(64),
    }) as unknown as {
      spec: { template: { spec: Pod['spec'] } };
    };
    const mounts = job.spec.template.spec.containers[0]?.volumeMounts ?? [];
    expect(mounts.filter((m) => m.name !== 'scratch').every((m) => m.readOnly)).toBe(true);
  });

  it('reads success only from a report, and failures with their reason', () => {
    const pod = (phase: string, message: string): Pod => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {},
      spec: { containers: [] },
      status: {
        phase,
        containerStatuses: [
          { name: 'copy', ready: false, restartCount: 0, state: { terminated: { message } } },
        ],
      },
    });
    const done = (type: string) => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {},
      status: {
        conditions: [
          { type, status: 'True', message: 'Job has reached the specified backoff limit' },
        ],
      },
    });
    const report = JSON.stringify({
      ok: true,
      role: 'copy',
      bytes: 5,
      files: 1,
      digest: 'b'.repeat(64),
    });
    expect(resizeJobState(done('Complete'), [pod('Succeeded', report)], 'copy')).toEqual({
      state: 'succeeded',
      outcome: { ok: true, report: { bytes: 5, files: 1, digest: 'b'.repeat(64) } },
    });
    expect(
      resizeJobState(
        done('Failed'),
        [pod('Failed', '{"ok":false,"role":"copy","reason":"rsync exited with status 24"}')],
        'copy',
      ),
    ).toEqual({
      state: 'failed',
      reason:
        'Job has reached the specified backoff limit; copy failed: rsync exited with status 24',
    });
    expect(
      resizeJobState({ apiVersion: 'batch/v1', kind: 'Job', metadata: {} }, [], 'copy'),
    ).toEqual({ state: 'running' });
  });
});

describe('expansion status', () => {
  const claim = (status: PersistentVolumeClaim['status']): PersistentVolumeClaim => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {},
    spec: { resources: { requests: { storage: '2Gi' } } },
    status,
  });
  it('follows allocatedResourceStatuses and the resize conditions', () => {
    expect(expansionState(claim({ capacity: { storage: '2Gi' } }), '2Gi')).toEqual({
      state: 'done',
    });
    expect(
      expansionState(
        claim({
          capacity: { storage: '1Gi' },
          allocatedResourceStatuses: { storage: 'ControllerResizeInProgress' },
          conditions: [{ type: 'Resizing', status: 'True' }],
        }),
        '2Gi',
      ).state,
    ).toBe('in-progress');
    expect(
      expansionState(
        claim({
          capacity: { storage: '1Gi' },
          allocatedResourceStatuses: { storage: 'NodeResizePending' },
        }),
        '2Gi',
      ).state,
    ).toBe('filesystem-pending');
    expect(
      expansionState(
        claim({
          capacity: { storage: '1Gi' },
          conditions: [
            { type: 'FileSystemResizePending', status: 'True', message: 'restart a pod' },
          ],
        }),
        '2Gi',
      ),
    ).toEqual({ state: 'filesystem-pending', message: 'restart a pod' });
    expect(
      expansionState(
        claim({
          capacity: { storage: '1Gi' },
          allocatedResourceStatuses: { storage: 'NodeResizeInfeasible' },
          conditions: [{ type: 'NodeResizeError', status: 'True', message: 'fs too old' }],
        }),
        '2Gi',
      ),
    ).toEqual({ state: 'infeasible', message: 'fs too old' });
    expect(
      expansionState(
        claim({
          capacity: { storage: '1Gi' },
          allocatedResourceStatuses: { storage: 'ControllerResizeInProgress' },
          conditions: [{ type: 'ControllerResizeError', status: 'True', message: 'timeout' }],
        }),
        '2Gi',
      ),
    ).toMatchObject({ state: 'in-progress', error: 'timeout' });
  });
});

describe('the plan', () => {
  it('verifies every copy before any swap, and neutralises retention before the scale-down', () => {
    const steps = planSteps({
      claims: [
        { name: 'a', path: 'copy' },
        { name: 'b', path: 'copy' },
        { name: 'c', path: 'in-place' },
      ],
      templateUpdate: 'recreate',
      swap: 'rebind',
      retentionToNeutralize: true,
    }).map((s) => s.id);
    const at = (id: string) => steps.indexOf(id);
    expect(at('await-expansion:c')).toBeLessThan(at('scale-down'));
    expect(at('retain-claims')).toBeLessThan(at('scale-down'));
    expect(at('retain-volume:b')).toBeLessThan(at('scale-down'));
    expect(at('verify:b')).toBeLessThan(at('swap:a'));
    expect(at('swap:b')).toBeLessThan(at('template'));
    expect(at('template')).toBeLessThan(at('scale-up'));
    expect(steps[steps.length - 1]).toBe('cleanup');
  });
});

describe('recovery commands and statuses', () => {
  it('name every object and come back to the journaled replicas', () => {
    const commands = recoveryCommands(
      {
        version: 1,
        runId: 'r',
        startedAt: '',
        namespace: 'media',
        statefulSet: {
          name: 'web',
          uid: 'u',
          replicas: 3,
          retention: { whenScaled: 'Delete' },
          original: { kind: 'StatefulSet' },
        },
        targets: { data: '2Gi' },
        templateUpdate: 'recreate',
        swap: 'rebind',
        oldVolumes: 'keep',
        claims: [
          {
            name: 'data-web-0',
            template: 'data',
            ordinal: 0,
            uid: 'c0',
            request: '1Gi',
            target: '2Gi',
            path: 'copy',
            accessModes: ['ReadWriteOnce'],
            volumeMode: 'Filesystem',
            storageClassName: 'fixed',
            volume: { name: 'pv-orig', reclaimPolicy: 'Delete' },
            swapStarted: true,
          },
        ],
        steps: [],
        phase: 'needs-human',
        bytesCopied: 0,
        warnings: [],
      },
      'resize-web-1234',
    ).join('\n');
    expect(commands).toContain('kubectl patch pv pv-orig');
    expect(commands).toContain('"volumeName":"pv-orig"');
    expect(commands).toContain('"storage":"1Gi"');
    expect(commands).toContain('kubectl -n media scale statefulset web --replicas=3');
    expect(commands).toContain(
      '{"spec":{"persistentVolumeClaimRetentionPolicy":{"whenScaled":"Delete"}}}',
    );
    expect(commands).toContain('kubectl -n media delete configmap resize-web-1234');
  });

  it('say when the workload is down, and what a person must do', () => {
    expect(resizeStatus(new ResizeInterruptedError('copy:a', 'timed out', true, 'retry'))).toEqual({
      name: 'maintenance',
      message:
        'volume resize interrupted at copy:a: WORKLOAD DOWN (0 replicas) until it resumes; timed out',
    });
    expect(resizeStatus(new ResizeNeedsHumanError('swap:a', 'copy-back failed', ['x'])).name).toBe(
      'blocked',
    );
    expect(resizeStatus(new ResizeFailedError('copy:a', 'rsync 23', 'see logs')).name).toBe(
      'blocked',
    );
    expect(resizeStatus(new ResizeLockedError('unit/1', 'soon')).name).toBe('waiting');
    expect(resizeStatus(new Error('boom'))).toEqual({
      name: 'error',
      message: 'volume resize: boom',
    });
  });
});
