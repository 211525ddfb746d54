/**
 * The backend that runs inside a Juju hook and talks to the unit agent through hook tools.
 *
 * Calls (argv exactly as executed; `-r` takes the numeric relation id):
 *   relation-ids <endpoint> --format=json
 *   relation-list -r <id> --format=json
 *   relation-list -r <id> --app --format=json          (remote app; Juju >= 2.8)
 *   relation-get -r <id> --format=json - <unit>
 *   relation-get -r <id> --app --format=json - <app>
 *   relation-set -r <id> [--app] --file -              (JSON map on stdin; JSON is YAML)
 *   is-leader --format=json
 *   status-set <active|blocked|maintenance|waiting> <message>
 *   application-version-set <version>
 *
 * Writing through `--file -` keeps values out of argv, so a long or multi-line value cannot hit
 * the command-line length limit or be mistaken for a flag.
 */
import {
  appNameOf,
  type BagRef,
  type BagScope,
  type HookContext,
  type RelationBackend,
} from './backend.js';
import { HookToolError, RelationError } from './errors.js';
import { hookContextFromEnv, parseRelationId, type HookEnv } from './hook-context.js';
import { parseToolJson, runHookTool } from './hook-tool.js';
import type { Status } from './status.js';

/** Options for `JujuBackend`; the defaults are right inside a hook. */
export interface JujuBackendOptions {
  /** The hook environment (context variables and the `PATH` hook tools are found on). */
  readonly env?: HookEnv;
  /** Kill a hook tool after this many milliseconds; 0 (default) waits as long as it takes. */
  readonly toolTimeoutMs?: number;
}

/** Juju lets a charm set every workload status except `error`, which belongs to the agent. */
const JUJU_STATUS_NAMES = new Set(['active', 'blocked', 'maintenance', 'waiting']);

/**
 * `RelationBackend` over Juju hook tools. Create one per hook run: it caches the leadership
 * answer for its lifetime, which Juju guarantees for at least 30 seconds after `is-leader` says
 * true, far longer than a hook.
 */
export class JujuBackend implements RelationBackend {
  readonly context: HookContext;
  private readonly env: HookEnv;
  private readonly timeoutMs: number;
  private leader: Promise<boolean> | undefined;

  constructor(options: JujuBackendOptions = {}) {
    this.env = options.env ?? process.env;
    this.timeoutMs = options.toolTimeoutMs ?? 0;
    this.context = hookContextFromEnv(this.env);
  }

  async relationIds(endpoint: string): Promise<number[]> {
    const out = await this.json('relation-ids', [endpoint, '--format=json']);
    return this.stringList(out, ['relation-ids', endpoint]).map(
      (value) => parseRelationId(value).id,
    );
  }

  async remoteUnits(relationId: number): Promise<string[]> {
    const args = ['-r', String(relationId), '--format=json'];
    return this.stringList(await this.json('relation-list', args), ['relation-list', ...args]);
  }

  /**
   * Asks `relation-list --app`; agents older than 2.8 lack the flag, so on failure it falls back
   * to the units' names, then to `JUJU_REMOTE_APP` when the hook is about this relation.
   */
  async remoteApp(relationId: number): Promise<string> {
    let failure: HookToolError;
    const args = ['-r', String(relationId), '--app', '--format=json'];
    try {
      const out = await this.json('relation-list', args);
      if (typeof out === 'string' && out.length > 0) return out;
      failure = this.unexpected(['relation-list', ...args], 'an application name');
    } catch (error) {
      if (!(error instanceof HookToolError)) throw error;
      failure = error;
    }
    const units = await this.remoteUnits(relationId);
    const first = units[0];
    if (first !== undefined) return appNameOf(first);
    const hookRelation = this.context.relation;
    if (hookRelation?.id === relationId && hookRelation.remoteApp !== undefined) {
      return hookRelation.remoteApp;
    }
    throw new RelationError(
      `Cannot tell which application is on the other side of relation ${relationId}: ` +
        `relation-list --app failed (${failure.message}) and the relation has no units`,
    );
  }

  async getBag(relationId: number, bag: BagRef): Promise<Record<string, string>> {
    const args = ['-r', String(relationId)];
    if (bag.scope === 'app') args.push('--app');
    args.push('--format=json', '-', bag.name);
    const out = await this.json('relation-get', args);
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
    await this.run('relation-set', args, JSON.stringify(changes));
  }

  isLeader(): Promise<boolean> {
    if (this.leader === undefined) {
      const answer = this.json('is-leader', ['--format=json']).then((out) => {
        if (typeof out !== 'boolean') {
          throw this.unexpected(['is-leader', '--format=json'], 'true or false');
        }
        return out;
      });
      this.leader = answer;
      // A failed answer is not cached: the next call asks again.
      answer.catch(() => {
        if (this.leader === answer) this.leader = undefined;
      });
    }
    return this.leader;
  }

  /**
   * Sets the unit's workload status. charmkit's `error` is sent as `blocked` with an `error: `
   * prefix: only the agent may set `error`, and blocked is what asks a human to look.
   */
  async setStatus(status: Status): Promise<void> {
    const [name, message] = JUJU_STATUS_NAMES.has(status.name)
      ? [status.name, status.message]
      : ['blocked', `error: ${status.message}`];
    await this.run('status-set', [name, message]);
  }

  async setApplicationVersion(version: string): Promise<void> {
    await this.run('application-version-set', [version]);
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
