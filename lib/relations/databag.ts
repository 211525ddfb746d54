/**
 * Data bags: the key/value stores that relation data lives in, with Juju's rules enforced.
 *
 * The rules are strict on purpose, because breaking them in Juju fails late and obscurely:
 * keys and values are strings (Unicode text: Juju stores UTF-8); writing `''` deletes a key; only
 * the leader may read or write its own application bag; remote bags are read-only. A bag reads
 * its contents once and caches them (a hook is a snapshot), and `update` writes only the keys
 * that actually change, in one call, so re-publishing the same data is free.
 */
import type { BagRef, RelationBackend } from './backend.js';
import { RelationDataAccessError, RelationDataTypeError, RelationNotFoundError } from './errors.js';
import { isUnicodeText } from './settings-yaml.js';

/** A bag's contents: string keys to string values. */
export type BagContents = Readonly<Record<string, string>>;

/** A bag that can be read: every bag. */
export interface ReadableDataBag {
  /** Says which bag this is, for error messages: `local app bag of "radarr" on storage:3`. */
  readonly description: string;
  /** Whether this unit may write the bag (local unit bag always, local app bag when leader). */
  readonly writable: boolean;
  /** All keys and values. Throws `RelationDataAccessError` for the local app bag off-leader. */
  read(): Promise<BagContents>;
  /** One value, or undefined when the key is absent. */
  get(key: string): Promise<string | undefined>;
}

/** A bag this unit may write: its own unit bag, and its app bag when it is the leader. */
export interface WritableDataBag extends ReadableDataBag {
  /**
   * Applies several changes in one backend write; `''` deletes. Resolves to whether anything was
   * written (false when every value was already as asked).
   */
  update(changes: Readonly<Record<string, string>>): Promise<boolean>;
  /** Sets one key; `''` deletes it. */
  set(key: string, value: string): Promise<boolean>;
  /** Deletes one key (same as setting it to `''`). */
  delete(key: string): Promise<boolean>;
}

/** Where a bag sits relative to this unit, which decides what may be done with it. */
export type BagRole = 'local-app' | 'local-unit' | 'remote-app' | 'remote-unit';

/**
 * The one bag implementation. Remote bags reject writes; the local app bag asks the backend for
 * leadership before every first access (the answer is the backend's to cache).
 */
export class DataBag implements WritableDataBag {
  readonly description: string;
  private cache: Record<string, string> | undefined;

  constructor(
    private readonly backend: RelationBackend,
    /** The relation this bag belongs to. */
    readonly relationId: number,
    /** The owner of the bag (an app or a unit). */
    readonly ref: BagRef,
    /** Its role relative to this unit. */
    readonly role: BagRole,
    relationLabel: string,
  ) {
    const side = role.startsWith('local') ? 'local' : 'remote';
    this.description = `${side} ${ref.scope} bag of "${ref.name}" on ${relationLabel}`;
  }

  get writable(): boolean {
    return this.role === 'local-unit' || this.role === 'local-app';
  }

  async read(): Promise<BagContents> {
    await this.checkLeaderIfAppBag('read');
    if (this.cache === undefined) {
      this.cache = await this.backend.getBag(this.relationId, this.ref).then(
        (contents) => ({ ...contents }),
        (error: unknown) => {
          // A relation the agent no longer knows has no data left to read (as in ops).
          if (error instanceof RelationNotFoundError) return {};
          throw error;
        },
      );
    }
    return { ...this.cache };
  }

  async get(key: string): Promise<string | undefined> {
    const contents = await this.read();
    return Object.hasOwn(contents, key) ? contents[key] : undefined;
  }

  async update(changes: Readonly<Record<string, string>>): Promise<boolean> {
    if (!this.writable) {
      throw new RelationDataAccessError(
        `Cannot write the ${this.description}: remote bags are read-only`,
      );
    }
    checkChanges(changes, this.description);
    await this.checkLeaderIfAppBag('write');
    const current = await this.read();
    const effective: Record<string, string> = {};
    for (const [key, value] of Object.entries(changes)) {
      const present = Object.hasOwn(current, key);
      if (value === '' ? present : current[key] !== value) effective[key] = value;
    }
    if (Object.keys(effective).length === 0) return false;
    await this.backend.setBag(this.relationId, this.ref.scope, effective);
    const next = { ...current };
    for (const [key, value] of Object.entries(effective)) {
      if (value === '') delete next[key];
      else next[key] = value;
    }
    this.cache = next;
    return true;
  }

  set(key: string, value: string): Promise<boolean> {
    return this.update({ [key]: value });
  }

  delete(key: string): Promise<boolean> {
    return this.update({ [key]: '' });
  }

  /** Drops the cached contents so the next read asks the backend again. */
  invalidate(): void {
    this.cache = undefined;
  }

  private async checkLeaderIfAppBag(action: 'read' | 'write'): Promise<void> {
    if (this.role !== 'local-app') return;
    if (await this.backend.isLeader()) return;
    throw new RelationDataAccessError(
      `Cannot ${action} the ${this.description}: only the leader unit may ${action} its own ` +
        'application bag (check isLeader() first, or use the unit bag)',
    );
  }
}

/** Rejects non-string keys and values up front, before any write, naming each offender. */
function checkChanges(changes: Readonly<Record<string, string>>, where: string): void {
  if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) {
    throw new RelationDataTypeError(`Changes for the ${where} must be an object of strings`);
  }
  const problems: string[] = [];
  for (const [key, value] of Object.entries(changes as Record<string, unknown>)) {
    if (key.length === 0) problems.push('keys must not be empty');
    if (typeof value !== 'string') {
      problems.push(
        `${key}: values must be strings, got ${value === null ? 'null' : typeof value}`,
      );
    } else if (!isUnicodeText(key) || !isUnicodeText(value)) {
      problems.push('keys and values must be Unicode text (a lone UTF-16 surrogate is not)');
    }
  }
  if (problems.length > 0) {
    throw new RelationDataTypeError(
      `Cannot write the ${where}: ${problems.join(' ; ')} (Juju stores strings only; encode ` +
        'structured values with `codecs`)',
    );
  }
}
