import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { HookContextError, HookToolError, RelationError } from '../../lib/relations/errors.js';
import { runHookTool } from '../../lib/relations/hook-tool.js';
import { JujuBackend } from '../../lib/relations/juju-backend.js';
import { Relation } from '../../lib/relations/relation.js';
import { active, blocked, errorStatus, maintenance, waiting } from '../../lib/relations/status.js';
import { FakeHookTools } from './support/fake-hook-tools.js';

let tools: FakeHookTools;

beforeEach(() => {
  tools = new FakeHookTools();
});
afterEach(() => {
  tools.remove();
});

function backend(vars: Record<string, string> = {}): JujuBackend {
  return new JujuBackend({ env: tools.env(vars) });
}

describe('JujuBackend hook-tool invocations', () => {
  it('lists relation ids: relation-ids <endpoint> --format=json', async () => {
    tools.json('relation-ids storage --format=json', ['storage:3', 'storage:7']);
    expect(await backend().relationIds('storage')).toEqual([3, 7]);
    expect(tools.calls()).toEqual([
      { argv: ['relation-ids', 'storage', '--format=json'], stdin: '' },
    ]);
  });

  it('treats null or empty output as no relations', async () => {
    tools.reply('relation-ids', { stdout: 'null\n' });
    expect(await backend().relationIds('storage')).toEqual([]);
    tools.reply('relation-ids', { stdout: '' });
    expect(await backend().relationIds('storage')).toEqual([]);
  });

  it('lists remote units: relation-list -r <id> --format=json', async () => {
    tools.json('relation-list -r 3 --format=json', ['store/0', 'store/1']);
    expect(await backend().remoteUnits(3)).toEqual(['store/0', 'store/1']);
    expect(tools.argvs()).toEqual([['relation-list', '-r', '3', '--format=json']]);
  });

  it('asks for the remote app with relation-list --app', async () => {
    tools.json('relation-list -r 3 --app --format=json', 'store');
    expect(await backend().remoteApp(3)).toBe('store');
    expect(tools.argvs()).toEqual([['relation-list', '-r', '3', '--app', '--format=json']]);
  });

  it('falls back to unit names when relation-list has no --app (Juju < 2.8)', async () => {
    tools.reply('relation-list -r 3 --app --format=json', {
      exit: 2,
      stderr: 'ERROR flag provided but not defined: --app',
    });
    tools.json('relation-list -r 3 --format=json', ['store/1']);
    expect(await backend().remoteApp(3)).toBe('store');
  });

  it('falls back to unit names when relation-list --app prints no name', async () => {
    tools.json('relation-list -r 3 --app --format=json', '');
    tools.json('relation-list -r 3 --format=json', ['store/2']);
    expect(await backend().remoteApp(3)).toBe('store');
    tools.json('relation-list -r 3 --format=json', []);
    await expect(backend().remoteApp(3)).rejects.toThrow(
      'relation-list --app failed (relation-list -r 3 --app --format=json did not print an application name)',
    );
  });

  it('falls back to JUJU_REMOTE_APP for the hook relation when it has no units', async () => {
    tools.reply('relation-list -r 3 --app --format=json', { exit: 2, stderr: 'no --app' });
    tools.json('relation-list -r 3 --format=json', []);
    const hook = backend({
      JUJU_DISPATCH_PATH: 'hooks/storage-relation-broken',
      JUJU_RELATION: 'storage',
      JUJU_RELATION_ID: 'storage:3',
      JUJU_REMOTE_APP: 'store',
    });
    expect(await hook.remoteApp(3)).toBe('store');
    await expect(hook.remoteApp(4)).rejects.toThrow(RelationError);
    await expect(hook.remoteApp(4)).rejects.toThrow(
      /relation-list --app failed .* and the relation has no units/,
    );
  });

  it('reads a unit bag: relation-get -r <id> --format=json - <unit>', async () => {
    tools.json('relation-get -r 3 --format=json - store/0', {
      'ingress-address': '10.0.0.1',
      zone: 'b',
    });
    expect(await backend().getBag(3, { scope: 'unit', name: 'store/0' })).toEqual({
      'ingress-address': '10.0.0.1',
      zone: 'b',
    });
    expect(tools.argvs()).toEqual([['relation-get', '-r', '3', '--format=json', '-', 'store/0']]);
  });

  it('reads an app bag with --app', async () => {
    tools.json('relation-get -r 3 --app --format=json - store', { 'pvc-name': 'shared' });
    expect(await backend().getBag(3, { scope: 'app', name: 'store' })).toEqual({
      'pvc-name': 'shared',
    });
    expect(tools.argvs()).toEqual([
      ['relation-get', '-r', '3', '--app', '--format=json', '-', 'store'],
    ]);
  });

  it('reads an empty bag as {} and rejects output that is not a bag of strings', async () => {
    tools.reply('relation-get', { stdout: 'null\n' });
    expect(await backend().getBag(3, { scope: 'unit', name: 'store/0' })).toEqual({});
    tools.json('relation-get', { port: 80 });
    await expect(backend().getBag(3, { scope: 'unit', name: 'store/0' })).rejects.toThrow(
      'relation-get -r 3 --format=json - store/0 did not print string values',
    );
    tools.json('relation-get', ['x']);
    await expect(backend().getBag(3, { scope: 'unit', name: 'store/0' })).rejects.toThrow(
      'did not print a JSON object',
    );
  });

  it('writes with relation-set --file -, JSON on stdin, --app for the app bag', async () => {
    const hook = backend();
    await hook.setBag(3, 'app', { 'pvc-name': 'shared', old: '' });
    await hook.setBag(3, 'unit', { note: 'multi\nline "quoted" $(not-run)' });
    expect(tools.calls()).toEqual([
      {
        argv: ['relation-set', '-r', '3', '--app', '--file', '-'],
        stdin: '{"pvc-name":"shared","old":""}',
      },
      {
        argv: ['relation-set', '-r', '3', '--file', '-'],
        stdin: JSON.stringify({ note: 'multi\nline "quoted" $(not-run)' }),
      },
    ]);
  });

  it('asks is-leader --format=json once per backend', async () => {
    tools.json('is-leader --format=json', true);
    const hook = backend();
    expect(await hook.isLeader()).toBe(true);
    expect(await hook.isLeader()).toBe(true);
    expect(tools.argvs()).toEqual([['is-leader', '--format=json']]);
    tools.json('is-leader --format=json', false);
    expect(await backend().isLeader()).toBe(false);
  });

  it('does not cache a failed leadership answer', async () => {
    tools.reply('is-leader', { exit: 1, stderr: 'agent busy' });
    const hook = backend();
    await expect(hook.isLeader()).rejects.toThrow(HookToolError);
    tools.json('is-leader --format=json', true);
    expect(await hook.isLeader()).toBe(true);
    expect(tools.argvs()).toHaveLength(2);
    tools.reply('is-leader --format=json', { stdout: '"yes"' });
    await expect(backend().isLeader()).rejects.toThrow(
      'is-leader --format=json did not print true or false',
    );
  });

  it('sets workload status with status-set <name> <message>, error as blocked "error: ..."', async () => {
    const hook = backend();
    await hook.setStatus(active());
    await hook.setStatus(maintenance('patching'));
    await hook.setStatus(waiting('for storage'));
    await hook.setStatus(blocked('add a storage relation'));
    await hook.setStatus(errorStatus('cannot patch: RBAC'));
    await hook.setStatus(blocked('$(touch /tmp/pwned) `x` "q"'));
    expect(tools.argvs()).toEqual([
      ['status-set', 'active', ''],
      ['status-set', 'maintenance', 'patching'],
      ['status-set', 'waiting', 'for storage'],
      ['status-set', 'blocked', 'add a storage relation'],
      ['status-set', 'blocked', 'error: cannot patch: RBAC'],
      ['status-set', 'blocked', '$(touch /tmp/pwned) `x` "q"'],
    ]);
  });

  it('sets the application version', async () => {
    await backend().setApplicationVersion('5.2.1.9');
    expect(tools.argvs()).toEqual([['application-version-set', '5.2.1.9']]);
  });

  it('drives the relation model end to end with the minimum of calls', async () => {
    tools
      .json('relation-list -r 3 --app --format=json', 'store')
      .json('relation-list -r 3 --format=json', ['store/0'])
      .json('is-leader --format=json', true)
      .json('relation-get -r 3 --app --format=json - radarr', { 'client-name': 'radarr' });
    const hook = backend();
    const relation = await Relation.load(hook, 'storage', 3);
    expect(await relation.data.localApp.update({ 'client-name': 'radarr', mode: 'rw' })).toBe(true);
    expect(await relation.data.localApp.update({ mode: 'rw' })).toBe(false);
    const argvs = tools.argvs().map((argv) => argv.join(' '));
    expect(argvs.slice(0, 2).sort()).toEqual([
      'relation-list -r 3 --app --format=json',
      'relation-list -r 3 --format=json',
    ]);
    expect(argvs.slice(2)).toEqual([
      'is-leader --format=json',
      'relation-get -r 3 --app --format=json - radarr',
      'relation-set -r 3 --app --file -',
    ]);
    expect(tools.calls().at(-1)?.stdin).toBe('{"mode":"rw"}');
  });
});

describe('JujuBackend failures', () => {
  it('turns a failing tool into a HookToolError with argv, exit code and stderr', async () => {
    tools.reply('relation-get', { exit: 1, stderr: 'ERROR permission denied\n' });
    const failure = await backend()
      .getBag(3, { scope: 'app', name: 'radarr' })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(HookToolError);
    const toolError = failure as HookToolError;
    expect(toolError.argv).toEqual([
      'relation-get',
      '-r',
      '3',
      '--app',
      '--format=json',
      '-',
      'radarr',
    ]);
    expect(toolError.exitCode).toBe(1);
    expect(toolError.stderr).toBe('ERROR permission denied');
    expect(toolError.message).toBe(
      'relation-get -r 3 --app --format=json - radarr failed with exit code 1: ERROR permission denied',
    );
  });

  it('rejects output that is not JSON', async () => {
    tools.reply('relation-ids', { stdout: 'storage:3\n' });
    await expect(backend().relationIds('storage')).rejects.toThrow(
      'relation-ids storage --format=json printed 9 characters that are not JSON',
    );
    tools.json('relation-ids', [3]);
    await expect(backend().relationIds('storage')).rejects.toThrow(
      'did not print a JSON list of strings',
    );
  });

  it('says hook tools only exist in a hook when one is missing from PATH', async () => {
    const failure = await runHookTool('status-set', ['active', ''], {
      env: { PATH: tools.dir.replace(/$/, '-missing') },
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(HookToolError);
    expect((failure as HookToolError).exitCode).toBeNull();
    expect((failure as HookToolError).message).toContain('status-set not found on PATH');
  });

  it('reports a tool killed by its timeout', async () => {
    const failure = await runHookTool(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], {
      timeoutMs: 200,
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(HookToolError);
    expect((failure as HookToolError).exitCode).toBeNull();
    expect((failure as HookToolError).message).toMatch(/ -e setTimeout.* was killed by SIGTERM$/);
  });

  it('needs JUJU_UNIT_NAME to exist at all', () => {
    expect(() => new JujuBackend({ env: { PATH: tools.dir } })).toThrow(HookContextError);
  });

  it('reads its hook context from the environment', () => {
    const hook = backend({
      JUJU_DISPATCH_PATH: 'hooks/storage-relation-departed',
      JUJU_RELATION: 'storage',
      JUJU_RELATION_ID: 'storage:3',
      JUJU_REMOTE_APP: 'store',
      JUJU_REMOTE_UNIT: 'store/1',
      JUJU_DEPARTING_UNIT: 'store/1',
    });
    expect(hook.context).toEqual({
      hookName: 'storage-relation-departed',
      dispatchPath: 'hooks/storage-relation-departed',
      unitName: 'radarr/0',
      appName: 'radarr',
      modelName: 'media',
      relation: {
        endpoint: 'storage',
        id: 3,
        remoteApp: 'store',
        remoteUnit: 'store/1',
        departingUnit: 'store/1',
      },
    });
  });
});
