/**
 * The fake unit agent behind the fake hook tools: the state a Juju 3.6 agent holds for one unit in
 * one hook, and what each hook tool does with its arguments. Written from the upstream commands
 * (worker/uniter/runner/jujuc in juju/juju, juju/cmd, juju/gnuflag) in our own code:
 *
 * - each tool's flags, positional-argument counts and messages; usage errors exit 2, failures to
 *   run exit 1, both with `ERROR <message>` on stderr;
 * - `-r` takes `N` or `endpoint:N`, and a relation the agent does not know is
 *   `invalid value "N" for flag -r: relation not found`;
 * - a relation Juju has forgotten (cross-model, removed with `--force`) is still listed, and every
 *   call about it is refused with `permission denied`;
 * - in a relation's own `-relation-broken` hook it has no units, newer agents leave it out of
 *   `relation-ids` (older ones list it), and writing to it is refused;
 * - a follower reading its own application bag is refused with `permission denied`, writing it
 *   with `cannot write relation settings`, and setting the application status with
 *   `this unit is not the leader`;
 * - `relation-set --file` decodes YAML 1.1 into a string map (see yaml11.ts); `''` deletes.
 *
 * It is a pure function of (tool, argv, stdin, state), so tests can also call it in-process.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  checkEmpty,
  goQuote,
  HelpRequested,
  parseFlags,
  UsageError,
  type FlagSpecs,
  type ParsedArgs,
} from './gnuflag.js';
import { decodeSettingsYaml, NotModelledError, YamlError } from './yaml11.js';

/** One relation as the agent sees it. */
export interface FakeRelation {
  readonly id: number;
  /** This unit's endpoint. */
  readonly endpoint: string;
  readonly remoteApp: string;
  /** Remote units in the relation. */
  units: string[];
  /** Bags by owner: an application or unit name, of either side. */
  bags: Record<string, Record<string, string>>;
  /** `broken` while its `-relation-broken` hook runs. */
  life: 'alive' | 'broken';
  /**
   * The agent no longer knows it: `not-found` (not in the hook context at all) or
   * `permission-denied` (listed, but Juju refuses every call about it).
   */
  gone?: 'not-found' | 'permission-denied';
}

/** What differs between agent versions, where it matters to the calls under test. */
export interface FakeAgentFeatures {
  /** `relation-list --app` exists (Juju 2.8 and later). */
  readonly relationListApp: boolean;
  /** `relation-ids` still lists the relation whose `-broken` hook runs (before juju/juju#17464). */
  readonly relationIdsListsBroken: boolean;
}

/** One status the charm set. */
export interface FakeStatus {
  readonly target: 'unit' | 'application';
  readonly status: string;
  readonly message: string;
}

/** One line sent with juju-log. */
export interface FakeLogLine {
  readonly level: string;
  readonly message: string;
}

/** A scripted agent answer: the tool parses its arguments, then prints this and exits. */
export interface FakeFault {
  readonly exit: number;
  readonly stdout?: string;
  readonly stderr: string;
}

/** Everything the fake agent knows; the tools read and write it. */
export interface FakeAgentState {
  readonly unit: string;
  leader: boolean;
  features: FakeAgentFeatures;
  /** The running hook's relation and remote unit: the defaults of `-r` and `relation-get`. */
  hook: { relationId?: number; remoteUnit?: string };
  relations: FakeRelation[];
  statuses: FakeStatus[];
  version?: string;
  logs: FakeLogLine[];
  faults: Record<string, FakeFault>;
}

/** What one tool run printed and returned. */
export interface ToolResult {
  stdout: string;
  stderr: string;
  exit: number;
}

/** The exit code of a call the fake cannot answer faithfully (a test must never pass on it). */
export const NOT_MODELLED_EXIT = 97;

/** juju/names: application and unit names. */
const APP_NAME = /^(?:[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*)$/;
const UNIT_NAME = /^((?:[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*))\/(?:0|[1-9][0-9]*)$/;
const SETTABLE_STATUSES = ['maintenance', 'blocked', 'waiting', 'active'];
const LOG_LEVELS: Readonly<Record<string, string>> = {
  TRACE: 'TRACE',
  DEBUG: 'DEBUG',
  INFO: 'INFO',
  WARN: 'WARNING',
  WARNING: 'WARNING',
  ERROR: 'ERROR',
  CRITICAL: 'CRITICAL',
};

/** A failure while running (exit 1). */
class RunError extends Error {}

/** The application part of a unit name. */
function appOf(unit: string): string {
  return unit.slice(0, unit.lastIndexOf('/'));
}

/** Runs `tool` with `argv` against `state` (which it may change). */
export function runTool(
  tool: string,
  argv: readonly string[],
  stdin: Uint8Array,
  state: FakeAgentState,
  cwd: string = process.cwd(),
): ToolResult {
  const command = COMMANDS[tool];
  if (command === undefined) {
    return { stdout: '', stderr: `fake agent: no such hook tool ${tool}\n`, exit: 127 };
  }
  const out: Output = { stdout: '', stderr: '' };
  try {
    const parsed = parseFlags(command.flags(state), argv);
    const run = command.init(parsed, state);
    const fault = state.faults[tool];
    if (fault !== undefined) return { stdout: fault.stdout ?? '', ...fault };
    run({ state, stdin, cwd, out });
    return { ...out, exit: 0 };
  } catch (error) {
    if (error instanceof HelpRequested) {
      return { stdout: `Usage: ${tool} [flags] ${command.usage}\n`, stderr: '', exit: 0 };
    }
    if (error instanceof UsageError) return { ...out, stderr: `ERROR ${error.message}\n`, exit: 2 };
    if (error instanceof RunError || error instanceof YamlError) {
      return { ...out, stderr: `${out.stderr}ERROR ${error.message}\n`, exit: 1 };
    }
    if (error instanceof NotModelledError) {
      return {
        stdout: '',
        stderr: `fake ${tool}: not modelled by the fake agent: ${error.message}\n`,
        exit: NOT_MODELLED_EXIT,
      };
    }
    throw error;
  }
}

interface Output {
  stdout: string;
  stderr: string;
}

interface RunContext {
  readonly state: FakeAgentState;
  readonly stdin: Uint8Array;
  readonly cwd: string;
  readonly out: Output;
}

interface Command {
  readonly usage: string;
  flags(state: FakeAgentState): FlagSpecs;
  /** Checks the positionals (juju/cmd's Init) and returns what Run does. */
  init(parsed: ParsedArgs, state: FakeAgentState): (ctx: RunContext) => void;
}

// ---- shared flags --------------------------------------------------------------------------

const FORMATS = ['smart', 'yaml', 'json'];

function outputFlags(): FlagSpecs {
  const format = {
    kind: 'value' as const,
    key: 'format',
    set: (v: string) => (FORMATS.includes(v) ? undefined : `unknown format ${goQuote(v)}`),
  };
  return {
    format,
    o: { kind: 'value', key: 'output' },
    output: { kind: 'value', key: 'output' },
  };
}

function relationFlag(state: FakeAgentState): FlagSpecs {
  const spec = {
    kind: 'value' as const,
    key: 'relation',
    set: (value: string): string | undefined => {
      const tail = value.slice(value.lastIndexOf(':') + 1);
      if (!/^[+-]?\d+$/.test(tail)) return 'invalid relation id';
      return knownRelation(state, Number(tail)) === undefined ? 'relation not found' : undefined;
    },
  };
  return { r: spec, relation: spec };
}

function knownRelation(state: FakeAgentState, id: number): FakeRelation | undefined {
  return state.relations.find((r) => r.id === id && r.gone !== 'not-found');
}

/** The relation `-r` names, or the hook's; juju/cmd's "no relation id specified" otherwise. */
function chosenRelation(parsed: ParsedArgs, state: FakeAgentState): FakeRelation {
  const flag = parsed.flags.get('relation');
  const id =
    typeof flag === 'string'
      ? Number(flag.slice(flag.lastIndexOf(':') + 1))
      : state.hook.relationId;
  const relation = id === undefined ? undefined : knownRelation(state, id);
  if (relation === undefined) throw new UsageError('no relation id specified');
  return relation;
}

function refuseIfForgotten(relation: FakeRelation): void {
  if (relation.gone === 'permission-denied') throw new RunError('permission denied');
}

/** Go's json.Marshal: map keys sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped. */
function goJson(value: unknown): string {
  const sorted = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, inner]) => [k, sorted(inner)]),
    );
  };
  return JSON.stringify(sorted(value)).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`,
  );
}

/** juju/cmd's Output.Write for the formatter the flags chose. */
function write(ctx: RunContext, parsed: ParsedArgs, value: unknown): void {
  const format = (parsed.flags.get('format') as string | undefined) ?? 'smart';
  let text: string;
  if (format === 'json') {
    text = `${goJson(value)}\n`;
  } else if (format === 'smart' && typeof value === 'string') {
    text = value === '' ? '' : `${value}\n`;
  } else if (format === 'smart' && typeof value === 'boolean') {
    text = value ? 'True\n' : 'False\n';
  } else if (format === 'smart' && Array.isArray(value)) {
    text = value.length === 0 ? '' : `${value.join('\n')}\n`;
  } else if (format === 'smart' && value === null) {
    text = '';
  } else {
    throw new NotModelledError(`--format=${format} output of ${goJson(value)}`);
  }
  const path = parsed.flags.get('output');
  if (typeof path === 'string') writeFileSync(resolve(ctx.cwd, path), text);
  else ctx.out.stdout += text;
}

// ---- the commands --------------------------------------------------------------------------

const COMMANDS: Readonly<Record<string, Command>> = {
  'relation-ids': {
    usage: '<name>',
    flags: outputFlags,
    init(parsed, state) {
      const hookRelation = state.relations.find((r) => r.id === state.hook.relationId);
      const [name = hookRelation?.endpoint, ...rest] = parsed.args;
      if (name === undefined) throw new UsageError('no endpoint name specified');
      checkEmpty(rest);
      return (ctx) => {
        const ids = state.relations
          .filter((r) => r.endpoint === name && r.gone !== 'not-found')
          .filter((r) => r.life !== 'broken' || state.features.relationIdsListsBroken)
          .map((r) => `${r.endpoint}:${r.id}`)
          .sort();
        write(ctx, parsed, ids);
      };
    },
  },

  'relation-list': {
    usage: '',
    flags: (state) => ({
      ...outputFlags(),
      ...relationFlag(state),
      ...(state.features.relationListApp ? { app: { kind: 'bool', key: 'app' } } : {}),
    }),
    init(parsed, state) {
      const relation = chosenRelation(parsed, state);
      checkEmpty(parsed.args);
      return (ctx) => {
        refuseIfForgotten(relation);
        if (parsed.flags.get('app') === true) write(ctx, parsed, relation.remoteApp);
        else write(ctx, parsed, relation.life === 'broken' ? [] : [...relation.units]);
      };
    },
  },

  'relation-get': {
    usage: '<key> <unit id>',
    flags: (state) => ({
      ...outputFlags(),
      ...relationFlag(state),
      app: { kind: 'bool', key: 'app' },
    }),
    init(parsed, state) {
      const relation = chosenRelation(parsed, state);
      const args = [...parsed.args];
      const first = args.shift();
      const key = first === undefined || first === '-' ? '' : first;
      let app = parsed.flags.get('app') === true;
      let target: string;
      const given = args.shift();
      if (given !== undefined) {
        if (app && APP_NAME.test(given)) target = given;
        else if (app && UNIT_NAME.test(given)) target = appOf(given);
        else if (app) throw new NotModelledError(`relation-get --app of ${goQuote(given)}`);
        else if (UNIT_NAME.test(given)) target = given;
        else if (APP_NAME.test(given)) {
          throw new UsageError(`expected unit name, got application name ${goQuote(given)}`);
        } else throw new UsageError(`invalid unit name ${goQuote(given)}`);
      } else if (app) {
        if (relation.id !== state.hook.relationId) {
          throw new UsageError('no unit or application specified');
        }
        target = relation.remoteApp;
      } else if (state.hook.remoteUnit !== undefined) {
        target = state.hook.remoteUnit;
      } else if (relation.id === state.hook.relationId) {
        target = relation.remoteApp;
        app = true;
      } else {
        throw new UsageError('no unit or application specified');
      }
      checkEmpty(args);
      return (ctx) => {
        refuseIfForgotten(relation);
        const ownApp = appOf(state.unit);
        if (target === ownApp && app && !state.leader) throw new RunError('permission denied');
        const belongs = app
          ? target === ownApp || target === relation.remoteApp
          : target === state.unit || appOf(target) === relation.remoteApp;
        if (!belongs) throw new RunError('permission denied');
        const bag = relation.bags[target] ?? {};
        write(ctx, parsed, key === '' ? { ...bag } : (bag[key] ?? null));
      };
    },
  },

  'relation-set': {
    usage: 'key=value [key=value ...]',
    flags: (state) => ({
      ...relationFlag(state),
      file: { kind: 'value', key: 'file' },
      app: { kind: 'bool', key: 'app' },
      format: { kind: 'value', key: 'format' },
    }),
    init(parsed, state) {
      const relation = chosenRelation(parsed, state);
      const overrides = parseKeyValues(parsed.args);
      const app = parsed.flags.get('app') === true;
      return (ctx) => {
        if (parsed.flags.has('format')) {
          ctx.out.stderr += '--format flag deprecated for command "relation-set"';
        }
        let settings: Record<string, string> = {};
        const file = parsed.flags.get('file');
        if (typeof file === 'string' && file !== '') {
          settings = decodeSettingsYaml(file === '-' ? ctx.stdin : readSettingsFile(ctx, file));
        }
        Object.assign(settings, overrides);
        refuseIfForgotten(relation);
        if (app && !state.leader) throw new RunError('cannot write relation settings');
        if (relation.life === 'broken') {
          throw new RunError(
            `cannot read relation ${app ? 'application ' : ''}settings: permission denied ` +
              '(unauthorized access)',
          );
        }
        const owner = app ? appOf(state.unit) : state.unit;
        const bag = { ...(relation.bags[owner] ?? {}) };
        for (const [k, v] of Object.entries(settings)) {
          if (v === '') delete bag[k];
          else bag[k] = v;
        }
        relation.bags[owner] = bag;
      };
    },
  },

  'is-leader': {
    usage: '',
    flags: outputFlags,
    init(parsed, state) {
      checkEmpty(parsed.args);
      return (ctx) => write(ctx, parsed, state.leader);
    },
  },

  'status-set': {
    usage: '<maintenance | blocked | waiting | active> [message]',
    flags: () => ({ application: { kind: 'bool', key: 'application' } }),
    init(parsed, state) {
      const [status, message = '', ...rest] = parsed.args;
      if (status === undefined) throw new UsageError('invalid args, require <status> [message]');
      if (!SETTABLE_STATUSES.includes(status)) {
        throw new UsageError(
          `invalid status ${goQuote(status)}, expected one of [${SETTABLE_STATUSES.join(' ')}]`,
        );
      }
      checkEmpty(rest);
      const application = parsed.flags.get('application') === true;
      return () => {
        if (application && !state.leader) throw new RunError('this unit is not the leader');
        state.statuses.push({ target: application ? 'application' : 'unit', status, message });
      };
    },
  },

  'application-version-set': {
    usage: '<new-version>',
    flags: () => ({}),
    init(parsed, state) {
      const [version, ...rest] = parsed.args;
      if (version === undefined) throw new UsageError('no version specified');
      checkEmpty(rest);
      return () => {
        state.version = version;
      };
    },
  },

  'juju-log': {
    usage: '<message>',
    flags: () => ({
      debug: { kind: 'bool', key: 'debug' },
      l: { kind: 'value', key: 'level' },
      'log-level': { kind: 'value', key: 'level' },
      format: { kind: 'value', key: 'format' },
    }),
    init(parsed, state) {
      if (parsed.args.length === 0) throw new UsageError('no message specified');
      const message = parsed.args.join(' ');
      return (ctx) => {
        if (parsed.flags.has('format')) {
          ctx.out.stderr += '--format flag deprecated for command "juju-log"';
        }
        const asked = parsed.flags.get('level');
        let level = 'INFO';
        if (parsed.flags.get('debug') === true) level = 'DEBUG';
        else if (typeof asked === 'string') {
          const known = LOG_LEVELS[asked.toUpperCase()];
          if (known === undefined) {
            state.logs.push({
              level: 'WARNING',
              message: `Specified log level of ${goQuote(asked)} is not valid`,
            });
          } else level = known;
        }
        const hookRelation = state.relations.find((r) => r.id === state.hook.relationId);
        const prefix = hookRelation ? `${hookRelation.endpoint}:${hookRelation.id}: ` : '';
        state.logs.push({ level, message: `${prefix}${message}` });
      };
    },
  },
};

/** juju/utils keyvalues.Parse with empty values allowed. */
function parseKeyValues(args: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const arg of args) {
    const equals = arg.indexOf('=');
    const key = equals < 0 ? '' : arg.slice(0, equals).trim();
    if (equals < 0 || key === '') throw new UsageError(`expected "key=value", got ${goQuote(arg)}`);
    if (Object.hasOwn(result, key)) {
      throw new UsageError(`key ${goQuote(key)} specified more than once`);
    }
    result[key] = arg.slice(equals + 1).trim();
  }
  return result;
}

function readSettingsFile(ctx: RunContext, path: string): Uint8Array {
  try {
    return readFileSync(resolve(ctx.cwd, path));
  } catch {
    throw new RunError(`open ${path}: no such file or directory`);
  }
}
