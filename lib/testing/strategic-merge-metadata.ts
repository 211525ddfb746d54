/**
 * The shape of the patch metadata table that drives `strategicMergePatch`, and lookups into it.
 *
 * A strategic merge patch cannot be applied from the JSON alone: whether `containers` is merged
 * element by element (by `name`) or replaced whole is a property of the *schema*, published by the
 * API server as `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key` in its OpenAPI
 * document. `scripts/gen-patch-metadata.mjs` extracts exactly that (plus the `$ref` path needed
 * to find nested types) into `generated/patch-metadata.ts`, so the fake merges the way the server
 * it was generated from does instead of the way someone remembered it.
 */

/** `x-kubernetes-patch-strategy` values found in Kubernetes OpenAPI documents. */
export type PatchStrategy = 'merge' | 'replace' | 'retainKeys' | 'merge,retainKeys';

/** What the schema says about one field of one definition. */
export interface FieldPatchMeta {
  /** The definition of the field's value (of each item, for arrays; of each value, for maps). */
  readonly ref?: string;
  /** `x-kubernetes-patch-strategy`; absent means "replace lists, merge maps". */
  readonly strategy?: PatchStrategy;
  /** `x-kubernetes-patch-merge-key`: the field identifying list items (`name`, `mountPath`...). */
  readonly key?: string;
  /**
   * The field is a map (`additionalProperties`), not a struct. The API server drops empty maps
   * when it re-serializes an object (Go's `omitempty`), but keeps empty structs (`{}`); the fake
   * needs this bit to do the same.
   */
  readonly map?: true;
}

/** The generated table: which definition each kind is, and the patch metadata of each field. */
export interface PatchMetadataTable {
  /** `gitVersion` of the API server the table was generated from. */
  readonly kubeVersion: string;
  /** `apiVersion/kind` (e.g. `apps/v1/StatefulSet`) to definition name. */
  readonly kinds: Readonly<Record<string, string>>;
  /** Definition name to the fields that carry patch metadata or lead to fields that do. */
  readonly definitions: Readonly<Record<string, Readonly<Record<string, FieldPatchMeta>>>>;
}

/** The definition name (e.g. `io.k8s.api.apps.v1.StatefulSet`) of a kind, if the table has it. */
export function definitionForKind(
  table: PatchMetadataTable,
  apiVersion: string,
  kind: string,
): string | undefined {
  return table.kinds[`${apiVersion}/${kind}`];
}

/** The metadata of `field` in `definition`; undefined for unknown definitions or plain fields. */
export function fieldPatchMeta(
  table: PatchMetadataTable,
  definition: string | undefined,
  field: string,
): FieldPatchMeta | undefined {
  if (definition === undefined) return undefined;
  const fields = table.definitions[definition];
  return fields && Object.hasOwn(fields, field) ? fields[field] : undefined;
}

/**
 * The list/map strategy with `retainKeys` removed: `retainKeys` only tells clients to *send* a
 * `$retainKeys` directive; when applying, the directive itself is what counts.
 */
export function mergeStrategyOf(meta: FieldPatchMeta | undefined): 'merge' | 'replace' | undefined {
  if (!meta?.strategy) return undefined;
  for (const part of meta.strategy.split(',')) {
    if (part === 'merge' || part === 'replace') return part;
  }
  return undefined;
}
