/**
 * JujuBackend at its process boundary: real hook-tool processes, parsed and answered by a fake
 * agent that reads argv the way Juju 3.6's tools do (support/fake-hook-tools.ts). Each test checks
 * the exact argv and what the agent ended up holding, so a call Juju would misread fails here.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  HookContextError,
  HookToolError,
  NotLeaderError,
  RelationDataAccessError,
  RelationError,
  RelationNotFoundError,
} from '../../lib/relations/errors.js';
import { runHookTool } from '../../lib/relations/hook-tool.js';
import { JujuBackend, type JujuBackendOptions } from '../../lib/relations/juju-backend.js';
import { jujuLogArgs, MAX_ARG_BYTES } from '../../lib/relations/juju-log.js';
import { Relation } from '../../lib/relations/relation.js';
import { active, blocked, errorStatus, maintenance, waiting } from '../../lib/relations/status.js';
import { FakeHookTools, type FakeHookToolsOptions } from './support/fake-hook-tools.js';

let tools: FakeHookTools;

function setup(options: FakeHookToolsOptions = { leader: true }): FakeHookTools {
  tools = new FakeHookTools(options).addRelation({
    id: 3,
    endpoint: 'storage',
    remoteApp: 'store',
    units: ['store/0', 'store/1'],
    remoteAppData: { 'pvc-name': 'shared' },
    remoteUnitsData: { 'store/0': { 'ingress-address': '10.0.0.1', zone: 'b' } },
    localAppData: { 'client-name': 'radarr' },
  });
  return tools;
}

beforeEach(() => {
  setup();
});
afterEach(() => {
  tools.remove();
});

function backend(
  env: Record<string, string> = tools.env(),
  options: Omit<JujuBackendOptions, 'env'> = {},
): JujuBackend {
  return new JujuBackend({ env, ...options });
}

/** How the remote app bag of relation 3 is read. */
const REMOTE_APP_BAG_ARGV = [
  'relation-get',
  '-r',
  '3',
  '--app',
  '--format=json',
  '--',
  '-',
  'store',
];

const brokenHook = () => tools.hookEnv('storage-relation-broken', { relationId: 3 });

describe('JujuBackend reads relations', () => {
  it('lists relation ids: relation-ids --format=json -- <endpoint>', async () => {
    tools.addRelation({ id: 10, endpoint: 'storage', remoteApp: 'other' });
    expect((await backend().relationIds('storage')).sort((a, b) => a - b)).toEqual([3, 10]);
    expect(await backend().relationIds('-x')).toEqual([]);
    expect(tools.calls()).toEqual([
      { argv: ['relation-ids', '--format=json', '--', 'storage'], stdin: '' },
      { argv: ['relation-ids', '--format=json', '--', '-x'], stdin: '' },
    ]);
  });

  it('lists remote units: relation-list -r <id> --format=json', async () => {
    expect(await backend().remoteUnits(3)).toEqual(['store/0', 'store/1']);
    expect(tools.argvs()).toEqual([['relation-list', '-r', '3', '--format=json']]);
  });

  it('asks relation-list --app for the remote app outside a hook about the relation', async () => {
    expect(await backend().remoteApp(3)).toBe('store');
    expect(tools.argvs()).toEqual([['relation-list', '-r', '3', '--app', '--format=json']]);
  });

  it('takes the remote app from JUJU_REMOTE_APP in a hook about the relation, with no call', async () => {
    const hook = backend(tools.hookEnv('storage-relation-changed', { relationId: 3 }));
    expect(await hook.remoteApp(3)).toBe('store');
    expect(tools.argvs()).toEqual([]);
  });

  it('falls back to the unit names on an agent without relation-list --app (Juju < 2.8)', async () => {
    tools.remove();
    setup({ agent: { relationListApp: false } });
    expect(await backend().remoteApp(3)).toBe('store');
    expect(tools.argvs()).toEqual([
      ['relation-list', '-r', '3', '--app', '--format=json'],
      ['relation-list', '-r', '3', '--format=json'],
    ]);
    tools.addRelation({ id: 4, endpoint: 'storage', remoteApp: 'lonely', units: [] });
    await expect(backend().remoteApp(4)).rejects.toThrow(RelationError);
    await expect(backend().remoteApp(4)).rejects.toThrow(
      /relation-list --app failed \(relation-list -r 4 --app --format=json failed with exit code 2: ERROR flag provided but not defined: --app\) and the relation has no units/,
    );
  });

  it('does not hide other relation-list --app failures behind the fallback', async () => {
    tools.fail('relation-list', { stderr: 'ERROR connection is shut down\n' });
    await expect(backend().remoteApp(3)).rejects.toThrow(HookToolError);
    expect(tools.argvs()).toHaveLength(1);
  });

  it('reads a unit bag: relation-get -r <id> --format=json -- - <unit>', async () => {
    expect(await backend().getBag(3, { scope: 'unit', name: 'store/0' })).toEqual({
      'ingress-address': '10.0.0.1',
      zone: 'b',
    });
    expect(tools.argvs()).toEqual([
      ['relation-get', '-r', '3', '--format=json', '--', '-', 'store/0'],
    ]);
  });

  it('reads an app bag with --app, and an empty bag as {}', async () => {
    expect(await backend().getBag(3, { scope: 'app', name: 'store' })).toEqual({
      'pvc-name': 'shared',
    });
    expect(await backend().getBag(3, { scope: 'unit', name: 'store/1' })).toEqual({});
    expect(tools.argvs()[0]).toEqual(REMOTE_APP_BAG_ARGV);
  });

  it('rejects relation-get output that is not a bag of strings', async () => {
    tools.fail('relation-get', { exit: 0, stdout: '{"port":80}\n' });
    await expect(backend().getBag(3, { scope: 'unit', name: 'store/0' })).rejects.toThrow(
      'relation-get -r 3 --format=json -- - store/0 did not print string values',
    );
    tools.fail('relation-get', { exit: 0, stdout: '["x"]\n' });
    await expect(backend().getBag(3, { scope: 'unit', name: 'store/0' })).rejects.toThrow(
      'did not print a JSON object',
    );
  });
});

describe('JujuBackend writes relation data', () => {
  it('writes with relation-set -r <id> [--app] --file -, YAML on stdin', async () => {
    const hook = backend();
    await hook.setBag(3, 'app', { 'pvc-name': 'shared', 'client-name': '' });
    await hook.setBag(3, 'unit', { note: 'multi\nline "quoted" $(not-run)' });
    expect(tools.calls()).toEqual([
      {
        argv: ['relation-set', '-r', '3', '--app', '--file', '-'],
        stdin: '? "pvc-name"\n: "shared"\n? "client-name"\n: ""\n',
      },
      {
        argv: ['relation-set', '-r', '3', '--file', '-'],
        stdin: '? "note"\n: "multi\\nline \\"quoted\\" $(not-run)"\n',
      },
    ]);
    expect(tools.bag(3, 'radarr')).toEqual({ 'pvc-name': 'shared' });
    expect(tools.bag(3, 'radarr/0')).toEqual({ note: 'multi\nline "quoted" $(not-run)' });
  });

  it('stores exactly as given the strings Juju refuses or alters when sent as JSON text', async () => {
    const values = {
      controls: 'a\u007fb\u0085c\u009fd\ufffee\uffff',
      separators: 'x \u2028 y \u2029 z',
      emoji: '😀 👩‍👩‍👧',
      'leading-dash': '-r 7 --app',
      nul: 'a\0b',
    };
    await backend().setBag(3, 'unit', values);
    expect(tools.bag(3, 'radarr/0')).toEqual(values);
    expect(await backend().getBag(3, { scope: 'unit', name: 'radarr/0' })).toEqual(values);
  });

  it('turns a refused write into a HookToolError naming the call', async () => {
    tools.setLeader(false);
    const failure = await backend()
      .setBag(3, 'app', { a: 'b' })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(HookToolError);
    expect((failure as HookToolError).message).toBe(
      'relation-set -r 3 --app --file - failed with exit code 1: ERROR cannot write relation settings',
    );
  });

  it('drives the relation model end to end with the minimum of calls', async () => {
    const hook = backend(tools.hookEnv('storage-relation-changed', { relationId: 3 }));
    const relation = await Relation.load(hook, 'storage', 3);
    expect(relation.active).toBe(true);
    expect(await relation.data.localApp.update({ 'client-name': 'radarr', mode: 'rw' })).toBe(true);
    expect(await relation.data.localApp.update({ mode: 'rw' })).toBe(false);
    expect(tools.argvs().map((argv) => argv.join(' '))).toEqual([
      'relation-list -r 3 --format=json',
      'is-leader --format=json',
      'relation-get -r 3 --app --format=json -- - radarr',
      'relation-set -r 3 --app --file -',
    ]);
    expect(tools.bag(3, 'radarr')).toEqual({ 'client-name': 'radarr', mode: 'rw' });
  });
});

describe('JujuBackend leadership', () => {
  it('asks is-leader --format=json once, and again after the 30 s lease or a clock step back', async () => {
    let now = 1_000;
    const hook = backend(tools.env(), { clock: { now: () => now, sleep: async () => {} } });
    expect(await hook.isLeader()).toBe(true);
    now += 30_000;
    tools.setLeader(false);
    expect(await hook.isLeader()).toBe(true);
    now += 1;
    expect(await hook.isLeader()).toBe(false);
    now -= 10;
    expect(await hook.isLeader()).toBe(false);
    expect(tools.argvs()).toEqual([
      ['is-leader', '--format=json'],
      ['is-leader', '--format=json'],
      ['is-leader', '--format=json'],
    ]);
  });

  it('does not keep a failed answer, and rejects one that is not a boolean', async () => {
    tools.fail('is-leader', { stderr: 'ERROR leadership status unknown: agent busy\n' });
    const hook = backend();
    await expect(hook.isLeader()).rejects.toThrow(HookToolError);
    tools.heal('is-leader');
    expect(await hook.isLeader()).toBe(true);
    expect(tools.argvs()).toHaveLength(2);
    tools.fail('is-leader', { exit: 0, stdout: '"yes"\n' });
    await expect(backend().isLeader()).rejects.toThrow(
      'is-leader --format=json did not print true or false',
    );
  });
});

describe('JujuBackend status, version and log', () => {
  it('sets the unit status with status-set -- <name> <message>, error as blocked "error: ..."', async () => {
    const hook = backend();
    const statuses = [
      active(),
      maintenance('patching'),
      waiting('for storage'),
      blocked('add a storage relation'),
      errorStatus('cannot patch: RBAC'),
      blocked('$(touch /tmp/pwned) `x` "q"'),
    ];
    for (const status of statuses) await hook.setStatus(status);
    expect(tools.argvs()).toEqual([
      ['status-set', '--', 'active', ''],
      ['status-set', '--', 'maintenance', 'patching'],
      ['status-set', '--', 'waiting', 'for storage'],
      ['status-set', '--', 'blocked', 'add a storage relation'],
      ['status-set', '--', 'blocked', 'error: cannot patch: RBAC'],
      ['status-set', '--', 'blocked', '$(touch /tmp/pwned) `x` "q"'],
    ]);
    expect(tools.statuses().map((s) => `${s.target} ${s.status}: ${s.message}`)).toEqual([
      'unit active: ',
      'unit maintenance: patching',
      'unit waiting: for storage',
      'unit blocked: add a storage relation',
      'unit blocked: error: cannot patch: RBAC',
      'unit blocked: $(touch /tmp/pwned) `x` "q"',
    ]);
  });

  it.each(['-r 7 is not valid', '--application', '--help', '-', '--', '-h'])(
    'sets a unit status message that looks like a flag (%j) as text',
    async (message) => {
      await backend().setStatus(blocked(message));
      expect(tools.statuses()).toEqual([{ target: 'unit', status: 'blocked', message }]);
    },
  );

  it('sets the application status for the leader: status-set --application -- <name> <message>', async () => {
    await backend().setApplicationStatus(waiting('-r for the storage relation'));
    expect(tools.argvs()).toEqual([
      ['is-leader', '--format=json'],
      ['status-set', '--application', '--', 'waiting', '-r for the storage relation'],
    ]);
    expect(tools.statuses()).toEqual([
      { target: 'application', status: 'waiting', message: '-r for the storage relation' },
    ]);
  });

  it('refuses the application status to a follower before calling status-set', async () => {
    tools.setLeader(false);
    await expect(backend().setApplicationStatus(active())).rejects.toThrow(NotLeaderError);
    await expect(backend().setApplicationStatus(active())).rejects.toThrow(
      'radarr/0 is not the leader of radarr, so it cannot set the application status',
    );
    expect(tools.argvs().map((argv) => argv[0])).toEqual(['is-leader', 'is-leader']);
    expect(tools.statuses()).toEqual([]);
  });

  it('sets the application version with application-version-set -- <version>', async () => {
    await backend().setApplicationVersion('-dirty');
    await backend().setApplicationVersion('5.2.1.9');
    expect(tools.argvs()).toEqual([
      ['application-version-set', '--', '-dirty'],
      ['application-version-set', '--', '5.2.1.9'],
    ]);
    expect(tools.state().version).toBe('5.2.1.9');
  });

  it('logs with juju-log --log-level <LEVEL> -- <message>', async () => {
    const hook = backend(tools.hookEnv('storage-relation-changed', { relationId: 3 }));
    for (const level of ['TRACE', 'DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const) {
      await hook.log(level, `-${level.toLowerCase()} line`);
    }
    expect(tools.argvs()[0]).toEqual(['juju-log', '--log-level', 'TRACE', '--', '-trace line']);
    expect(tools.logs()).toEqual([
      { level: 'TRACE', message: 'storage:3: -trace line' },
      { level: 'DEBUG', message: 'storage:3: -debug line' },
      { level: 'INFO', message: 'storage:3: -info line' },
      { level: 'WARNING', message: 'storage:3: -warning line' },
      { level: 'ERROR', message: 'storage:3: -error line' },
      { level: 'CRITICAL', message: 'storage:3: -critical line' },
    ]);
  });

  it('sends a message longer than one argument may be in several juju-log calls', async () => {
    const message = `${'é'.repeat(70_000)}😀tail`;
    await backend().log('INFO', message);
    const logs = tools.logs();
    expect(logs).toHaveLength(3);
    expect(logs[0]?.message).toMatch(/^Log message of 140008 bytes sent in 2 parts:$/);
    expect(
      logs
        .slice(1)
        .map((l) => l.message)
        .join(''),
    ).toBe(message);
  });
});

describe('jujuLogArgs', () => {
  it('cuts on UTF-8 character boundaries within the byte limit', () => {
    const calls = jujuLogArgs('WARNING', 'ab😀cd', 5);
    expect(calls).toEqual([
      ['--log-level', 'WARNING', '--', 'Log message of 8 bytes sent in 3 parts:'],
      ['--log-level', 'WARNING', '--', 'ab'],
      ['--log-level', 'WARNING', '--', '😀c'],
      ['--log-level', 'WARNING', '--', 'd'],
    ]);
    expect(jujuLogArgs('INFO', 'x'.repeat(MAX_ARG_BYTES))).toHaveLength(1);
    expect(jujuLogArgs('INFO', 'x'.repeat(MAX_ARG_BYTES + 1))).toHaveLength(3);
  });
});

describe('JujuBackend and relations that are gone', () => {
  it.each(['not-found', 'permission-denied'] as const)(
    'loads a relation the agent no longer knows (%s) as inactive, with empty bags',
    async (how) => {
      tools.forgetRelation(3, how);
      const hook = backend(tools.hookEnv('storage-relation-departed', { relationId: 3 }));
      const relation = await Relation.load(hook, 'storage', 3);
      expect(relation.active).toBe(false);
      expect(relation.remoteApp).toBe('store');
      expect(relation.remoteUnits).toEqual([]);
      expect(await relation.data.remoteApp.read()).toEqual({});
      expect(await relation.data.remoteUnit('store/0').read()).toEqual({});
      expect(await relation.data.localApp.read()).toEqual({});
    },
  );

  it('throws RelationNotFoundError for a gone relation no hook names, with the agent failure as cause', async () => {
    tools.forgetRelation(3, 'not-found');
    const failure = await Relation.load(backend(), 'storage', 3).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RelationNotFoundError);
    expect((failure as Error).message).toBe(
      'Relation 3 not found: the Juju agent says: ERROR invalid value "3" for flag -r: relation not found',
    );
    expect((failure as Error).cause).toBeInstanceOf(HookToolError);
  });

  it('turns a write to a gone relation into RelationNotFoundError', async () => {
    tools.forgetRelation(3, 'permission-denied');
    await expect(backend().setBag(3, 'unit', { a: 'b' })).rejects.toThrow(RelationNotFoundError);
  });

  it('leaves out of forEndpoint a relation the agent lists but has forgotten', async () => {
    tools.addRelation({ id: 4, endpoint: 'storage', remoteApp: 'other' });
    tools.forgetRelation(3, 'permission-denied');
    const relations = await Relation.forEndpoint(backend(), 'storage');
    expect(relations.map((r) => r.id)).toEqual([4]);
  });

  it('keeps a follower refused its own app bag a HookToolError (that is not a gone relation)', async () => {
    tools.setLeader(false);
    const failure = await backend()
      .getBag(3, { scope: 'app', name: 'radarr' })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(HookToolError);
    expect((failure as HookToolError).stderr).toBe('ERROR permission denied');
    const relation = await Relation.load(backend(), 'storage', 3);
    await expect(relation.data.localApp.read()).rejects.toThrow(RelationDataAccessError);
  });

  it.each([
    ['a current agent', false],
    ['an agent that still lists it (before juju/juju#17464)', true],
  ])(
    'leaves the broken relation out of relationIds in its own -broken hook, on %s',
    async (_, listsBroken) => {
      tools.remove();
      setup({ leader: true, agent: { relationIdsListsBroken: listsBroken } });
      tools.addRelation({ id: 4, endpoint: 'storage', remoteApp: 'other' });
      tools.breakRelation(3);
      const hook = backend(brokenHook());
      expect(await hook.relationIds('storage')).toEqual([4]);
      expect((await Relation.forEndpoint(hook, 'storage')).map((r) => r.id)).toEqual([4]);
    },
  );

  it('loads the broken relation in its own -broken hook as inactive with no call, remote app from the environment', async () => {
    tools.breakRelation(3);
    const hook = backend(brokenHook());
    const relation = await Relation.load(hook, 'storage', 3);
    expect(relation.active).toBe(false);
    expect(relation.remoteApp).toBe('store');
    expect(relation.remoteUnits).toEqual([]);
    expect(tools.argvs()).toEqual([]);
  });
});

describe('JujuBackend failures', () => {
  it('turns a failing tool into a HookToolError with argv, exit code and stderr', async () => {
    tools.fail('relation-get', { stderr: 'ERROR connection is shut down\n' });
    const failure = await backend()
      .getBag(3, { scope: 'app', name: 'store' })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(HookToolError);
    const toolError = failure as HookToolError;
    expect(toolError.argv).toEqual(REMOTE_APP_BAG_ARGV);
    expect(toolError.exitCode).toBe(1);
    expect(toolError.stderr).toBe('ERROR connection is shut down');
    expect(toolError.message).toBe(
      'relation-get -r 3 --app --format=json -- - store failed with exit code 1: ERROR connection is shut down',
    );
  });

  it('rejects output that is not JSON', async () => {
    tools.fail('relation-ids', { exit: 0, stdout: 'storage:3\n' });
    await expect(backend().relationIds('storage')).rejects.toThrow(
      'relation-ids --format=json -- storage printed 9 characters that are not JSON',
    );
    tools.fail('relation-ids', { exit: 0, stdout: '[3]\n' });
    await expect(backend().relationIds('storage')).rejects.toThrow(
      'did not print a JSON list of strings',
    );
  });

  it('says hook tools only exist in a hook when one is missing from PATH', async () => {
    const failure = await runHookTool('status-set', ['--', 'active', ''], {
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
      ...tools.hookEnv('storage-relation-departed', {
        relationId: 3,
        remoteUnit: 'store/1',
        departingUnit: 'store/1',
      }),
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
      actionName: undefined,
    });
  });
});
