/**
 * The two wire formats a storage relation can carry, recognised and validated alike.
 *
 * charmkit's `storage` v1 bag has one key per field (`pvc-name`, `namespace`, `mount-path`, ...).
 * charmarr's `media-storage` bag has one key, `config`, holding a JSON object (`pvc_name`,
 * `mount_path`, `puid`, `pgid`; the requirer's `instance_name`). A charmkit provider or requirer
 * publishes both in one bag (the charmarr object under `config` beside its own keys), so either
 * kind of peer reads it without being changed; see docs/adr/0010-charmarr-wire-formats.md.
 *
 * Reading recognises the format from the bag itself: any key other than `config` means charmkit,
 * a bag with `config` alone means charmarr. Both go through a JSON Schema (schemas/storage/v1,
 * schemas/media-storage/v1) and the same semantic checks, and every bad field is named in words a
 * user can act on — where charmarr's own library would swallow the error and read "no data". In a
 * charmkit bag the `config` copy must describe the same claim as the keys beside it.
 *
 * Where charmarr leaves a field out, its library's defaults apply, so a charmkit requirer does
 * what a charmarr requirer would with the same bag: `mount_path` /data, `puid` and `pgid` 1000.
 * Only `pgid` reaches the pod (as fsGroup); `puid` is reported, as in charmarr.
 */
import { jsonEqual } from '../core/json.js';
import { RelationDataValidationError, type FieldIssue } from '../relations/errors.js';
import type { InterfaceSchema } from '../relations/interface-schema.js';
import { defaultSchemaRegistry, type SchemaRegistry } from '../relations/schema-registry.js';
import {
  InvalidStorageDataError,
  mountPathProblem,
  toStorageOffer,
  type StorageDataIssue,
  type StorageOffer,
  type StorageProviderAppData,
  type StorageRequirerAppData,
  type StorageWireFormat,
} from './validate.js';

/** charmarr's interface name (and its requirers' default endpoint name). */
export const MEDIA_STORAGE_INTERFACE = 'media-storage';
/** The mount path charmarr's data model assumes when a provider leaves it out. */
export const CHARMARR_DEFAULT_MOUNT_PATH = '/data';
/** The uid and gid charmarr's data model assumes when a provider leaves them out. */
export const CHARMARR_DEFAULT_ID = 1000;

/** charmarr's provider object, as it travels under `config`. */
export interface CharmarrProviderConfig {
  pvc_name: string;
  mount_path?: string;
  puid?: number;
  pgid?: number;
}

/** charmarr's requirer object, as it travels under `config`. */
export interface CharmarrRequirerConfig {
  instance_name: string;
}

/** The decoded sides of `storage` v1 (interface.ts names them for users). */
interface StorageSides {
  provider: { app: StorageProviderAppData; unit: Record<string, never> };
  requirer: { app: StorageRequirerAppData; unit: Record<string, never> };
}
interface MediaStorageProviderSide {
  app: { config: CharmarrProviderConfig };
  unit: Record<string, never>;
}
interface MediaStorageRequirerSide {
  app: { config: CharmarrRequirerConfig };
  unit: Record<string, never>;
}

/** Both formats' compiled schemas: `storage` v1 as an endpoint has it, `media-storage` v1 beside it. */
export class StorageWireSchemas {
  readonly mediaStorage: InterfaceSchema<MediaStorageProviderSide, MediaStorageRequirerSide>;

  constructor(
    readonly storage: InterfaceSchema<StorageSides['provider'], StorageSides['requirer']>,
    registry: SchemaRegistry = defaultSchemaRegistry(),
  ) {
    this.mediaStorage = registry.get<MediaStorageProviderSide, MediaStorageRequirerSide>(
      MEDIA_STORAGE_INTERFACE,
      1,
    );
  }
}

/** Which format a bag speaks: undefined while it is empty (nothing published yet). */
export function wireFormatOf(raw: Readonly<Record<string, string>>): StorageWireFormat | undefined {
  const keys = Object.keys(raw);
  if (keys.length === 0) return undefined;
  return keys.every((key) => key === 'config') ? 'charmarr' : 'charmkit';
}

/**
 * The provider app data that publishes `offer` in both formats: charmkit's keys, and charmarr's
 * object under `config` for unmodified charmarr requirers (the inverse of reading either).
 */
export function fromStorageOffer(offer: Omit<StorageOffer, 'wireFormat'>): StorageProviderAppData {
  const data: StorageProviderAppData = {
    'pvc-name': offer.claimName,
    namespace: offer.namespace,
    'mount-path': offer.mountPath,
  };
  if (offer.puid !== undefined) data.puid = offer.puid;
  if (offer.pgid !== undefined) data.pgid = offer.pgid;
  if (offer.accessMode !== undefined) data['access-mode'] = offer.accessMode;
  if (offer.storageClass !== undefined) data['storage-class'] = offer.storageClass;
  if (offer.size !== undefined) data.size = offer.size;
  data.config = charmarrProviderConfig(offer);
  return data;
}

/** The requirer app data that publishes `instanceName` in both formats. */
export function requirerAppData(instanceName: string): StorageRequirerAppData {
  return { 'instance-name': instanceName, config: { instance_name: instanceName } };
}

/** charmarr's object for `offer`: what an unmodified charmarr requirer reads. */
function charmarrProviderConfig(
  offer: Pick<StorageOffer, 'claimName' | 'mountPath' | 'puid' | 'pgid'>,
): CharmarrProviderConfig {
  const config: CharmarrProviderConfig = { pvc_name: offer.claimName, mount_path: offer.mountPath };
  if (offer.puid !== undefined) config.puid = offer.puid;
  if (offer.pgid !== undefined) config.pgid = offer.pgid;
  return config;
}

/**
 * Validates a provider's raw app bag in whichever format it speaks and returns the offer. A claim
 * must be in `namespace` (charmarr bags name none: the claim is in the requirer's own namespace).
 * Throws `InvalidStorageDataError` naming every bad field.
 */
export function parseProviderBag(
  raw: Readonly<Record<string, string>>,
  source: string,
  namespace: string,
  schemas: StorageWireSchemas,
): StorageOffer {
  if (wireFormatOf(raw) === 'charmarr') {
    const { config } = decode(
      () => schemas.mediaStorage.provider.app.decode(raw, source),
      source,
      raw,
    );
    const mountPath = config.mount_path ?? CHARMARR_DEFAULT_MOUNT_PATH;
    const problem = mountPathProblem(mountPath);
    if (problem) {
      throw new InvalidStorageDataError(source, [{ field: 'config.mount_path', reason: problem }]);
    }
    return {
      claimName: config.pvc_name,
      namespace,
      mountPath,
      puid: config.puid ?? CHARMARR_DEFAULT_ID,
      pgid: config.pgid ?? CHARMARR_DEFAULT_ID,
      accessMode: undefined,
      storageClass: undefined,
      size: undefined,
      wireFormat: 'charmarr',
    };
  }
  const data = decode(() => schemas.storage.provider.app.decode(raw, source), source, raw);
  const issues: StorageDataIssue[] = [];
  let mirror: CharmarrProviderConfig | undefined;
  if (raw.config !== undefined) {
    try {
      mirror = decode(
        () => schemas.mediaStorage.provider.app.decode({ config: raw.config ?? '' }, source),
        source,
        raw,
      ).config;
    } catch (error) {
      if (!(error instanceof InvalidStorageDataError)) throw error;
      issues.push(...error.issues);
    }
  }
  let offer: StorageOffer | undefined;
  try {
    offer = toStorageOffer(data, source, namespace);
  } catch (error) {
    if (!(error instanceof InvalidStorageDataError)) throw error;
    issues.push(...error.issues);
  }
  if (offer && mirror) issues.push(...disagreement(charmarrProviderConfig(offer), mirror));
  if (issues.length > 0 || !offer) throw new InvalidStorageDataError(source, issues);
  return offer;
}

/** The instance name a requirer published, in whichever format; undefined while it has none. */
export function parseRequirerBag(
  raw: Readonly<Record<string, string>>,
  source: string,
  schemas: StorageWireSchemas,
): { readonly instanceName: string; readonly wireFormat: StorageWireFormat } | undefined {
  const format = wireFormatOf(raw);
  if (format === undefined) return undefined;
  if (format === 'charmarr') {
    const { config } = decode(
      () => schemas.mediaStorage.requirer.app.decode(raw, source),
      source,
      raw,
    );
    return { instanceName: config.instance_name, wireFormat: format };
  }
  const data = decode(() => schemas.storage.requirer.app.decode(raw, source), source, raw);
  if (raw.config !== undefined) {
    const { config } = decode(
      () => schemas.mediaStorage.requirer.app.decode({ config: raw.config ?? '' }, source),
      source,
      raw,
    );
    if (config.instance_name !== data['instance-name']) {
      throw new InvalidStorageDataError(source, [
        {
          field: 'config.instance_name',
          reason: 'must equal instance-name: the two forms of one bag must name the same instance',
        },
      ]);
    }
  }
  return { instanceName: data['instance-name'], wireFormat: format };
}

/** The fields where the `config` copy says something else than the keys beside it. */
function disagreement(
  expected: CharmarrProviderConfig,
  mirror: CharmarrProviderConfig,
): StorageDataIssue[] {
  const fields = (['pvc_name', 'mount_path', 'puid', 'pgid'] as const).filter(
    (field) => !jsonEqual(expected[field], mirror[field]),
  );
  return fields.map((field) => ({
    field: `config.${field}`,
    reason:
      `must match ${KEBAB[field]}: the charmarr form of this bag describes another claim ` +
      'than its charmkit form; the provider must publish one offer',
  }));
}

const KEBAB = { pvc_name: 'pvc-name', mount_path: 'mount-path', puid: 'puid', pgid: 'pgid' };

/** Runs a schema decode, turning its issues into words a user can act on. */
function decode<T>(run: () => T, source: string, raw: Readonly<Record<string, unknown>>): T {
  try {
    return run();
  } catch (error) {
    if (!(error instanceof RelationDataValidationError)) throw error;
    throw new InvalidStorageDataError(
      source,
      error.issues.map((issue) => humanIssue(issue, raw)),
    );
  }
}

const OBJECT_NAME =
  'must be a Kubernetes object name: at most 253 lowercase letters, digits, "-" and ".", ' +
  'starting and ending with a letter or digit';
const LABEL = (what: string) =>
  `must be ${what}: at most 63 lowercase letters, digits and "-", starting and ending with a ` +
  'letter or digit';
const ID = 'must be a whole number from 0 to 2147483647 (a JSON number, not text)';

/** What a field must be, in words; keyed by the field's last name in either format. */
const RULES: Readonly<Record<string, (value: unknown) => string>> = {
  'pvc-name': () => OBJECT_NAME,
  pvc_name: () => OBJECT_NAME,
  'storage-class': () => OBJECT_NAME,
  namespace: () => LABEL('a Kubernetes namespace name'),
  'instance-name': () => LABEL('an application name'),
  instance_name: () => LABEL('an application name'),
  'mount-path': mountPathRule,
  mount_path: mountPathRule,
  puid: () => ID,
  pgid: () => ID,
  size: () => 'must be a Kubernetes quantity such as 100Gi or 500Mi',
  config: configRule,
};

function configRule(value: unknown): string {
  try {
    if (typeof value === 'string') JSON.parse(value);
    return "must be a JSON object (charmarr's media-storage form)";
  } catch {
    return "must be valid JSON holding an object (charmarr's media-storage form)";
  }
}

function mountPathRule(value: unknown): string {
  return (typeof value === 'string' && mountPathProblem(value)) || 'must be an absolute path';
}

/**
 * Replaces a schema's wording (`must match pattern "^…$"`, `must be integer`) with the field's
 * rule; "is required" and "is not a field" already say what to do and are kept.
 */
function humanIssue(issue: FieldIssue, raw: Readonly<Record<string, unknown>>): StorageDataIssue {
  if (/^is (required|not a field)/.test(issue.reason)) {
    return issue.reason.startsWith('is not')
      ? { field: issue.field, reason: 'is not a field of this interface; remove it' }
      : issue;
  }
  const name = issue.field.split('.').pop() ?? issue.field;
  const rule = RULES[name];
  return rule ? { field: issue.field, reason: rule(valueAt(raw, issue.field)) } : issue;
}

/** The value at `config.mount_path`-style paths of a raw bag (JSON inside `config` followed). */
function valueAt(raw: Readonly<Record<string, unknown>>, field: string): unknown {
  const [head, ...rest] = field.split('.');
  let value: unknown = raw[head ?? ''];
  if (rest.length === 0) return value;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  for (const key of rest) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
