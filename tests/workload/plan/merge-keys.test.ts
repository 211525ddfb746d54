/**
 * The plan predicts what a strategic merge patch does to a pod template with a hand-written table
 * of merge keys (lib/workload/plan/merge.ts). If that table and the API server disagree, a
 * reconcile either patches forever or misses a change, so this test derives the same table from
 * the patch metadata generated from the server's own OpenAPI document and requires equality.
 */
import { describe, expect, it } from '@jest/globals';
import { PATCH_METADATA } from '../../../lib/testing/generated/patch-metadata.js';
import { mergeStrategyOf } from '../../../lib/testing/strategic-merge-metadata.js';
import { POD_TEMPLATE_MERGE_KEYS } from '../../../lib/workload/plan/merge.js';

/** Every keyed, merged list reachable from a pod template, by field name. */
function mergeKeysFromMetadata(): Map<string, Set<string>> {
  const keys = new Map<string, Set<string>>();
  const seen = new Set<string>();
  const visit = (definition: string): void => {
    if (seen.has(definition)) return;
    seen.add(definition);
    for (const [field, meta] of Object.entries(PATCH_METADATA.definitions[definition] ?? {})) {
      if (mergeStrategyOf(meta) === 'merge' && meta.key !== undefined) {
        const set = keys.get(field) ?? new Set<string>();
        set.add(meta.key);
        keys.set(field, set);
      }
      if (meta.ref !== undefined) visit(meta.ref);
    }
  };
  visit('io.k8s.api.core.v1.PodTemplateSpec');
  return keys;
}

describe('the plan merge keys', () => {
  const derived = mergeKeysFromMetadata();

  it('walks a real table (the pod template has keyed lists)', () => {
    expect(derived.get('containers')).toEqual(new Set(['name']));
    expect(derived.size).toBeGreaterThan(5);
  });

  it('each field name has one merge key inside a pod template (the table can key by name)', () => {
    const ambiguous = [...derived].filter(([, set]) => set.size > 1).map(([field]) => field);
    expect(ambiguous).toEqual([]);
  });

  it('equal the merge keys the API server publishes for pod templates', () => {
    const fromServer = Object.fromEntries([...derived].map(([field, set]) => [field, [...set][0]]));
    expect(POD_TEMPLATE_MERGE_KEYS).toEqual(fromServer);
  });
});
