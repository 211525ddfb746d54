/**
 * Grow-only volume sizes.
 *
 * Kubernetes can expand a claim (when its class allows it) but never shrink one: a smaller request
 * is rejected by the API server, and the only way down is a new volume and a copy of the data. So a
 * configured size smaller than the claim's is a user error to report, never something to "fix" by
 * recreating the claim (rule: nothing deletes user data before a verified copy).
 */
import { CharmkitError } from '../core/errors.js';
import { compareQuantities, InvalidQuantityError, parseQuantity } from '../kube/quantity.js';

/** What a configured size means for an existing claim. */
export type SizeChange =
  | { readonly kind: 'unchanged'; readonly current: string; readonly desired: string }
  | {
      /** The claim must be expanded; the resize itself is a separate, later step. */
      readonly kind: 'grow';
      readonly current: string;
      readonly desired: string;
    };

/** Thrown when the configured size is smaller than the claim already is. */
export class VolumeShrinkError extends CharmkitError {
  override readonly name = 'VolumeShrinkError';
  readonly remedy = 'fix' as const;
  constructor(
    readonly claim: string,
    readonly current: string,
    readonly desired: string,
  ) {
    super(
      `cannot shrink PVC ${claim} from ${current} to ${desired}: Kubernetes volumes only grow; ` +
        `set the size back to at least ${current}, or migrate the data to a new, smaller volume`,
    );
  }
}

/** Parses a requested volume size, which must be a positive quantity. */
export function validateStorageSize(text: string): string {
  const q = parseQuantity(text);
  if (q.numerator <= 0n) throw new InvalidQuantityError(text, 'a volume size must be positive');
  return text;
}

/**
 * Compares the claim's current request with the configured one. Equal values spelled differently
 * (`1Gi` and `1073741824`) are unchanged; a larger one is a grow; a smaller one throws.
 */
export function checkSizeChange(claim: string, current: string, desired: string): SizeChange {
  validateStorageSize(desired);
  const order = compareQuantities(parseQuantity(desired), parseQuantity(current));
  if (order < 0) throw new VolumeShrinkError(claim, current, desired);
  return order === 0 ? { kind: 'unchanged', current, desired } : { kind: 'grow', current, desired };
}
