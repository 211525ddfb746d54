/**
 * The backend that runs inside a Juju hook and talks to the unit agent through hook tools.
 *
 * Juju parses each tool's arguments GNU-style: flags may follow positional arguments, and only
 * `--` ends them. So every call here puts its flags first, then `--`, then its positional
 * arguments; a status message, version or log line that starts with `-` (`-r 7 failed`,
 * `--application`, `-dirty`) stays text instead of becoming a flag. The calls, their argv and how
 * their output is read are tabled in docs/relations.md.
 *
 * Relation data is written through `relation-set --file -` as YAML (see settings-yaml.ts), which
 * keeps values out of argv (no length limit, no flag confusion) and round-trips every string.
 *
 * A relation can be gone while a hook still names it: the agent answers "relation not found", or
 * "permission denied" for one it has forgotten (a cross-model relation removed with `--force`).
 * Those answers become `RelationNotFoundError`, which `Relation.load` turns into an inactive
 * relation with empty bags, as the Python framework (ops) does, instead of a hook that fails on
 * every retry.
 */
import { systemClock, type Clock } from '../core/clock.js';
import {
  appNameOf,
  brokenRelationId,
  type BagRef,
  type BagScope,
  type HookContext,
  type LogLevel,
  type RelationBackend,
} from './backend.js';
import { HookToolError, NotLeaderError, RelationError, RelationNotFoundError } from './errors.js';
import { hookContextFromEnv, parseRelationId, type HookEnv } from './hook-context.js';
import { jujuLogArgs } from './juju-log.js';
import { encodeSettingsYaml } from './settings-yaml.js';
import { parseToolJson, runHookTool } from './hook-tool.js';
import type { Status } from './status.js';

/** Options for `JujuBackend`; the defaults are right inside a hook. */
export interface JujuBackendOptions {
  /** The hook environment (context variables and the `PATH` hook tools are found on). */
  readonly env?: HookEnv;
  /** Kill a hook tool after this many milliseconds; 0 (default) waits as long as it takes. */
  readonly toolTimeoutMs?: number;
  /**
   * The clock leadership answers are timed by (default the system clock): an answer is reused
   * for 30 seconds of it. Tests pass their own to step past that without waiting.
   */
  readonly clock?: Clock;
}

/** Juju lets a charm set every workload status except `error`, which belongs to the agent. */
const JUJU_STATUS_NAMES = new Set(['active', 'blocked', 'maintenance', 'waiting']);

/**
 * How long an `is-leader` answer is reused: Juju guarantees a `true` for 30 seconds from the call,
 * and the clock is read before the call, so a reused answer never outlives that guarantee (as in
 * the Python framework, ops, a `false` is reused as long).
 */
const LEADERSHIP_LEASE_MS = 30_000;

/** The agent's words for "this relation is gone"; see the module comment. */
const RELATION_NOT_FOUND = /\brelation (?:\d+ )?not found\b/i;
const PERMISSION_DENIED = /\bpermission denied\b/i;
/** What an agent older than Juju 2.8 says to `relation-list --app`. */
const NO_APP_FLAG = /flag provided but not defined: --app/;

/**
 * `RelationBackend` over Juju hook tools. One backend serves one hook run; it reuses an
 * `is-leader` answer for 30 seconds (the lease Juju guarantees), then asks again.
 */
export class JujuBackend implements RelationBackend {
  readonly context: HookContext;
  private readonly env: HookEnv;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private leader: { readonly askedAt: number; readonly answer: Promise<boolean> } | undefined;
  /** The last leadership answer received, for telling a follower's refusal from a gone relation. */
  private lastLeaderAnswer: boolean | undefined;

  constructor(options: JujuBackendOptions = {}) {
    this.env = options.env ?? process.env;
    this.timeoutMs = options.toolTimeoutMs ?? 0;
    this.clock = options.clock ?? systemClock;
    this.context = hookContextFromEnv(this.env);
  }

  /** Leaves out the relation whose `-relation-broken` hook is running, as newer agents do. */
  async relationIds(endpoint: string): Promise<number[]> {
    const args = ['--format=json', '--', endpoint];
    const ids = this.stringList(await this.json('relation-ids', args), [
      'relation-ids',
      ...args,
    ]).map((value) => parseRelationId(value).id);
    const broken = brokenRelationId(this.context, endpoint);
    return broken === undefined ? ids : ids.filter((id) => id !== broken);
  }

  async remoteUnits(relationId: number): Promise<string[]> {
    const args = ['-r', String(relationId), '--format=json'];
    const out = await this.relationJson('relation-list', args, relationId);
    return this.stringList(out, ['relation-list', ...args]);
  }

  /**
   * The application on the other side. In a hook about this relation Juju names it in
   * `JUJU_REMOTE_APP` (even in `-broken`, when the relation has no units left), so no tool runs.
   * Otherwise `relation-list --app`; an agent older than 2.8 lacks the flag, and then the first
   * remote unit's name tells.
   */
  async remoteApp(relationId: number): Promise<string> {
    const hookRelation = this.context.relation;
    if (hookRelation?.id === relationId && hookRelation.remoteApp !== undefined) {
      return hookRelation.remoteApp;
    }
    const args = ['-r', String(relationId), '--app', '--format=json'];
    let why: string;
    try {
      const out = await this.relationJson('relation-list', args, relationId);
      if (typeof out === 'string' && out.length > 0) return out;
      why = `${['relation-list', ...args].join(' ')} did not print an application name`;
    } catch (error) {
      if (!(error instanceof HookToolError) || !NO_APP_FLAG.test(error.stderr)) throw error;
      why = error.message;
    }
    const first = (await this.remoteUnits(relationId))[0];
    if (first !== undefined) return appNameOf(first);
    throw new RelationError(
      `Cannot tell which application is on the other side of relation ${relationId}: ` +
        `relation-list --app failed (${why}) and the relation has no units`,
    );
  }

  async getBag(relationId: number, bag: BagRef): Promise<Record<string, string>> {
    const args = ['-r', String(relationId)];
    if (bag.scope === 'app') args.push('--app');
    args.push('--format=json', '--', '-', bag.name);
    // A follower reading its own app bag is refused with the same words as a gone relation.
    const followerOwnApp =
      bag.scope === 'app' && bag.name === this.context.appName && this.lastLeaderAnswer !== true;
    const out = await this.relationJson('relation-get', args, relationId, followerOwnApp);
    if (out === null) return {};
    if (typeof out !== 'object' || Array.isArray(out)) {
      throw this.unexpected(['relation-get', ...args], 'a JSON object');
    }
    const bagContents: Record<string, string> = {};
    for (const [key, value] of Object.entries(out as Record<string, unknown>)) {
      // Juju stores strings; anything else means the output format is not what we think.
      if (typeof value !== 'string')
        throw this.unexpected(['relation-get', ...args], 'string values');
      bagContents[key] = value;
    }
    return bagContents;
  }

  async setBag(
    relationId: number,
    scope: BagScope,
    changes: Readonly<Record<string, string>>,
  ): Promise<void> {
    const args = ['-r', String(relationId)];
    if (scope === 'app') args.push('--app');
    args.push('--file', '-');
    const yaml = encodeSettingsYaml(changes);
    await this.guardRelation(this.run('relation-set', args, yaml), relationId, false);
  }

  isLeader(): Promise<boolean> {
    const now = this.clock.now();
    // A clock that went backwards also ends the reuse: asking again is always safe.
    const elapsed = this.leader === undefined ? Infinity : now - this.leader.askedAt;
    if (this.leader === undefined || elapsed < 0 || elapsed > LEADERSHIP_LEASE_MS) {
      const answer = this.json('is-leader', ['--format=json']).then((out) => {
        if (typeof out !== 'boolean') {
          throw this.unexpected(['is-leader', '--format=json'], 'true or false');
        }
        this.lastLeaderAnswer = out;
        return out;
      });
      const entry = { askedAt: now, answer };
      this.leader = entry;
      // A failed answer is not kept: the next call asks again.
      answer.catch(() => {
        if (this.leader === entry) this.leader = undefined;
      });
    }
    return this.leader.answer;
  }

  /**
   * Sets the unit's workload status. charmkit's `error` is sent as `blocked` with an `error: `
   * prefix: only the agent may set `error`, and blocked is what asks a human to look.
   */
  async setStatus(status: Status): Promise<void> {
    await this.run('status-set', ['--', ...jujuStatus(status)]);
  }

  /** Sets the application's status (leader only; `NotLeaderError` otherwise, before any call). */
  async setApplicationStatus(status: Status): Promise<void> {
    if (!(await this.isLeader())) {
      throw new NotLeaderError(
        `${this.context.unitName} is not the leader of ${this.context.appName}, so it cannot set ` +
          'the application status (check isLeader() first, or set the unit status)',
      );
    }
    await this.run('status-set', ['--application', '--', ...jujuStatus(status)]);
  }

  async setApplicationVersion(version: string): Promise<void> {
    await this.run('application-version-set', ['--', version]);
  }

  /** Writes to `juju debug-log` at `level`; a message over 128 KiB goes in several calls. */
  async log(level: LogLevel, message: string): Promise<void> {
    for (const args of jujuLogArgs(level, message)) await this.run('juju-log', args);
  }

  private async relationJson(
    tool: string,
    args: string[],
    relationId: number,
    followerOwnApp = false,
  ): Promise<unknown> {
    const out = await this.guardRelation(this.run(tool, args), relationId, followerOwnApp);
    return parseToolJson(out, [tool, ...args]);
  }

  /** Turns the agent's "this relation is gone" answers into `RelationNotFoundError`. */
  private async guardRelation<T>(
    call: Promise<T>,
    relationId: number,
    followerOwnApp: boolean,
  ): Promise<T> {
    try {
      return await call;
    } catch (error) {
      if (!(error instanceof HookToolError)) throw error;
      const gone =
        RELATION_NOT_FOUND.test(error.stderr) ||
        (!followerOwnApp && PERMISSION_DENIED.test(error.stderr));
      if (!gone) throw error;
      throw new RelationNotFoundError(relationId, `the Juju agent says: ${error.stderr}`, {
        cause: error,
      });
    }
  }

  private run(tool: string, args: string[], stdin?: string): Promise<string> {
    return runHookTool(tool, args, { env: this.env, stdin, timeoutMs: this.timeoutMs });
  }

  private async json(tool: string, args: string[]): Promise<unknown> {
    return parseToolJson(await this.run(tool, args), [tool, ...args]);
  }

  private stringList(out: unknown, argv: string[]): string[] {
    if (out === null) return [];
    if (!Array.isArray(out) || !out.every((item) => typeof item === 'string')) {
      throw this.unexpected(argv, 'a JSON list of strings');
    }
    return out as string[];
  }

  private unexpected(argv: string[], expected: string): HookToolError {
    return new HookToolError(`${argv.join(' ')} did not print ${expected}`, argv, 0, '');
  }
}

/** `[status, message]` as `status-set` takes them: `error` goes as blocked "error: ...". */
function jujuStatus(status: Status): [string, string] {
  return JUJU_STATUS_NAMES.has(status.name)
    ? [status.name, status.message]
    : ['blocked', `error: ${status.message}`];
}
