/** The example in docs/resize.md, run: a charm's hook growing its volumes by copy. */
import { describe, expect, it } from '@jest/globals';
import type { Status } from 'charmkit/relations';
import { growVolumes } from './doc-example.js';
import { NS, STS, World } from './support/world.js';

describe('docs/resize.md example', () => {
  it('reports each step as maintenance and ends active with the new sizes', async () => {
    const world = await World.create({
      templates: [{ name: 'data', size: '1Gi', storageClassName: 'fixed' }],
    });
    // The example uses the real clock; the world's needs its virtual one, so wrap the port's
    // waits: every poll of the helper lets the world's controllers act.
    const statuses: Status[] = [];
    const port = world.port;
    const original = globalThis.setTimeout;
    globalThis.setTimeout = ((fn: () => void) =>
      original(() => void world.advance(2000).then(fn), 0)) as typeof setTimeout;
    try {
      const final = await growVolumes(port, 'web/0', STS, NS, '2Gi', (s) => statuses.push(s));
      expect(final).toEqual({
        name: 'active',
        message: 'volumes resized: data-web-0 → 2Gi, data-web-1 → 2Gi',
      });
    } finally {
      globalThis.setTimeout = original;
    }
    expect(statuses[0]?.name).toBe('maintenance');
    expect(statuses.map((s) => s.message)).toContainEqual(
      expect.stringMatching(/copy claim data-web-0 with rsync/),
    );
    expect(world.violations).toEqual([]);
  });
});
