/**
 * The machinery a StatefulSet plan computes with, private to the plan: the working copy of the pod
 * template its fragments edit (`Working`), the strategic merge patch body they write into
 * (`PatchBody`), the ordering directives that make the server keep the predicted order
 * (`pinElementOrder`), and the checks and descriptions fragments share. Nothing here is public
 * API; the plan's own module decides what fragments exist.
 */
import { isPlainObject } from '../../core/json.js';
import { ContainerNotFoundError, PlanInconsistentError } from './errors.js';
import type { ContainerKind } from './selectors.js';
import type { Container, PodSpec, PodTemplateSpec } from '../../kube/types.js';

/** A JSON object as the patch body and the working template hold it. */
export type JsonRecord = Record<string, unknown>;

/** The mutable state fragments are applied to while computing. */
export interface Working {
  readonly name: string;
  annotations: Record<string, string>;
  template: PodTemplateSpec;
  readonly claimTemplates: ReadonlySet<string>;
  readonly ensuredMounts: Map<string, string>;
  readonly ensuredVolumes: Set<string>;
  readonly removedVolumes: Map<string, string>;
}

/** The strategic merge patch body under construction. */
export class PatchBody {
  readonly root: JsonRecord = {};

  objectMeta(): JsonRecord {
    return this.child(this.root, 'metadata');
  }

  templateMeta(): JsonRecord {
    return this.child(this.child(this.child(this.root, 'spec'), 'template'), 'metadata');
  }

  podSpec(): JsonRecord {
    return this.child(this.child(this.child(this.root, 'spec'), 'template'), 'spec');
  }

  container(kind: ContainerKind, name: string): JsonRecord {
    return this.element(this.podSpec(), kind, 'name', name);
  }

  child(parent: JsonRecord, key: string): JsonRecord {
    const existing = parent[key];
    if (isPlainObject(existing)) return existing;
    const created: JsonRecord = {};
    parent[key] = created;
    return created;
  }

  /** The list element with `key === value` in `parent[list]`, created if absent. */
  element(parent: JsonRecord, list: string, key: string, value: string): JsonRecord {
    const items = Array.isArray(parent[list]) ? (parent[list] as unknown[]) : [];
    parent[list] = items;
    const found = items.find((i): i is JsonRecord => isPlainObject(i) && i[key] === value);
    if (found) return found;
    const created: JsonRecord = { [key]: value };
    items.push(created);
    return created;
  }
}

/**
 * Pins the order of every keyed list to which the patch adds an element. Without it the server
 * places new elements *before* the ones it already has (its merge takes a patch element whenever
 * it cannot compare positions), so the result would depend on patch element order. With
 * `$setElementOrder/<list>` naming every element, the server keeps exactly the order `predicted`
 * shows: the observed elements in place, new ones appended. Lists that only merge or delete keep
 * their order by themselves and get no directive.
 */
export function pinElementOrder(root: JsonRecord, observed: PodSpec, predicted: PodSpec): void {
  const spec = ((root.spec as JsonRecord | undefined)?.template as JsonRecord | undefined)?.spec;
  if (!isPlainObject(spec)) return;
  pinList(spec, 'volumes', 'name', observed.volumes, predicted.volumes);
  for (const kind of ['containers', 'initContainers'] as const) {
    pinList(spec, kind, 'name', observed[kind], predicted[kind]);
    const list = spec[kind];
    if (!Array.isArray(list)) continue;
    for (const element of list) {
      if (!isPlainObject(element) || element.$patch === 'delete') continue;
      const before = (observed[kind] ?? []).find((c) => c.name === element.name);
      if (!before) continue; // a new container is taken as given, in its own order
      const after = (predicted[kind] ?? []).find((c) => c.name === element.name);
      pinList(element, 'volumeMounts', 'mountPath', before?.volumeMounts, after?.volumeMounts);
      pinList(element, 'env', 'name', before?.env, after?.env);
    }
  }
}

function pinList(
  parent: JsonRecord,
  field: string,
  key: string,
  observed: readonly object[] | undefined,
  predicted: readonly object[] | undefined,
): void {
  const list = parent[field];
  const directive = `$setElementOrder/${field}`;
  if (!Array.isArray(list)) return;
  // The server insists the patch list follows the order it pins: deletions first, then the rest
  // in predicted order (so also when a directive was set by an ordering fragment).
  const indexIn = (items: readonly object[] | undefined, element: unknown): number =>
    (items ?? []).findIndex(
      (i) => isPlainObject(element) && (i as JsonRecord)[key] === element[key],
    );
  const rank = (element: unknown): number =>
    isPlainObject(element) && element.$patch === 'delete'
      ? indexIn(observed, element) - 1_000_000
      : indexIn(predicted, element);
  const ordered = [...list].sort((a, b) => rank(a) - rank(b));
  list.splice(0, list.length, ...ordered);
  if (directive in parent) return;
  const had = new Set((observed ?? []).map((o) => (o as JsonRecord)[key]));
  const adds = list.some((e) => isPlainObject(e) && e.$patch !== 'delete' && !had.has(e[key]));
  if (!adds) return;
  parent[directive] = (predicted ?? []).map((e) => ({ [key]: (e as JsonRecord)[key] }));
}

/** The server drops empty lists when it stores an object; the prediction does the same. */
export function dropIfEmpty(parent: object, field: string): void {
  const record = parent as JsonRecord;
  if (Array.isArray(record[field]) && (record[field] as unknown[]).length === 0)
    delete record[field];
}

/** A container of the working template, or undefined (removals treat a missing one as done). */
export function findContainer(
  w: Working,
  kind: ContainerKind,
  name: string,
): Container | undefined {
  return (w.template.spec[kind] ?? []).find((c) => c.name === name);
}

/** A container a fragment must address; its absence is a configuration mistake, not a no-op. */
export function requireContainer(w: Working, kind: ContainerKind, name: string): Container {
  const found = findContainer(w, kind, name);
  if (found) return found;
  const available = (w.template.spec[kind] ?? []).map((c) => c.name);
  throw new ContainerNotFoundError(name, kind, available, w.name);
}

/**
 * The object holding `path`'s last field in the working template, and a thunk that returns (and
 * creates) the matching object in the patch. With `create`, missing intermediate objects are made.
 */
export function resolveField(
  w: Working,
  p: PatchBody,
  path: string[],
  create: boolean,
): { parent: JsonRecord | undefined; patchParent: () => JsonRecord; field: string } {
  const field = path[path.length - 1] ?? '';
  const spec = w.template.spec as JsonRecord;
  if (path[0] === 'containers' || path[0] === 'initContainers') {
    const kind = path[0];
    const name = path[1] ?? '';
    const container = requireContainer(w, kind, name) as JsonRecord;
    let parent: JsonRecord | undefined = container;
    for (const segment of path.slice(2, -1)) parent = descend(parent, segment, create);
    return {
      parent,
      field,
      patchParent: () => path.slice(2, -1).reduce((o, s) => p.child(o, s), p.container(kind, name)),
    };
  }
  let parent: JsonRecord | undefined = spec;
  for (const segment of path.slice(0, -1)) parent = descend(parent, segment, create);
  return {
    parent,
    field,
    patchParent: () => path.slice(0, -1).reduce((o, s) => p.child(o, s), p.podSpec()),
  };
}

function descend(
  parent: JsonRecord | undefined,
  key: string,
  create: boolean,
): JsonRecord | undefined {
  if (!parent) return undefined;
  const next = parent[key];
  if (isPlainObject(next)) return next;
  if (!create) return undefined;
  const created: JsonRecord = {};
  parent[key] = created;
  return created;
}

/**
 * Refuses a predicted template that mounts a volume the pod would not have, naming the owner of
 * the mount or of the removed volume; the server would reject it (422) without saying whose it was.
 */
export function checkConsistency(w: Working): void {
  const volumes = new Set((w.template.spec.volumes ?? []).map((v) => v.name));
  for (const kind of ['containers', 'initContainers'] as const) {
    for (const c of w.template.spec[kind] ?? []) {
      for (const m of c.volumeMounts ?? []) {
        if (volumes.has(m.name) || w.claimTemplates.has(m.name)) continue;
        const owner =
          w.ensuredMounts.get(`${kind}/${c.name}:${m.mountPath}`) ?? w.removedVolumes.get(m.name);
        if (owner !== undefined) {
          throw new PlanInconsistentError(
            `${owner}: container ${c.name} would mount volume ${m.name} at ${m.mountPath}, ` +
              'but the pod would have no such volume; ensure the volume (or remove the mount) in the same plan',
          );
        }
      }
    }
  }
}

/** A field path as change summaries and conflict keys show it: `pod securityContext.fsGroup`. */
export function describePath(path: string[]): string {
  if (path[0] === 'containers' || path[0] === 'initContainers') {
    return `${path[1] ?? ''} ${path.slice(2).join('.')}`;
  }
  return `pod ${path.join('.')}`;
}
