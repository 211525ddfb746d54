/**
 * Reads the hook context Juju puts in the environment of every hook.
 *
 * Juju runs the charm's `dispatch` file with `JUJU_DISPATCH_PATH=hooks/<hook-name>` (older agents
 * set only `JUJU_HOOK_NAME`, and legacy hooks are run as `hooks/<name>` directly), or
 * `actions/<action-name>` with `JUJU_ACTION_NAME` for an action, plus the unit,
 * model and, in relation hooks, relation variables. Parsing them in one place keeps the
 * dispatcher and the backends free of `process.env`.
 */
import { appNameOf, type HookContext, type RelationHookInfo } from './backend.js';
import { HookContextError } from './errors.js';

/** The environment variables a hook context is built from. */
export type HookEnv = Readonly<Record<string, string | undefined>>;

/**
 * The hook name from `JUJU_DISPATCH_PATH` (its last path segment), else from `JUJU_HOOK_NAME`.
 * Undefined when neither is set, i.e. when not running in a hook.
 */
export function hookNameFromEnv(env: HookEnv): string | undefined {
  const dispatchPath = nonEmpty(env.JUJU_DISPATCH_PATH);
  if (dispatchPath !== undefined) {
    const name = dispatchPath
      .split('/')
      .filter((part) => part.length > 0)
      .pop();
    if (name !== undefined) return name;
  }
  return nonEmpty(env.JUJU_HOOK_NAME);
}

/**
 * The action name when Juju runs an action: `JUJU_ACTION_NAME`, else the name in an
 * `actions/<name>` dispatch path (legacy agents run `actions/<name>` directly, and the dispatch
 * script passes that path on). Undefined for hooks.
 */
export function actionNameFromEnv(env: HookEnv): string | undefined {
  const named = nonEmpty(env.JUJU_ACTION_NAME);
  if (named !== undefined) return named;
  const parts = (nonEmpty(env.JUJU_DISPATCH_PATH) ?? '').split('/').filter((p) => p.length > 0);
  return parts.length >= 2 && parts.at(-2) === 'actions' ? parts.at(-1) : undefined;
}

/**
 * Splits a `JUJU_RELATION_ID` such as `storage:3` into endpoint and id. A bare number is accepted
 * too (the form the `-r` flag also takes), with an undefined endpoint.
 */
export function parseRelationId(value: string): { endpoint: string | undefined; id: number } {
  const match = /^(?:(.+):)?(\d+)$/.exec(value.trim());
  if (match === null) {
    throw new HookContextError(`"${value}" is not a relation id (expected "endpoint:N" or "N")`);
  }
  return { endpoint: match[1], id: Number(match[2]) };
}

/**
 * Builds the hook context from the environment. Throws `HookContextError` when `JUJU_UNIT_NAME`
 * is missing (every hook has it), or when `JUJU_RELATION_ID` is malformed.
 */
export function hookContextFromEnv(env: HookEnv = process.env): HookContext {
  const unitName = nonEmpty(env.JUJU_UNIT_NAME);
  if (unitName === undefined) {
    throw new HookContextError(
      'JUJU_UNIT_NAME is not set: this is not a Juju hook. Outside Juju, use MemoryBackend or ' +
        'pass an explicit context.',
    );
  }
  const actionName = actionNameFromEnv(env);
  return {
    hookName: hookNameFromEnv(env) ?? actionName,
    dispatchPath: nonEmpty(env.JUJU_DISPATCH_PATH),
    unitName,
    appName: appNameOf(unitName),
    modelName: nonEmpty(env.JUJU_MODEL_NAME),
    relation: relationFromEnv(env),
    actionName,
  };
}

function relationFromEnv(env: HookEnv): RelationHookInfo | undefined {
  const rawId = nonEmpty(env.JUJU_RELATION_ID);
  if (rawId === undefined) return undefined;
  const parsed = parseRelationId(rawId);
  const endpoint = nonEmpty(env.JUJU_RELATION) ?? parsed.endpoint;
  if (endpoint === undefined) {
    throw new HookContextError(
      `JUJU_RELATION_ID=${rawId} names no endpoint and JUJU_RELATION is unset`,
    );
  }
  return {
    endpoint,
    id: parsed.id,
    remoteApp: nonEmpty(env.JUJU_REMOTE_APP),
    remoteUnit: nonEmpty(env.JUJU_REMOTE_UNIT),
    departingUnit: nonEmpty(env.JUJU_DEPARTING_UNIT),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.length === 0 ? undefined : value;
}
