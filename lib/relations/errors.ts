/**
 * The relation error hierarchy.
 *
 * Relation data comes from another application and is untrusted, so every way it can be wrong has
 * its own class: a controller catches `RelationDataValidationError` to go Blocked with a message
 * naming the bad fields, while a `HookToolError` is an infrastructure failure worth retrying.
 * Every class sets `name`, so logs and `instanceof` agree after bundling, and states its `remedy`
 * (see lib/core/errors.ts): bad data needs a person, a failing hook tool may pass on a retry.
 */
import { CharmkitError, type Remedy } from '../core/errors.js';

/** Base class of every error raised by `charmkit/relations`; catch it to handle them all. */
export class RelationError extends CharmkitError {
  override readonly name: string = 'RelationError';
  readonly remedy: Remedy = 'fix';
}

/** Base class of errors about the content of, or access to, relation data bags. */
export class RelationDataError extends RelationError {
  override readonly name: string = 'RelationDataError';
}

/**
 * Raised by a data bag when the caller may not touch it: writing a remote bag, or reading or
 * writing the local application bag from a unit that is not the leader. Juju would refuse the same
 * call; raising first gives a message that says why instead of a hook-tool stack trace.
 */
export class RelationDataAccessError extends RelationDataError {
  override readonly name: string = 'RelationDataAccessError';
  override readonly remedy: Remedy = 'retry';
}

/**
 * Raised when a key or value is not a string (or a key is empty), or a value cannot be encoded.
 * Juju stores strings only; converting silently would hide a bug at the caller.
 */
export class RelationDataTypeError extends RelationDataError {
  override readonly name: string = 'RelationDataTypeError';
}

/** One field that failed decoding or validation, and why, in words a user can act on. */
export interface FieldIssue {
  /** The bag key, or a dotted path inside a JSON-encoded field (`options.size`). */
  readonly field: string;
  /** Why the field is wrong, e.g. `must match pattern "^/"`. */
  readonly reason: string;
}

/** Renders issues as `a: reason ; b: reason`, the form used in error and status messages. */
export function formatFieldIssues(issues: readonly FieldIssue[]): string {
  return issues.map((issue) => `${issue.field}: ${issue.reason}`).join(' ; ');
}

/**
 * Raised by a field codec when one string value cannot be decoded (`"abc"` for an integer field).
 * `decodeFields` and the schema layer collect these into one `RelationDataValidationError`, so a
 * user sees every bad field at once instead of fixing them one hook at a time.
 */
export class RelationDataDecodeError extends RelationDataError {
  override readonly name: string = 'RelationDataDecodeError';

  constructor(
    /** The bag key that failed. */
    readonly field: string,
    /** Why, e.g. `must be an integer-as-string`. */
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/**
 * Raised when a bag does not satisfy its interface: a remote bag that fails validation when read,
 * or local data that fails validation before it is written (so invalid data never leaves the
 * unit). The message names every failing field; `issues` carries them for programmatic use.
 */
export class RelationDataValidationError extends RelationDataError {
  override readonly name: string = 'RelationDataValidationError';

  constructor(
    /** Which bag was checked, e.g. `remote app bag of "radarr" on storage:3`. */
    readonly source: string,
    /** Every failing field, in a stable order. */
    readonly issues: readonly FieldIssue[],
  ) {
    super(`Invalid relation data in ${source}: ${formatFieldIssues(issues)}`);
  }

  /** The names of the failing fields, deduplicated, for callers that only need the list. */
  get fields(): string[] {
    return [...new Set(this.issues.map((issue) => issue.field))];
  }
}

/**
 * Raised when an interface schema cannot be found, parsed or compiled, or breaks a charmkit
 * convention (wrong `$id`, a field whose string encoding is ambiguous). This is a packaging or
 * authoring bug, never bad relation data, so it is not a `RelationDataError`.
 */
export class InterfaceSchemaError extends RelationError {
  override readonly name: string = 'InterfaceSchemaError';
}

/**
 * Raised when a Juju hook tool fails or prints something unexpected. It carries the exact argv,
 * exit code and stderr so the log shows what the unit agent refused and why.
 */
export class HookToolError extends RelationError {
  override readonly name: string = 'HookToolError';
  override readonly remedy: Remedy = 'retry';

  constructor(
    message: string,
    /** The command and its arguments, exactly as executed (no shell was involved). */
    readonly argv: readonly string[],
    /** The exit code, or `null` if the tool never ran (not on PATH) or was killed. */
    readonly exitCode: number | null,
    /** What the tool wrote to stderr, trimmed. */
    readonly stderr: string,
  ) {
    super(message);
  }
}

/**
 * Raised when the process is not running in the hook context it needs: no unit name in the
 * environment, no hook name to dispatch, or a relation hook without a relation id.
 */
export class HookContextError extends RelationError {
  override readonly name: string = 'HookContextError';
}

/**
 * Raised by a backend asked about a relation id it does not know, or that is gone. Under Juju the
 * agent says so as "relation not found", or as "permission denied" for a relation it has forgotten
 * (a cross-model relation after `remove-saas --force`, for one); the hook-tool failure is the
 * `cause`. `Relation.load` turns it into an inactive relation rather than a failed hook.
 */
export class RelationNotFoundError extends RelationError {
  override readonly name: string = 'RelationNotFoundError';
  override readonly remedy: Remedy = 'retry';

  constructor(
    /** The relation id that was asked for. */
    readonly relationId: number,
    detail = '',
    options?: ErrorOptions,
  ) {
    super(`Relation ${relationId} not found${detail ? `: ${detail}` : ''}`, options);
  }
}

/**
 * Raised when a unit that is not the leader does what only the leader may: set the application's
 * status. Juju would refuse it too; raising first says why. Leadership can move to this unit
 * later, so a retry may succeed; code that means to act only as leader checks `isLeader()` first.
 */
export class NotLeaderError extends RelationError {
  override readonly name: string = 'NotLeaderError';
  override readonly remedy: Remedy = 'retry';
}
