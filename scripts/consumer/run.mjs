#!/usr/bin/env node
// The consumer test: charmkit as a user gets it, not as our repository sees it.
//
// Our own suite imports lib/ through path mappings, with our devDependencies; a user installs the
// packed tarball next to whatever npm resolves for them, on their Node version, and writes code
// from README.md and docs/ alone. This script does exactly that, in fresh projects in a temp
// directory outside the repository:
//
//   1. `npm pack` the package and check what it ships: the docs (README links are absolute and
//      point at shipped files; the guides' relative links resolve inside the package), no source
//      maps (they would point at lib/*.ts, which is not shipped).
//   2. For each supported Node line, a fresh project: the install commands README.md gives for that
//      line (the tarball standing in for `charmkit`), the test tooling docs/testing.md recommends,
//      and the recipe of docs/getting-started.md written out of the SHIPPED docs — the controller,
//      its Juju and standalone entries, the unit test, jest.config.js and tsconfig.json. Then:
//      the resolved versions are the ones the docs promise; `tsc` type-checks the recipe and our
//      declarations; the unit tests pass (Scenario + FakeCluster); the built Juju entry, run with
//      fake hook tools and an API server that does not answer, exits non-zero (Juju retries) while
//      invalid relation data exits 0 with a Blocked status; the standalone entry runs outside Juju;
//      `require('charmkit')` works for CommonJS code.
//      - Node 20 (this machine's, else the `node@20` npm package's): client-node 1.x as README says
//        for Node 20, TypeScript 7 with @swc/jest (the recommended runner). Then client-node is
//        uninstalled — an optional peer, npm must not bring it back — and the unit tests, every
//        entry point's import and charmkit's declarations must still work without it. Last, the
//        install without `@1` (2.x, which cannot load on Node 20) must give a status saying so.
//      - Node 22 (the `node` npm package's binary, see scripts/compat/install.sh), npm itself run
//        on it so it resolves as a Node 22 user's would: client-node 2.x, TypeScript 6 with both
//        @swc/jest and ts-jest (which needs TypeScript <= 6).
//
// Nothing is skipped: a missing tool or registry fails the run with what to do.
// Usage: node scripts/consumer/run.mjs [--no-build] [--keep]
//   --no-build  pack dist/ as it is (scripts/test.sh has just built it)
//   --keep      leave the temp directory for inspection
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { closedPort, writeKubeconfig } from '../../tests/support/unreachable-api-server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = new Set(process.argv.slice(2));
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'charmkit-consumer-'));
const RECIPE_PREFIX = 'examples/radarr-charm/';

/** The commands README.md tells users to run, per Node line; checked to be in README.md verbatim. */
const INSTALL = {
  node22: 'npm i charmkit @kubernetes/client-node',
  node20: 'npm i charmkit @kubernetes/client-node@1',
};
/** The test tooling docs/testing.md recommends (TypeScript 7 works), and its ts-jest variant. */
const TOOLING = {
  swc: 'npm i -D typescript @types/node jest @jest/globals @swc/core @swc/jest',
  tsJest: 'npm i -D typescript@~6.0 @types/node jest @jest/globals @swc/core @swc/jest ts-jest',
};

let failures = 0;
const started = Date.now();

function log(message) {
  console.log(`charmkit consumer: ${message}`);
}

/** Runs a command; throws with its output when it fails (or, with `expectExit`, exits otherwise). */
function run(command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, {
    cwd: options.cwd ?? work,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  // `expectExit: null` takes any exit code (the caller judges the output).
  const expected = options.expectExit === undefined ? 0 : options.expectExit;
  if (result.error || (expected !== null && result.status !== expected)) {
    const why = result.error
      ? String(result.error)
      : `exit ${result.status} (expected ${expected})`;
    throw new Error(`${command} ${commandArgs.join(' ')}: ${why}\n${output.trim()}`);
  }
  return options.stdoutOnly ? (result.stdout ?? '') : output;
}

/** One named check; a failure is reported and counted, and the next project still runs. */
function check(name, body) {
  try {
    body();
    log(`ok   ${name}`);
  } catch (error) {
    failures++;
    log(
      `FAIL ${name}\n${String(error instanceof Error ? error.message : error).replace(/^/gm, '    ')}`,
    );
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** The environment for a project: its Node binary first on PATH, so npm and npx run on it too. */
function projectEnv(nodeBin, extra = {}) {
  return {
    ...process.env,
    PATH: `${path.dirname(nodeBin)}${path.delimiter}${process.env.PATH}`,
    ...extra,
  };
}

/** `npm i charmkit ...` with the tarball standing in for `charmkit`. */
function npmInstall(line, dir, env, tarball) {
  const words = line
    .split(' ')
    .slice(2)
    .map((word) => (word === 'charmkit' ? tarball : word));
  return run('npm', ['install', '--no-audit', '--no-fund', ...words], { cwd: dir, env });
}

function installedVersion(dir, name) {
  const file = path.join(dir, 'node_modules', name, 'package.json');
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')).version : undefined;
}

/**
 * The files a docs page shows: `<!-- example: <repo path> -->` blocks (kept equal to repository
 * files by tests/docs/examples-in-docs.test.ts) and `<!-- file: <project path> -->` blocks (files
 * only a consumer project has, such as its jest.config.js), by their path in the user's project.
 */
function docFiles(markdown) {
  const files = new Map();
  const pattern = /<!-- (example|file): (\S+) -->\s*```\w*\n([\s\S]*?)```/g;
  for (const [, kind, where, code] of markdown.matchAll(pattern)) {
    if (kind === 'example' && !where.startsWith(RECIPE_PREFIX)) continue;
    files.set(kind === 'example' ? where.slice(RECIPE_PREFIX.length) : where, code);
  }
  return files;
}

/** Markdown link targets outside fenced code blocks (a template there is not a link). */
function links(markdown) {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
}

/**
 * Type-checks the project with library checks on and fails on any error in charmkit's own
 * declarations (other packages' declarations are theirs to fix).
 */
function assertDeclarationsCheck(node, dir, env) {
  const strict = spawnSync(
    node,
    ['node_modules/typescript/bin/tsc', '--noEmit', '--skipLibCheck', 'false'],
    { cwd: dir, env, encoding: 'utf8' },
  );
  const ours = `${strict.stdout}`.split('\n').filter((l) => l.startsWith('node_modules/charmkit/'));
  assert(ours.length === 0, `errors in charmkit's declarations:\n${ours.join('\n')}`);
}

/**
 * The repository's fake Juju hook tools (tests/relations/support/fake-hook-tools.ts: real
 * executables backed by a fake unit agent that parses argv as Juju does), transpiled for this plain
 * Node script into .compat/ — inside the repository, so their `typescript` import resolves.
 */
async function loadFakeHookTools() {
  const ts = (await import('typescript')).default;
  const from = path.join(root, 'tests/relations/support');
  const to = path.join(root, '.compat/consumer-support');
  fs.rmSync(to, { recursive: true, force: true });
  fs.mkdirSync(path.join(to, 'fake-juju'), { recursive: true });
  fs.writeFileSync(path.join(to, 'package.json'), '{"type":"module"}');
  const emit = (source, target) => {
    const { outputText } = ts.transpileModule(fs.readFileSync(source, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
      fileName: path.basename(source),
    });
    fs.writeFileSync(target, outputText);
  };
  for (const file of fs
    .readdirSync(path.join(from, 'fake-juju'))
    .filter((f) => f.endsWith('.ts'))) {
    // FakeHookTools transpiles the agent's sources itself for the executables; it imports main.js.
    fs.copyFileSync(path.join(from, 'fake-juju', file), path.join(to, 'fake-juju', file));
    emit(
      path.join(from, 'fake-juju', file),
      path.join(to, 'fake-juju', file.replace(/\.ts$/, '.js')),
    );
  }
  emit(path.join(from, 'fake-hook-tools.ts'), path.join(to, 'fake-hook-tools.js'));
  return (await import(pathToFileURL(path.join(to, 'fake-hook-tools.js')).href)).FakeHookTools;
}

// ---------------------------------------------------------------------------------------------

log(`working in ${work}`);
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
check('README.md gives the install commands this test runs', () => {
  for (const line of [...Object.values(INSTALL)]) {
    assert(readme.includes(line), `README.md lacks the line \`${line}\``);
  }
  const testing = fs.readFileSync(path.join(root, 'docs/testing.md'), 'utf8');
  for (const line of Object.values(TOOLING)) {
    assert(testing.includes(line), `docs/testing.md lacks the line \`${line}\``);
  }
});

// 1. Pack, and look at what a user would download.
let tarball;
const unpacked = path.join(work, 'package-contents');
check(`npm pack${args.has('--no-build') ? ' (dist/ as built)' : ' (prepack builds dist/)'}`, () => {
  const out = run(
    'npm',
    [
      'pack',
      '--json',
      '--pack-destination',
      work,
      ...(args.has('--no-build') ? ['--ignore-scripts'] : []),
    ],
    { cwd: root, stdoutOnly: true },
  );
  // The JSON report comes last, after anything the prepack build printed.
  const [info] = JSON.parse(out.slice(out.lastIndexOf('\n[') + 1));
  tarball = path.join(work, info.filename);
  fs.mkdirSync(unpacked);
  run('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1']);
});
if (tarball === undefined) {
  log('cannot go on without a tarball');
  process.exit(1);
}

const shipped = (relative) => fs.existsSync(path.join(unpacked, relative));
check('the package ships no source maps and no links to them (lib/*.ts is not shipped)', () => {
  const offenders = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.map')) offenders.push(path.relative(unpacked, full));
      else if (
        /\.[cm]?js$/.test(entry.name) &&
        fs.readFileSync(full, 'utf8').includes('sourceMappingURL')
      ) {
        offenders.push(`${path.relative(unpacked, full)} (sourceMappingURL)`);
      }
    }
  };
  walk(unpacked);
  assert(offenders.length === 0, `shipped: ${offenders.slice(0, 5).join(', ')}`);
});
check('README links work from the npm page: absolute, and the docs they name are shipped', () => {
  const shippedReadme = fs.readFileSync(path.join(unpacked, 'README.md'), 'utf8');
  const problems = [];
  const base = `https://unpkg.com/${pkg.name}/`;
  for (const target of links(shippedReadme)) {
    if (target.startsWith('#')) continue;
    if (!/^https?:\/\//.test(target)) problems.push(`${target} is relative (dead on npmjs.com)`);
    else if (target.startsWith(base) && !shipped(target.slice(base.length).split('#')[0])) {
      problems.push(`${target} names a file the package does not ship`);
    }
  }
  assert(problems.length === 0, problems.join('\n'));
});
check("the shipped guides' relative links resolve inside the package", () => {
  const problems = [];
  for (const guide of fs
    .readdirSync(path.join(unpacked, 'docs'))
    .filter((f) => f.endsWith('.md'))) {
    const text = fs.readFileSync(path.join(unpacked, 'docs', guide), 'utf8');
    for (const target of links(text)) {
      if (/^(https?:|#|mailto:)/.test(target)) continue;
      const file = path.normalize(path.join('docs', target.split('#')[0]));
      if (!shipped(file)) problems.push(`docs/${guide} -> ${target}`);
    }
  }
  assert(problems.length === 0, `not in the package:\n${problems.join('\n')}`);
});

const recipe = docFiles(fs.readFileSync(path.join(unpacked, 'docs/getting-started.md'), 'utf8'));
const testingFiles = docFiles(fs.readFileSync(path.join(unpacked, 'docs/testing.md'), 'utf8'));
check('the shipped docs hold the whole recipe', () => {
  const needed = [
    'package.json',
    'tsconfig.json',
    'jest.config.js',
    'src/charm.ts',
    'src/dispatch.ts',
    'src/main.ts',
    'tests/quickstart.test.ts',
  ];
  const missing = needed.filter((f) => !recipe.has(f));
  assert(missing.length === 0, `docs/getting-started.md does not show: ${missing.join(', ')}`);
  assert(
    testingFiles.has('jest.config.ts-jest.js'),
    'docs/testing.md does not show the ts-jest config',
  );
});

const FakeHookTools = await loadFakeHookTools();
const node22 = run('bash', [path.join(root, 'scripts/compat/install.sh')], { cwd: root })
  .trim()
  .split('\n')
  .at(-1);
const port = await closedPort();
const unreachable = `https://127.0.0.1:${port}`;

/**
 * A Node 20 binary: the one running this script when it is Node 20 (this machine's), else the
 * `node@20` npm package's, installed once into .compat/node20 (gitignored).
 */
function node20() {
  if (process.versions.node.startsWith('20.')) return process.execPath;
  const dir = path.join(root, '.compat', 'node20');
  const binary = path.join(dir, 'node_modules', 'node', 'bin', 'node');
  if (!fs.existsSync(binary)) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), '{"private":true}');
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', 'node@^20.19.0'], {
      cwd: dir,
    });
  }
  return binary;
}

/** One fresh project on one Node line. */
function project({
  name,
  node,
  install,
  tooling,
  clientNodeMajor,
  typescriptMajor,
  runners,
  dropClientNode,
}) {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  const env = projectEnv(node);
  const nodeVersion = run(node, ['--version']).trim();
  log(`--- ${name}: Node ${nodeVersion}, \`${install}\`, \`${tooling}\``);
  let ready = false;
  check(`${name}: install as README.md and docs/testing.md say`, () => {
    fs.writeFileSync(path.join(dir, 'package.json'), recipe.get('package.json'));
    npmInstall(install, dir, env, tarball);
    run('npm', ['install', '--no-audit', '--no-fund', ...tooling.split(' ').slice(2)], {
      cwd: dir,
      env,
    });
    for (const [file, code] of recipe) {
      if (file === 'package.json') continue;
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), code);
    }
    fs.writeFileSync(
      path.join(dir, 'jest.config.ts-jest.js'),
      testingFiles.get('jest.config.ts-jest.js'),
    );
    ready = true;
  });
  if (!ready) return;
  check(
    `${name}: npm resolved @kubernetes/client-node ${clientNodeMajor}.x and TypeScript ${typescriptMajor}`,
    () => {
      const clientNode = installedVersion(dir, '@kubernetes/client-node');
      const typescript = installedVersion(dir, 'typescript');
      assert(
        clientNode?.startsWith(`${clientNodeMajor}.`),
        `@kubernetes/client-node is ${clientNode}`,
      );
      assert(typescript?.startsWith(`${typescriptMajor}.`), `typescript is ${typescript}`);
      log(`     @kubernetes/client-node ${clientNode}, typescript ${typescript}`);
    },
  );
  check(`${name}: tsc type-checks the recipe against the published declarations`, () => {
    run(node, ['node_modules/typescript/bin/tsc', '--noEmit'], { cwd: dir, env });
    // The recipe's tsconfig skips library checks, as most projects do; ours must hold up without.
    assertDeclarationsCheck(node, dir, env);
  });
  for (const runner of runners) {
    check(
      `${name}: the unit tests pass with ${runner === 'swc' ? '@swc/jest (jest.config.js)' : 'ts-jest'}`,
      () => {
        const config = runner === 'swc' ? [] : ['--config', 'jest.config.ts-jest.js'];
        const out = run(
          node,
          ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--ci', ...config],
          { cwd: dir, env },
        );
        assert(/Tests:\s+\d+ passed, \d+ total/.test(out), `no passing tests reported:\n${out}`);
      },
    );
  }
  let built = false;
  check(`${name}: npm run build compiles the entries`, () => {
    run('npm', ['run', 'build'], { cwd: dir, env });
    built = fs.existsSync(path.join(dir, 'dist/src/dispatch.js'));
    assert(built, 'dist/src/dispatch.js was not emitted');
  });
  const kubeconfig = path.join(dir, 'unreachable.kubeconfig');
  writeKubeconfig(kubeconfig, unreachable);
  /** The standalone entry's run: outside Juju, its kubeconfig naming the silent API server. */
  const runStandalone = (expectExit) => {
    const standaloneEnv = projectEnv(node, {
      KUBECONFIG: kubeconfig,
      KUBERNETES_SERVICE_HOST: '',
      RADARR_NAMESPACE: 'media',
      STORAGE_CLAIM: 'media',
    });
    for (const key of Object.keys(standaloneEnv)) {
      if (key.startsWith('JUJU_')) delete standaloneEnv[key];
    }
    return run(node, ['dist/src/main.js'], {
      cwd: dir,
      env: standaloneEnv,
      expectExit,
      timeoutMs: 120_000,
    });
  };
  if (built) {
    /**
     * Runs the built Juju entry as storage-relation-changed of radarr/0 (the leader) on storage:7,
     * whose provider published a claim mounted at `mountPath`, and returns what the fake agent was
     * told: the statuses set and the lines logged.
     */
    const jujuHook = (mountPath, expectExit) => {
      const tools = new FakeHookTools({ unit: 'radarr/0', leader: true }).addRelation({
        id: 7,
        endpoint: 'storage',
        remoteApp: 'charmarr-storage',
        remoteAppData: { 'pvc-name': 'media', namespace: 'media', 'mount-path': mountPath },
      });
      try {
        const hookEnv = projectEnv(node, {
          ...tools.hookEnv('storage-relation-changed', { relationId: 7 }),
          PATH: [tools.dir, path.dirname(node), process.env.PATH].join(path.delimiter),
          KUBECONFIG: kubeconfig,
          KUBERNETES_SERVICE_HOST: '',
        });
        run(node, ['dist/src/dispatch.js'], {
          cwd: dir,
          env: hookEnv,
          expectExit,
          timeoutMs: 120_000,
        });
        return { statuses: tools.statuses(), logs: tools.logs() };
      } finally {
        tools.remove();
      }
    };
    check(
      `${name}: the Juju entry exits non-zero when the API server does not answer (Juju retries)`,
      () => {
        const { statuses, logs } = jujuHook('/data', 1);
        const [status, ...more] = statuses;
        assert(
          more.length === 0 && status?.status === 'blocked',
          `statuses: ${JSON.stringify(statuses)}`,
        );
        assert(
          status.message.startsWith('error: ') &&
            status.message.includes(`cannot reach the Kubernetes API server at ${unreachable}`),
          `status: ${status.message}`,
        );
        const levels = logs.map((l) => l.level);
        assert(levels.join() === 'ERROR', `juju-log levels: ${levels.join()}`);
      },
    );
    check(
      `${name}: the Juju entry exits 0, Blocked naming the field, on invalid relation data`,
      () => {
        const { statuses } = jujuHook('data', 0);
        assert(
          statuses.length === 1 &&
            statuses[0].status === 'blocked' &&
            statuses[0].message.includes('mount-path: must be an absolute path'),
          `statuses: ${JSON.stringify(statuses)}`,
        );
      },
    );
    check(
      `${name}: the standalone entry runs outside Juju (memory backend, fixed hook name)`,
      () => {
        const out = runStandalone(1);
        assert(
          out.includes(`error: storage:0: gave up after`) ||
            out.includes('cannot reach the Kubernetes API server'),
          `output:\n${out}`,
        );
      },
    );
  }
  check(`${name}: CommonJS code can require('charmkit')`, () => {
    const out = run(
      node,
      [
        '-e',
        "const k = require('charmkit'); const t = require('charmkit/testing'); console.log(typeof k.runHook, typeof t.FakeCluster)",
      ],
      { cwd: dir, env },
    );
    assert(out.includes('function function'), out);
  });
  if (dropClientNode) {
    // Without client-node: what a Juju charm and its tests need must work, since npm leaves an
    // optional peer out and client-node 2.x cannot load on Node < 22.19 anyway.
    let dropped = false;
    check(`${name}: npm uninstall @kubernetes/client-node leaves it out (an optional peer)`, () => {
      run('npm', ['uninstall', '--no-audit', '--no-fund', '@kubernetes/client-node'], {
        cwd: dir,
        env,
      });
      const version = installedVersion(dir, '@kubernetes/client-node');
      assert(version === undefined, `npm installed @kubernetes/client-node ${version} again`);
      dropped = true;
    });
    if (dropped) {
      check(`${name}: without client-node, the unit tests pass`, () => {
        run(node, ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--ci'], {
          cwd: dir,
          env,
        });
      });
      check(
        `${name}: without client-node, every entry point imports (client-node loads only for kubeconfig files)`,
        () => {
          const entries = [
            'charmkit',
            ...Object.keys(pkg.exports)
              .filter((e) => !e.includes('*') && e !== './package.json' && e !== '.')
              .map((e) => `charmkit/${e.slice(2)}`),
          ];
          const script = `for (const e of ${JSON.stringify(entries)}) await import(e);`;
          run(node, ['--input-type=module', '-e', script], { cwd: dir, env });
        },
      );
      check(`${name}: without client-node, charmkit's declarations type-check`, () =>
        assertDeclarationsCheck(node, dir, env),
      );
      if (built) {
        check(
          `${name}: \`npm i @kubernetes/client-node\` without @1 (2.x, which cannot load here) is Blocked saying to install @1`,
          () => {
            run('npm', ['install', '--no-audit', '--no-fund', '@kubernetes/client-node'], {
              cwd: dir,
              env,
            });
            const version = installedVersion(dir, '@kubernetes/client-node');
            assert(version?.startsWith('2.'), `npm installed @kubernetes/client-node ${version}`);
            // The exit code is client-node's: even with our import() of it caught, its undici
            // fails again outside anyone's reach and Node ends the process with 1.
            const out = runStandalone(null);
            assert(
              out.includes('blocked: ') && out.includes('npm i @kubernetes/client-node@1'),
              `output:\n${out}`,
            );
          },
        );
      }
    }
  }
}

project({
  name: 'node20',
  node: node20(),
  install: INSTALL.node20,
  tooling: TOOLING.swc,
  clientNodeMajor: 1,
  typescriptMajor: 7,
  runners: ['swc'],
  dropClientNode: true,
});
project({
  name: 'node22',
  node: node22,
  install: INSTALL.node22,
  tooling: TOOLING.tsJest,
  clientNodeMajor: 2,
  typescriptMajor: 6,
  runners: ['swc', 'ts-jest'],
  dropClientNode: false,
});

const seconds = Math.round((Date.now() - started) / 1000);
if (!args.has('--keep') && failures === 0) fs.rmSync(work, { recursive: true, force: true });
else log(`left ${work} for inspection`);
log(
  failures === 0
    ? `all checks passed in ${seconds} s`
    : `${failures} check(s) failed (${seconds} s)`,
);
process.exitCode = failures === 0 ? 0 : 1;
