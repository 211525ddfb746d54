import { describe, expect, it } from '@jest/globals';
import { appNameOf } from '../../lib/relations/backend.js';
import { HookContextError } from '../../lib/relations/errors.js';
import {
  actionNameFromEnv,
  hookContextFromEnv,
  hookNameFromEnv,
  parseRelationId,
} from '../../lib/relations/hook-context.js';

describe('hookNameFromEnv', () => {
  it.each([
    [{ JUJU_DISPATCH_PATH: 'hooks/storage-relation-changed' }, 'storage-relation-changed'],
    [{ JUJU_DISPATCH_PATH: 'hooks/install', JUJU_HOOK_NAME: 'ignored' }, 'install'],
    [{ JUJU_DISPATCH_PATH: 'actions/resize' }, 'resize'],
    [{ JUJU_DISPATCH_PATH: '', JUJU_HOOK_NAME: 'config-changed' }, 'config-changed'],
    [{ JUJU_HOOK_NAME: 'update-status' }, 'update-status'],
    [{}, undefined],
  ])('reads %j as %s', (env, expected) => {
    expect(hookNameFromEnv(env)).toBe(expected);
  });
});

describe('actionNameFromEnv', () => {
  it.each([
    [{ JUJU_DISPATCH_PATH: 'actions/backup', JUJU_ACTION_NAME: 'backup' }, 'backup'],
    [{ JUJU_DISPATCH_PATH: 'actions/backup' }, 'backup'],
    [{ JUJU_DISPATCH_PATH: '/var/lib/juju/agents/unit-radarr-0/charm/actions/resize' }, 'resize'],
    [{ JUJU_ACTION_NAME: 'restore' }, 'restore'],
    [{ JUJU_DISPATCH_PATH: 'hooks/install' }, undefined],
    [{ JUJU_DISPATCH_PATH: 'actions' }, undefined],
    [{ JUJU_DISPATCH_PATH: 'hooks/actions' }, undefined],
    [{}, undefined],
  ])('reads %j as %s', (env, expected) => {
    expect(actionNameFromEnv(env)).toBe(expected);
  });
});

describe('parseRelationId', () => {
  it('splits endpoint:id and accepts a bare id', () => {
    expect(parseRelationId('storage:3')).toEqual({ endpoint: 'storage', id: 3 });
    expect(parseRelationId('shared-storage:12')).toEqual({ endpoint: 'shared-storage', id: 12 });
    expect(parseRelationId('7')).toEqual({ endpoint: undefined, id: 7 });
  });

  it.each(['', 'storage', 'storage:', 'storage:x', ':-1'])('rejects %j', (value) => {
    expect(() => parseRelationId(value)).toThrow(HookContextError);
  });
});

describe('hookContextFromEnv', () => {
  it('builds a non-relation context', () => {
    expect(
      hookContextFromEnv({
        JUJU_UNIT_NAME: 'radarr/0',
        JUJU_MODEL_NAME: 'media',
        JUJU_DISPATCH_PATH: 'hooks/start',
      }),
    ).toEqual({
      hookName: 'start',
      dispatchPath: 'hooks/start',
      unitName: 'radarr/0',
      appName: 'radarr',
      modelName: 'media',
      relation: undefined,
    });
  });

  it('marks an action, whose name is also the hook name', () => {
    const base = { JUJU_UNIT_NAME: 'radarr/0' };
    const action = hookContextFromEnv({ ...base, JUJU_DISPATCH_PATH: 'actions/backup' });
    expect([action.hookName, action.actionName]).toEqual(['backup', 'backup']);
    const named = hookContextFromEnv({ ...base, JUJU_ACTION_NAME: 'restore' });
    expect([named.hookName, named.actionName]).toEqual(['restore', 'restore']);
    const hook = hookContextFromEnv({ ...base, JUJU_DISPATCH_PATH: 'hooks/install' });
    expect(hook.actionName).toBeUndefined();
  });

  it('takes the endpoint from JUJU_RELATION_ID when JUJU_RELATION is unset', () => {
    const context = hookContextFromEnv({
      JUJU_UNIT_NAME: 'a/1',
      JUJU_RELATION_ID: 'db:4',
      JUJU_REMOTE_UNIT: '',
    });
    expect(context.relation).toEqual({
      endpoint: 'db',
      id: 4,
      remoteApp: undefined,
      remoteUnit: undefined,
      departingUnit: undefined,
    });
  });

  it('refuses to run without a unit, or with a relation id it cannot place', () => {
    expect(() => hookContextFromEnv({})).toThrow('JUJU_UNIT_NAME is not set');
    expect(() => hookContextFromEnv({ JUJU_UNIT_NAME: 'a/1', JUJU_RELATION_ID: '4' })).toThrow(
      'JUJU_RELATION_ID=4 names no endpoint and JUJU_RELATION is unset',
    );
    expect(() => hookContextFromEnv({ JUJU_UNIT_NAME: 'a/1', JUJU_RELATION_ID: 'db' })).toThrow(
      HookContextError,
    );
  });
});

describe('appNameOf', () => {
  it('drops the unit number, keeping dashes in the app name', () => {
    expect(appNameOf('charmarr-storage/12')).toBe('charmarr-storage');
    expect(appNameOf('solo')).toBe('solo');
  });
});
