/**
 * The fake hook tools must be right before the Juju backend's tests can mean anything: these pin
 * the fake agent's parsing and behaviour to what Juju 3.6's tools do (see the module comments of
 * support/fake-juju/*.ts for the upstream sources), in-process and fast.
 */
import { describe, expect, it } from '@jest/globals';
import {
  NOT_MODELLED_EXIT,
  runTool,
  type FakeAgentState,
  type FakeRelation,
} from './support/fake-juju/agent.js';
import {
  HelpRequested,
  parseFlags,
  UsageError,
  type FlagSpecs,
} from './support/fake-juju/gnuflag.js';
import { decodeSettingsYaml, NotModelledError, YamlError } from './support/fake-juju/yaml11.js';

const SPECS: FlagSpecs = {
  r: { kind: 'value', key: 'relation' },
  relation: { kind: 'value', key: 'relation' },
  app: { kind: 'bool', key: 'app' },
  a: { kind: 'bool', key: 'a' },
  b: { kind: 'bool', key: 'b' },
};

function parse(argv: string[]) {
  const { flags, args } = parseFlags(SPECS, argv);
  return { flags: Object.fromEntries(flags), args };
}

describe('gnuflag parsing, as Juju hook tools parse argv', () => {
  it('reads flags after positional arguments (interspersed)', () => {
    expect(parse(['blocked', '-r', '7', 'msg'])).toEqual({
      flags: { relation: '7' },
      args: ['blocked', 'msg'],
    });
  });

  it('stops at --, and takes - and the empty string as positionals', () => {
    expect(parse(['-', '', '--', '-r', '--app'])).toEqual({
      flags: {},
      args: ['-', '', '-r', '--app'],
    });
  });

  it('takes values as -r7, -r 7, --relation=7, --relation 7 (and -r=7 keeps the =)', () => {
    expect(parse(['-r7']).flags).toEqual({ relation: '7' });
    expect(parse(['--relation=7']).flags).toEqual({ relation: '7' });
    expect(parse(['--relation', '7']).flags).toEqual({ relation: '7' });
    expect(parse(['-r=7']).flags).toEqual({ relation: '=7' });
    expect(parse(['-r', '--']).flags).toEqual({ relation: '--' });
  });

  it('reads clusters of single-letter booleans and --flag=bool', () => {
    expect(parse(['-ab']).flags).toEqual({ a: true, b: true });
    expect(parse(['--app=false']).flags).toEqual({ app: false });
    expect(parse(['--app', 'x']).args).toEqual(['x']);
  });

  it.each([
    [['-x'], 'flag provided but not defined: -x'],
    [['blocked', '-q 7 failed'], 'flag provided but not defined: -q'],
    [['--application'], 'flag provided but not defined: --application'],
    [['-dirty'], 'flag provided but not defined: -d'],
    [['-r'], 'flag needs an argument: -r'],
    [
      ['--app=maybe'],
      'invalid value "maybe" for flag --app: strconv.ParseBool: parsing "maybe": invalid syntax',
    ],
    [['--=x'], 'empty flag in argument "--=x"'],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parseFlags(SPECS, argv)).toThrow(new UsageError(message));
  });

  it('asks for help on -h and --help when the command does not define them', () => {
    expect(() => parseFlags(SPECS, ['--help'])).toThrow(HelpRequested);
    expect(() => parseFlags(SPECS, ['-h'])).toThrow(HelpRequested);
  });
});

function relation(overrides: Partial<FakeRelation> = {}): FakeRelation {
  return {
    id: 3,
    endpoint: 'storage',
    remoteApp: 'store',
    units: ['store/0', 'store/1'],
    bags: {
      store: { 'pvc-name': 'shared', '<&>': 'x\u2028y' },
      'store/0': { zone: 'b' },
      radarr: { 'client-name': 'radarr' },
      'radarr/0': { mine: 'yes' },
    },
    life: 'alive',
    ...overrides,
  };
}

function agent(overrides: Partial<FakeAgentState> = {}): FakeAgentState {
  return {
    unit: 'radarr/0',
    leader: true,
    features: { relationListApp: true, relationIdsListsBroken: false },
    hook: {},
    relations: [relation()],
    statuses: [],
    logs: [],
    faults: {},
    ...overrides,
  };
}

function run(state: FakeAgentState, tool: string, argv: string[], stdin = '') {
  return runTool(tool, argv, new TextEncoder().encode(stdin), state);
}

const ok = (stdout = '') => ({ stdout, stderr: '', exit: 0 });
const usage = (message: string) => ({ stdout: '', stderr: `ERROR ${message}\n`, exit: 2 });
const failed = (message: string) => ({ stdout: '', stderr: `ERROR ${message}\n`, exit: 1 });

describe('fake agent: status-set', () => {
  it('sets the unit status; the message may be empty or absent', () => {
    const state = agent();
    expect(run(state, 'status-set', ['--', 'blocked', '-r 7 failed'])).toEqual(ok());
    expect(run(state, 'status-set', ['active'])).toEqual(ok());
    expect(state.statuses).toEqual([
      { target: 'unit', status: 'blocked', message: '-r 7 failed' },
      { target: 'unit', status: 'active', message: '' },
    ]);
  });

  it('mis-reads free text without -- exactly as Juju does', () => {
    const state = agent();
    expect(run(state, 'status-set', ['blocked', '-r 7 failed'])).toEqual(
      usage('flag provided but not defined: -r'),
    );
    // The application status, with an empty message: the unit status is untouched.
    expect(run(state, 'status-set', ['blocked', '--application'])).toEqual(ok());
    expect(run(state, 'status-set', ['blocked', '--help']).stdout).toMatch(/^Usage: status-set/);
    expect(state.statuses).toEqual([{ target: 'application', status: 'blocked', message: '' }]);
  });

  it('checks the status name and the argument count', () => {
    const state = agent();
    expect(run(state, 'status-set', [])).toEqual(usage('invalid args, require <status> [message]'));
    expect(run(state, 'status-set', ['error', 'x'])).toEqual(
      usage('invalid status "error", expected one of [maintenance blocked waiting active]'),
    );
    expect(run(state, 'status-set', ['active', 'a', 'b'])).toEqual(
      usage('unrecognized args: ["b"]'),
    );
    expect(state.statuses).toEqual([]);
  });

  it('sets the application status for the leader only', () => {
    const state = agent({ leader: false });
    expect(run(state, 'status-set', ['--application', '--', 'waiting', 'x'])).toEqual(
      failed('this unit is not the leader'),
    );
    state.leader = true;
    expect(run(state, 'status-set', ['--application', '--', 'waiting', 'x'])).toEqual(ok());
    expect(state.statuses).toEqual([{ target: 'application', status: 'waiting', message: 'x' }]);
  });
});

describe('fake agent: application-version-set, is-leader, juju-log', () => {
  it('sets the version from exactly one argument', () => {
    const state = agent();
    expect(run(state, 'application-version-set', ['-dirty'])).toEqual(
      usage('flag provided but not defined: -d'),
    );
    expect(run(state, 'application-version-set', [])).toEqual(usage('no version specified'));
    expect(run(state, 'application-version-set', ['1', '2'])).toEqual(
      usage('unrecognized args: ["2"]'),
    );
    expect(run(state, 'application-version-set', ['--', '-dirty'])).toEqual(ok());
    expect(state.version).toBe('-dirty');
  });

  it('answers is-leader in each format', () => {
    expect(run(agent(), 'is-leader', ['--format=json'])).toEqual(ok('true\n'));
    expect(run(agent({ leader: false }), 'is-leader', [])).toEqual(ok('False\n'));
    expect(run(agent(), 'is-leader', ['--format=xml'])).toEqual(
      usage('invalid value "xml" for flag --format: unknown format "xml"'),
    );
    expect(run(agent(), 'is-leader', ['x'])).toEqual(usage('unrecognized args: ["x"]'));
  });

  it('logs at the level asked, prefixed with the hook relation, joining the arguments', () => {
    const state = agent({ hook: { relationId: 3 } });
    expect(run(state, 'juju-log', ['--log-level', 'WARNING', '--', '-x', 'y'])).toEqual(ok());
    expect(run(state, 'juju-log', ['-l', 'error', 'boom'])).toEqual(ok());
    expect(run(state, 'juju-log', ['--debug', 'quiet'])).toEqual(ok());
    expect(run(state, 'juju-log', ['-l', 'LOUD', 'hm'])).toEqual(ok());
    expect(run(state, 'juju-log', ['--'])).toEqual(usage('no message specified'));
    expect(state.logs).toEqual([
      { level: 'WARNING', message: 'storage:3: -x y' },
      { level: 'ERROR', message: 'storage:3: boom' },
      { level: 'DEBUG', message: 'storage:3: quiet' },
      { level: 'WARNING', message: 'Specified log level of "LOUD" is not valid' },
      { level: 'INFO', message: 'storage:3: hm' },
    ]);
  });
});

describe('fake agent: relation-ids, relation-list, relation-get', () => {
  it('lists relation ids as sorted endpoint:id strings, the hook endpoint by default', () => {
    const state = agent({
      hook: { relationId: 3 },
      relations: [relation(), relation({ id: 10 }), relation({ id: 4, endpoint: 'other' })],
    });
    expect(run(state, 'relation-ids', ['--format=json', '--', 'storage'])).toEqual(
      ok('["storage:10","storage:3"]\n'),
    );
    expect(run(state, 'relation-ids', [])).toEqual(ok('storage:10\nstorage:3\n'));
    expect(run(agent(), 'relation-ids', [])).toEqual(usage('no endpoint name specified'));
    expect(run(state, 'relation-ids', ['a', 'b'])).toEqual(usage('unrecognized args: ["b"]'));
  });

  it('leaves the broken relation out of relation-ids unless the agent predates the fix', () => {
    const broken = () => [relation({ life: 'broken', units: [] })];
    const current = agent({ relations: broken() });
    expect(run(current, 'relation-ids', ['--format=json', 'storage'])).toEqual(ok('[]\n'));
    const old = agent({
      relations: broken(),
      features: { relationListApp: true, relationIdsListsBroken: true },
    });
    expect(run(old, 'relation-ids', ['--format=json', 'storage'])).toEqual(ok('["storage:3"]\n'));
    expect(run(current, 'relation-list', ['-r', '3', '--format=json'])).toEqual(ok('[]\n'));
  });

  it('lists units and the remote app; -r takes N or endpoint:N', () => {
    const state = agent();
    expect(run(state, 'relation-list', ['-r', 'storage:3', '--format=json'])).toEqual(
      ok('["store/0","store/1"]\n'),
    );
    expect(run(state, 'relation-list', ['--app', '-r3', '--format=json'])).toEqual(ok('"store"\n'));
    expect(run(state, 'relation-list', ['--format=json'])).toEqual(
      usage('no relation id specified'),
    );
    expect(run(state, 'relation-list', ['-r', 'x'])).toEqual(
      usage('invalid value "x" for flag -r: invalid relation id'),
    );
    const old = agent({ features: { relationListApp: false, relationIdsListsBroken: true } });
    expect(run(old, 'relation-list', ['-r', '3', '--app'])).toEqual(
      usage('flag provided but not defined: --app'),
    );
  });

  it('says a relation it does not know is not found, and refuses one it forgot', () => {
    const state = agent({ relations: [relation({ gone: 'not-found' })] });
    expect(run(state, 'relation-list', ['-r', '3'])).toEqual(
      usage('invalid value "3" for flag -r: relation not found'),
    );
    expect(run(state, 'relation-ids', ['--format=json', 'storage'])).toEqual(ok('[]\n'));
    const forgotten = agent({ relations: [relation({ gone: 'permission-denied' })] });
    expect(run(forgotten, 'relation-ids', ['--format=json', 'storage'])).toEqual(
      ok('["storage:3"]\n'),
    );
    for (const [tool, argv] of [
      ['relation-list', ['-r', '3']],
      ['relation-get', ['-r', '3', '-', 'store/0']],
      ['relation-set', ['-r', '3', 'a=b']],
    ] as const) {
      expect(run(forgotten, tool, [...argv])).toEqual(failed('permission denied'));
    }
  });

  it('reads bags as JSON with sorted keys and Go escaping, or one key', () => {
    const state = agent();
    expect(run(state, 'relation-get', ['-r', '3', '--app', '--format=json', '-', 'store'])).toEqual(
      ok('{"\\u003c\\u0026\\u003e":"x\\u2028y","pvc-name":"shared"}\n'),
    );
    expect(run(state, 'relation-get', ['-r', '3', '--format=json', 'zone', 'store/0'])).toEqual(
      ok('"b"\n'),
    );
    expect(run(state, 'relation-get', ['-r', '3', '--format=json', 'none', 'store/0'])).toEqual(
      ok('null\n'),
    );
    expect(run(state, 'relation-get', ['-r', '3', '--format=json', '-', 'radarr/0'])).toEqual(
      ok('{"mine":"yes"}\n'),
    );
  });

  it('checks the unit or app argument and who may read the local app bag', () => {
    const state = agent({ leader: false });
    expect(run(state, 'relation-get', ['-r', '3', '-', 'store'])).toEqual(
      usage('expected unit name, got application name "store"'),
    );
    expect(run(state, 'relation-get', ['-r', '3', '-', 'Store/0'])).toEqual(
      usage('invalid unit name "Store/0"'),
    );
    expect(run(state, 'relation-get', ['-r', '3', '-'])).toEqual(
      usage('no unit or application specified'),
    );
    expect(run(state, 'relation-get', ['-r', '3', '-', 'store/0', 'x'])).toEqual(
      usage('unrecognized args: ["x"]'),
    );
    expect(run(state, 'relation-get', ['-r', '3', '--app', '-', 'radarr'])).toEqual(
      failed('permission denied'),
    );
    expect(run(state, 'relation-get', ['-r', '3', '-', 'other/0'])).toEqual(
      failed('permission denied'),
    );
  });

  it('defaults to the hook remote unit, then to the remote app', () => {
    const inUnitHook = agent({ hook: { relationId: 3, remoteUnit: 'store/0' } });
    expect(run(inUnitHook, 'relation-get', ['--format=json'])).toEqual(ok('{"zone":"b"}\n'));
    const inAppHook = agent({ hook: { relationId: 3 } });
    expect(run(inAppHook, 'relation-get', ['--format=json', 'pvc-name'])).toEqual(ok('"shared"\n'));
  });
});

describe('fake agent: relation-set', () => {
  it('applies a YAML file from stdin and key=value overrides; empty values delete', () => {
    const state = agent();
    const yaml = '? "a"\n: "1"\n? "mine"\n: ""\n';
    expect(run(state, 'relation-set', ['-r', '3', '--file', '-', 'b=2'], yaml)).toEqual(ok());
    expect(state.relations[0]?.bags['radarr/0']).toEqual({ a: '1', b: '2' });
    expect(run(state, 'relation-set', ['-r', '3', '--app', '--file', '-'], '{"x": "y"}')).toEqual(
      ok(),
    );
    expect(state.relations[0]?.bags.radarr).toEqual({ 'client-name': 'radarr', x: 'y' });
  });

  it('refuses bad key=value arguments, a follower writing the app bag, a broken relation', () => {
    expect(run(agent(), 'relation-set', ['-r', '3', 'novalue'])).toEqual(
      usage('expected "key=value", got "novalue"'),
    );
    expect(run(agent(), 'relation-set', ['-r', '3', 'a=1', 'a=2'])).toEqual(
      usage('key "a" specified more than once'),
    );
    expect(run(agent({ leader: false }), 'relation-set', ['-r', '3', '--app', 'a=1'])).toEqual(
      failed('cannot write relation settings'),
    );
    const broken = agent({ relations: [relation({ life: 'broken' })] });
    expect(run(broken, 'relation-set', ['-r', '3', '--app', 'a=1'])).toEqual(
      failed('cannot read relation application settings: permission denied (unauthorized access)'),
    );
  });

  it('fails on YAML Juju refuses, and loudly on YAML the fake does not model', () => {
    const state = agent();
    expect(run(state, 'relation-set', ['-r', '3', '--file', '-'], '{"a": "\u007f"}')).toEqual(
      failed('yaml: control characters are not allowed'),
    );
    const notModelled = run(state, 'relation-set', ['-r', '3', '--file', '-'], 'a: &x b\n');
    expect(notModelled.exit).toBe(NOT_MODELLED_EXIT);
    expect(state.relations[0]?.bags['radarr/0']).toEqual({ mine: 'yes' });
  });

  it('answers with a scripted fault only once the arguments parsed', () => {
    const state = agent({ faults: { 'relation-set': { exit: 1, stderr: 'ERROR agent busy\n' } } });
    expect(run(state, 'relation-set', ['-r', '3', 'bad'])).toEqual(
      usage('expected "key=value", got "bad"'),
    );
    expect(run(state, 'relation-set', ['-r', '3', 'a=1'])).toEqual(failed('agent busy'));
  });
});

describe('YAML 1.1 decoding, as relation-set --file decodes', () => {
  it('decodes JSON text and block mappings with implicit and explicit keys', () => {
    expect(decodeSettingsYaml('{"a":"b", "c" : "d",}')).toEqual({ a: 'b', c: 'd' });
    expect(decodeSettingsYaml('{}')).toEqual({});
    expect(decodeSettingsYaml('')).toEqual({});
    expect(decodeSettingsYaml('# nothing\n\n')).toEqual({});
    expect(decodeSettingsYaml('"a": "b"\n? "c"\n: "d"\n? "e"\n"f": \'it\'\'s\'  # note\n')).toEqual(
      {
        a: 'b',
        c: 'd',
        e: '',
        f: "it's",
      },
    );
  });

  it('keeps the source text of plain scalars and reads nulls as empty strings', () => {
    expect(
      decodeSettingsYaml('a: yes\nb: 0x10\nc: 1e3\nd: ~\ne:\nf: null # gone\ng: a b\n'),
    ).toEqual({
      a: 'yes',
      b: '0x10',
      c: '1e3',
      d: '',
      e: '',
      f: '',
      g: 'a b',
    });
  });

  it.each([
    ['\\0\\a\\b\\t\\\t\\n\\v\\f\\r\\e', '\0\x07\b\t\t\n\v\f\r\x1b'],
    ['\\ \\"\\\'\\\\\\/', null],
    ['\\N\\_\\L\\P', '\u0085\u00a0\u2028\u2029'],
    ['\\x41\\u00e9\\U0001F600\\uFFFF', 'A\u00e9\u{1F600}\uffff'],
  ])('decodes the double-quoted escapes %s', (escaped, decoded) => {
    const yaml = `"k": "${escaped}"`;
    if (decoded === null) {
      expect(() => decodeSettingsYaml(yaml)).toThrow('found unknown escape character');
    } else {
      expect(decodeSettingsYaml(yaml)).toEqual({ k: decoded });
    }
  });

  it('refuses escaped surrogates, so a UTF-16 pair written as two escapes fails', () => {
    expect(() => decodeSettingsYaml('{"k": "\\ud83d\\ude00"}')).toThrow(
      new YamlError('yaml: found invalid Unicode character escape code'),
    );
    expect(() => decodeSettingsYaml('{"k": "\\U00110000"}')).toThrow(
      'found invalid Unicode character escape code',
    );
    expect(() => decodeSettingsYaml('{"k": "\\u12"}')).toThrow(
      'did not find expected hexdecimal number',
    );
    expect(decodeSettingsYaml('{"k": "😀"}')).toEqual({ k: '😀' });
  });

  it('refuses raw characters outside the YAML 1.1 printable set anywhere in the input', () => {
    const refused = [0x00, 0x08, 0x0b, 0x0c, 0x1f, 0x7f, 0x80, 0x84, 0x86, 0x9f, 0xfffe, 0xffff];
    for (const code of refused) {
      expect(() => decodeSettingsYaml(`{"k": "a${String.fromCodePoint(code)}b"}`)).toThrow(
        new YamlError('yaml: control characters are not allowed'),
      );
      expect(() => decodeSettingsYaml(`# ${String.fromCodePoint(code)}\n{}`)).toThrow(YamlError);
    }
    expect(() => decodeSettingsYaml(new Uint8Array([0x7b, 0xc3, 0x7d]))).toThrow(YamlError);
    expect(decodeSettingsYaml(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]))).toEqual({});
  });

  it('folds raw line breaks inside quoted scalars (NEL and LF to a space, LS and PS kept)', () => {
    expect(decodeSettingsYaml('{"k": "a\u0085b"}')).toEqual({ k: 'a b' });
    expect(decodeSettingsYaml('{"k": "a \n  b"}')).toEqual({ k: 'a b' });
    expect(decodeSettingsYaml('{"k": "a\n\nb"}')).toEqual({ k: 'a\nb' });
    expect(decodeSettingsYaml('{"k": "a \u2028 b"}')).toEqual({ k: 'a\u2028b' });
    expect(decodeSettingsYaml('{"k": "a\\\n  b"}')).toEqual({ k: 'ab' });
    expect(decodeSettingsYaml('{"k": "a\tb"}')).toEqual({ k: 'a\tb' });
  });

  it('allows an implicit key to end at most 1024 characters after it starts, on its line', () => {
    const key = (n: number) => `"${'k'.repeat(n)}"`;
    expect(Object.keys(decodeSettingsYaml(`${key(1022)}: "v"`))).toHaveLength(1);
    expect(() => decodeSettingsYaml(`${key(1023)}: "v"`)).toThrow("could not find expected ':'");
    expect(() => decodeSettingsYaml(`{${key(1023)}: "v"}`)).toThrow(
      "did not find expected ',' or '}'",
    );
    expect(() => decodeSettingsYaml('"a\n b": "v"')).toThrow("could not find expected ':'");
    expect(decodeSettingsYaml(`? ${key(5000)}\n: "v"`)).toEqual({ ['k'.repeat(5000)]: 'v' });
  });

  it('refuses what it does not model instead of guessing', () => {
    for (const yaml of [
      'a: &x b',
      'a: [b]',
      'a: |\n  b',
      '- a',
      '  a: b',
      'a:\n  b: c',
      'a: b\n  c',
      '{a: b}',
    ]) {
      expect(() => decodeSettingsYaml(yaml)).toThrow(NotModelledError);
    }
    expect(() => decodeSettingsYaml('"a":"b"')).toThrow(YamlError);
  });
});
