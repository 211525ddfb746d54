import { describe, expect, it } from '@jest/globals';
import type { WatchEvent } from '../../lib/kube/port.js';
import { FakeCluster } from '../../lib/testing/fake-cluster.js';
import { configMap } from './fixtures/objects.js';

const CM = { apiVersion: 'v1', kind: 'ConfigMap' };
const REF = { ...CM, namespace: 'media', name: 'settings' };

function summary(events: WatchEvent[]): string[] {
  return events.map(
    (e) => `${e.type} ${e.object.metadata.name} rv=${e.object.metadata.resourceVersion}`,
  );
}

describe('FakeCluster.watch', () => {
  it('starts with ADDED for existing objects, then reports changes in order', async () => {
    const fake = new FakeCluster({ objects: [configMap({ a: '1' })] });
    const events: WatchEvent[] = [];
    const watch = await fake.watch(CM, { namespace: 'media' }, (e) => events.push(e));
    await fake.patch(REF, { type: 'merge', body: { data: { a: '2' } } });
    await fake.delete(REF);
    await fake.settle();
    expect(summary(events)).toEqual([
      'ADDED settings rv=1',
      'MODIFIED settings rv=2',
      'DELETED settings rv=3',
    ]);
    await watch.stop();
  });

  it('delivers asynchronously, never inside the write call', async () => {
    const fake = new FakeCluster();
    const events: WatchEvent[] = [];
    await fake.watch(CM, {}, (e) => events.push(e));
    const write = fake.create(configMap({}));
    expect(events).toEqual([]);
    await write;
    await fake.settle();
    expect(events.map((e) => e.type)).toEqual(['ADDED']);
  });

  it('replays what changed after a resourceVersion', async () => {
    const fake = new FakeCluster();
    await fake.create(configMap({ a: '1' }));
    await fake.patch(REF, { type: 'merge', body: { data: { a: '2' } } });
    await fake.patch(REF, { type: 'merge', body: { data: { a: '3' } } });
    const events: WatchEvent[] = [];
    await fake.watch(CM, { resourceVersion: '1' }, (e) => events.push(e));
    await fake.settle();
    expect(summary(events)).toEqual(['MODIFIED settings rv=2', 'MODIFIED settings rv=3']);
  });

  it('reports an object leaving or entering a label selector as DELETED / ADDED', async () => {
    const fake = new FakeCluster();
    const events: WatchEvent[] = [];
    await fake.watch(CM, { labelSelector: 'app=web' }, (e) => events.push(e));
    await fake.create(configMap({}));
    await fake.patch(REF, { type: 'merge', body: { metadata: { labels: { app: 'web' } } } });
    await fake.patch(REF, { type: 'merge', body: { data: { x: '1' } } });
    await fake.patch(REF, { type: 'merge', body: { metadata: { labels: { app: 'db' } } } });
    await fake.settle();
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
  });

  it('sends nothing for a write that changes nothing', async () => {
    const fake = new FakeCluster({ objects: [configMap({ a: '1' })] });
    const events: WatchEvent[] = [];
    await fake.watch(CM, { resourceVersion: '1' }, (e) => events.push(e));
    await fake.patch(REF, { type: 'strategic', body: { data: { a: '1' } } });
    await fake.settle();
    expect(events).toEqual([]);
  });

  it('stops delivering after stop(), and done resolves', async () => {
    const fake = new FakeCluster();
    const events: WatchEvent[] = [];
    const watch = await fake.watch(CM, {}, (e) => events.push(e));
    await watch.stop();
    await watch.done;
    await fake.create(configMap({}));
    await fake.settle();
    expect(events).toEqual([]);
  });

  it('ends watches when the server closes them', async () => {
    const fake = new FakeCluster();
    const watch = await fake.watch(CM, {}, () => undefined);
    fake.closeWatches();
    await expect(watch.done).resolves.toBeUndefined();
  });

  it('ends a watch whose handler throws instead of delivering out of order', async () => {
    const fake = new FakeCluster();
    const seen: string[] = [];
    const watch = await fake.watch(CM, {}, (e) => {
      seen.push(e.type);
      throw new Error('handler bug');
    });
    await fake.create(configMap({}));
    await fake.patch(REF, { type: 'merge', body: { data: { a: '1' } } });
    await fake.settle();
    await watch.done;
    expect(seen).toEqual(['ADDED']);
  });

  it('logs the watch request', async () => {
    const fake = new FakeCluster();
    await fake.watch(CM, { namespace: 'media' }, () => undefined);
    expect(fake.requests).toEqual([
      { verb: 'watch', apiVersion: 'v1', kind: 'ConfigMap', namespace: 'media', status: 200 },
    ]);
  });
});
