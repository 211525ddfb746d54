/**
 * Semantic checks of storage relation data that JSON Schema cannot express.
 *
 * The schema (schemas/storage/v1/provider.json) checks shapes: names, integer ranges, a path that
 * starts with '/'. A mount path also has to be normalised (`/data/../etc` would mount over the
 * container's /etc), the size must be a positive quantity, and the claim must live in the
 * requirer's own namespace, because a pod can only mount claims of its own namespace. Relation data
 * is untrusted: any failure here is a typed error that becomes a Blocked status, never a patch.
 */
import { CharmkitError } from '../core/errors.js';
import { parseAccessMode, type AccessMode } from './access-mode.js';
import { validateStorageSize } from './size.js';

/** One problem with one field, in words a user can act on. */
export interface StorageDataIssue {
  readonly field: string;
  readonly reason: string;
}

/** Thrown when storage relation data passes the schema but is still unusable. */
export class InvalidStorageDataError extends CharmkitError {
  override readonly name = 'InvalidStorageDataError';
  readonly remedy = 'fix' as const;
  constructor(
    /** Which bag or config the data came from. */
    readonly source: string,
    readonly issues: readonly StorageDataIssue[],
  ) {
    super(
      `invalid storage data from ${source}: ${issues.map((i) => `${i.field}: ${i.reason}`).join('; ')}`,
    );
  }
}

/**
 * Why a mount path is unacceptable, or undefined when it is absolute and normalised: no empty,
 * `.` or `..` segments, no trailing slash, not `/` itself, no control characters.
 */
export function mountPathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'must be an absolute path';
  if (path === '/') return 'must not be the root directory';
  if ([...path].some((c) => c.charCodeAt(0) < 0x20)) return 'must not contain control characters';
  if (path.endsWith('/')) return 'must not end with "/"';
  const segments = path.slice(1).split('/');
  if (segments.some((s) => s === '..')) return 'must not contain ".." segments';
  if (segments.some((s) => s === '.' || s === '')) {
    return 'must be normalised (no "." segments or "//")';
  }
  return undefined;
}

/** The provider's app data as the schema decodes it (kebab-case keys, as on the wire). */
export interface StorageProviderAppData {
  'pvc-name': string;
  namespace: string;
  'mount-path': string;
  puid?: number;
  pgid?: number;
  'access-mode'?: AccessMode;
  'storage-class'?: string;
  size?: string;
  /** The same offer in charmarr's `media-storage` form, for charmarr requirers. */
  config?: { pvc_name: string; mount_path?: string; puid?: number; pgid?: number };
}

/** The requirer's app data as the schema decodes it. */
export interface StorageRequirerAppData {
  'instance-name': string;
  /** The same name in charmarr's `media-storage` form, for charmarr providers. */
  config?: { instance_name: string };
}

/**
 * The relation data format a peer spoke: `charmkit` (the `storage` v1 keys) or `charmarr` (one
 * `config` key holding JSON, as charmarr's `media-storage` interface publishes).
 */
export type StorageWireFormat = 'charmkit' | 'charmarr';

/** A validated storage offer, in the shape code works with. */
export interface StorageOffer {
  readonly claimName: string;
  readonly namespace: string;
  readonly mountPath: string;
  readonly puid: number | undefined;
  readonly pgid: number | undefined;
  readonly accessMode: AccessMode | undefined;
  readonly storageClass: string | undefined;
  readonly size: string | undefined;
  /** Which format the provider published it in. */
  readonly wireFormat: StorageWireFormat;
}

/**
 * Checks schema-valid provider data semantically and converts it to a `StorageOffer`. With
 * `namespace`, a claim in another namespace is an issue too. Throws `InvalidStorageDataError`
 * listing every problem at once.
 */
export function toStorageOffer(
  data: StorageProviderAppData,
  source: string,
  namespace?: string,
): StorageOffer {
  const issues: StorageDataIssue[] = [];
  const pathProblem = mountPathProblem(data['mount-path']);
  if (pathProblem) issues.push({ field: 'mount-path', reason: pathProblem });
  if (namespace !== undefined && data.namespace !== namespace) {
    issues.push({
      field: 'namespace',
      reason:
        `the claim is in namespace ${data.namespace} but this application runs in ${namespace}; ` +
        'a pod can only mount claims of its own namespace, so deploy both in one model',
    });
  }
  if (data.size !== undefined) {
    try {
      validateStorageSize(data.size);
    } catch (error) {
      issues.push({
        field: 'size',
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }
  let accessMode: AccessMode | undefined;
  if (data['access-mode'] !== undefined) {
    try {
      accessMode = parseAccessMode(data['access-mode']);
    } catch (error) {
      issues.push({
        field: 'access-mode',
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }
  if (issues.length > 0) throw new InvalidStorageDataError(source, issues);
  return {
    claimName: data['pvc-name'],
    namespace: data.namespace,
    mountPath: data['mount-path'],
    puid: data.puid,
    pgid: data.pgid,
    accessMode,
    storageClass: data['storage-class'],
    size: data.size,
    wireFormat: 'charmkit',
  };
}
