/**
 * Fake Juju hook tools for testing JujuBackend at its process boundary.
 *
 * Each tool is a real executable in a temp dir that goes first on PATH. Behind them is one fake
 * unit agent (./fake-juju/agent.ts) that parses argv as Juju 3.6's tools do (gnuflag: interspersed
 * flags, `--`, per-command arguments and messages), decodes `relation-set --file` as YAML 1.1,
 * and keeps the unit's state: relations and their bags, leadership, statuses, the version, log
 * lines. Tests set the state up, run the code under test, then assert both the exact argv of each
 * call and the state it left, so a call Juju would misread fails here too.
 *
 * The agent is TypeScript, transpiled once per test file into the temp dir, so the same code runs
 * in-process in its own unit tests and out-of-process behind the executables.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type {
  FakeAgentFeatures,
  FakeAgentState,
  FakeFault,
  FakeLogLine,
  FakeRelation,
  FakeStatus,
} from './fake-juju/agent.js';
import { CALLS_FILE, STATE_FILE } from './fake-juju/main.js';

/** One recorded call. */
export interface FakeCall {
  argv: string[];
  stdin: string;
}

/** The hook tools JujuBackend calls. */
export const HOOK_TOOLS = [
  'relation-ids',
  'relation-list',
  'relation-get',
  'relation-set',
  'is-leader',
  'status-set',
  'application-version-set',
  'juju-log',
] as const;

/** A relation to put in the fake agent's state. */
export interface FakeRelationSpec {
  readonly id: number;
  /** This unit's endpoint. */
  readonly endpoint: string;
  readonly remoteApp: string;
  /** Remote units in the relation; default `[remoteApp/0]`. */
  readonly units?: readonly string[];
  readonly remoteAppData?: Readonly<Record<string, string>>;
  readonly remoteUnitsData?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly localAppData?: Readonly<Record<string, string>>;
  readonly localUnitData?: Readonly<Record<string, string>>;
}

/** How to build the fake agent. */
export interface FakeHookToolsOptions {
  /** This unit; default `radarr/0`. */
  readonly unit?: string;
  readonly leader?: boolean;
  /** Agent-version differences; default a current (3.6) agent. */
  readonly agent?: Partial<FakeAgentFeatures>;
}

/** The hook the fake agent runs, for `hookEnv`. */
export interface FakeHookSpec {
  readonly relationId?: number;
  readonly remoteUnit?: string;
  readonly departingUnit?: string;
}

const SOURCES = fileURLToPath(new URL('./fake-juju/', import.meta.url));
let transpiled: ReadonlyMap<string, string> | undefined;

/** The agent's modules as ES2022 JavaScript, transpiled once per test file. */
function agentModules(): ReadonlyMap<string, string> {
  if (transpiled === undefined) {
    const modules = new Map<string, string>();
    for (const file of readdirSync(SOURCES).filter((f) => f.endsWith('.ts'))) {
      const { outputText } = ts.transpileModule(readFileSync(join(SOURCES, file), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
        fileName: file,
      });
      modules.set(file.replace(/\.ts$/, '.js'), outputText);
    }
    transpiled = modules;
  }
  return transpiled;
}

const TOOL_SCRIPT = `#!/usr/bin/env node
const path = require('node:path');
const { pathToFileURL } = require('node:url');
import(pathToFileURL(path.join(__dirname, 'agent', 'main.js')).href).then(
  (agent) => agent.main(__dirname, path.basename(__filename)),
  (error) => { console.error(error); process.exitCode = 99; },
);
`;

/** A directory of fake hook tools, the fake agent's state, and the log of calls. */
export class FakeHookTools {
  readonly dir: string;
  private readonly unit: string;

  constructor(options: FakeHookToolsOptions = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'charmkit-hook-tools-'));
    this.unit = options.unit ?? 'radarr/0';
    // The tool scripts are CommonJS and load the agent, which is ESM, whatever the folders say.
    writeFileSync(join(this.dir, 'package.json'), '{"type":"commonjs"}');
    const agentDir = join(this.dir, 'agent');
    mkdirSync(agentDir);
    writeFileSync(join(agentDir, 'package.json'), '{"type":"module"}');
    for (const [file, code] of agentModules()) writeFileSync(join(agentDir, file), code);
    for (const tool of HOOK_TOOLS) {
      writeFileSync(join(this.dir, tool), TOOL_SCRIPT);
      chmodSync(join(this.dir, tool), 0o755);
    }
    this.save({
      unit: this.unit,
      leader: options.leader ?? false,
      features: { relationListApp: true, relationIdsListsBroken: false, ...options.agent },
      hook: {},
      relations: [],
      statuses: [],
      logs: [],
      faults: {},
    });
  }

  /** The fake agent's whole state, as the tools left it. */
  state(): FakeAgentState {
    return JSON.parse(readFileSync(join(this.dir, STATE_FILE), 'utf8')) as FakeAgentState;
  }

  /** Adds a relation with its bags. */
  addRelation(spec: FakeRelationSpec): this {
    const units = [...(spec.units ?? [`${spec.remoteApp}/0`])];
    const bags: Record<string, Record<string, string>> = {};
    const put = (owner: string, data: Readonly<Record<string, string>> | undefined) => {
      if (data !== undefined) bags[owner] = { ...data };
    };
    put(spec.remoteApp, spec.remoteAppData);
    for (const [unit, data] of Object.entries(spec.remoteUnitsData ?? {})) put(unit, data);
    put(this.unit.slice(0, this.unit.lastIndexOf('/')), spec.localAppData);
    put(this.unit, spec.localUnitData);
    return this.update((state) => {
      state.relations.push({
        id: spec.id,
        endpoint: spec.endpoint,
        remoteApp: spec.remoteApp,
        units,
        bags,
        life: 'alive',
      });
    });
  }

  setLeader(leader: boolean): this {
    return this.update((state) => {
      state.leader = leader;
    });
  }

  /** The relation's `-relation-broken` hook is running: it has no units any more. */
  breakRelation(id: number): this {
    return this.update((state) => {
      const relation = this.find(state, id);
      relation.life = 'broken';
      relation.units = [];
    });
  }

  /** The agent no longer knows the relation (see `FakeRelation.gone`). */
  forgetRelation(id: number, how: 'not-found' | 'permission-denied'): this {
    return this.update((state) => {
      this.find(state, id).gone = how;
    });
  }

  /**
   * Makes every later call of `tool` answer like this once its arguments parsed: an agent failure
   * (default exit 1), or garbled output with `exit: 0`.
   */
  fail(tool: string, fault: Partial<FakeFault>): this {
    return this.update((state) => {
      state.faults[tool] = { exit: 1, stderr: '', ...fault };
    });
  }

  /** Makes `tool` work again. */
  heal(tool: string): this {
    return this.update((state) => {
      delete state.faults[tool];
    });
  }

  /**
   * The environment of hook `hookName`, and the fake agent told it is running that hook (the
   * defaults of `-r` and `relation-get` follow it). A relation hook names the relation by id.
   */
  hookEnv(hookName: string, hook: FakeHookSpec = {}): Record<string, string> {
    const vars: Record<string, string> = { JUJU_DISPATCH_PATH: `hooks/${hookName}` };
    this.update((state) => {
      state.hook = { relationId: hook.relationId, remoteUnit: hook.remoteUnit };
      if (hook.relationId === undefined) return;
      const relation = this.find(state, hook.relationId);
      vars.JUJU_RELATION = relation.endpoint;
      vars.JUJU_RELATION_ID = `${relation.endpoint}:${relation.id}`;
      vars.JUJU_REMOTE_APP = relation.remoteApp;
    });
    if (hook.remoteUnit !== undefined) vars.JUJU_REMOTE_UNIT = hook.remoteUnit;
    if (hook.departingUnit !== undefined) vars.JUJU_DEPARTING_UNIT = hook.departingUnit;
    return this.env(vars);
  }

  /** The environment of action `name`. */
  actionEnv(name: string): Record<string, string> {
    this.update((state) => {
      state.hook = {};
    });
    return this.env({ JUJU_DISPATCH_PATH: `actions/${name}`, JUJU_ACTION_NAME: name });
  }

  /** An environment for a hook: these tools first on PATH, plus the given Juju variables. */
  env(vars: Record<string, string> = {}): Record<string, string> {
    return {
      PATH: `${this.dir}${delimiter}${process.env.PATH ?? ''}`,
      JUJU_UNIT_NAME: this.unit,
      JUJU_MODEL_NAME: 'media',
      ...vars,
    };
  }

  /** One bag as the agent holds it (`{}` when empty). */
  bag(relationId: number, owner: string): Record<string, string> {
    return { ...(this.find(this.state(), relationId).bags[owner] ?? {}) };
  }

  /** Every status set, oldest first. */
  statuses(): FakeStatus[] {
    return this.state().statuses;
  }

  /** Every line sent with juju-log, oldest first. */
  logs(): FakeLogLine[] {
    return this.state().logs;
  }

  /** Every call so far, oldest first. */
  calls(): FakeCall[] {
    const log = join(this.dir, CALLS_FILE);
    if (!existsSync(log)) return [];
    return readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as FakeCall);
  }

  /** The argv of every call. */
  argvs(): string[][] {
    return this.calls().map((call) => call.argv);
  }

  remove(): void {
    // A tool process the agent abandoned (a killed or timed-out call) may still be writing its
    // state file: retry the removal instead of failing the test on ENOTEMPTY.
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  }

  private find(state: FakeAgentState, id: number): FakeRelation {
    const relation = state.relations.find((r) => r.id === id);
    if (relation === undefined) throw new Error(`The fake agent has no relation ${id}`);
    return relation;
  }

  private update(change: (state: FakeAgentState) => void): this {
    const state = this.state();
    change(state);
    this.save(state);
    return this;
  }

  private save(state: FakeAgentState): void {
    writeFileSync(join(this.dir, STATE_FILE), JSON.stringify(state));
  }
}
