/**
 * Label selectors as the API's query syntax. A StatefulSet's pods are found by its own selector
 * (not by guessing labels), and the list API takes that selector as a string.
 */
import { CharmkitError } from '../core/errors.js';

/** A `metav1.LabelSelector` as stored on StatefulSets, Services, PVCs. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
  [key: string]: unknown;
}

/** Thrown for a selector operator the API does not define; selecting everything instead would be wrong. */
export class UnsupportedSelectorError extends CharmkitError {
  override readonly name = 'UnsupportedSelectorError';
  readonly remedy = 'fix' as const;
}

/**
 * `{matchLabels: {app: 'radarr'}, matchExpressions: [{key: 'tier', operator: 'In', values: ['a']}]}`
 * → `app=radarr,tier in (a)`. An empty selector gives `''`, which the API reads as "everything",
 * exactly as an empty LabelSelector means for a workload.
 */
export function labelSelectorString(selector: LabelSelector | undefined): string {
  if (!selector) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}))
    parts.push(`${key}=${value}`);
  for (const expr of selector.matchExpressions ?? []) {
    const values = (expr.values ?? []).join(',');
    switch (expr.operator) {
      case 'In':
        parts.push(`${expr.key} in (${values})`);
        break;
      case 'NotIn':
        parts.push(`${expr.key} notin (${values})`);
        break;
      case 'Exists':
        parts.push(expr.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${expr.key}`);
        break;
      default:
        throw new UnsupportedSelectorError(
          `label selector operator ${JSON.stringify(expr.operator)} is not one of In, NotIn, Exists, DoesNotExist`,
        );
    }
  }
  return parts.join(',');
}
