// What a hook process pays to start and reach the API server, as ratios to `node -e 0`.
//
// A charm is a process started for every hook, so module loading is part of every hook's latency
// and memory. This spawns fresh `node -e` processes, interleaved round-robin so machine noise hits
// every case alike, and reports the median wall time (spawn to exit, measured here) and the median
// maximum RSS (the kernel's peak resident set of the child, via GNU time's %M) of each:
//
//   node -e 0                    the floor: starting Node itself
//   import charmkit/kube         the kube entry point, nothing else
//   in-cluster: import + 1 GET   the hook path: service-account credentials, one GET over TLS
//   import client-node           `import('@kubernetes/client-node')` alone
//   kubeconfig: import + 1 GET   the same GET with a kubeconfig file (loads client-node lazily)
//
// The GETs go to an HTTPS server in this process (self-signed, 127.0.0.1). It measures the built
// package (dist/, as users run it), so it builds first unless --no-build. Nothing here asserts a
// time; see bench/README.md.
//
// Usage: node bench/kube-cold-start.mjs [--runs N] [--no-build] [--root DIR]
//   --root DIR  measure the charmkit package in DIR instead (its dist/ must be built), e.g. an
//               older commit's build for a before/after comparison; a case that build cannot
//               run shows as failed, with its error.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureOnce, median, renderTable, requireGnuTime } from './process-sampler.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const runs = Number(option('--runs', '15'));
const root = path.resolve(option('--root', path.join(here, '..')));

if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs needs a positive integer');
requireGnuTime();
if (!args.includes('--no-build') && !args.includes('--root')) {
  console.error('building dist/ (tsc -p tsconfig.build.json); --no-build skips this');
  execFileSync(
    process.execPath,
    [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
}
if (!fs.existsSync(path.join(root, 'dist/lib/kube/index.js'))) {
  console.error(`no build at ${root}/dist: run 'npm run build' there first`);
  process.exit(1);
}

// A local API server stand-in, a service-account mount and a kubeconfig that both point at it.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charmkit-cold-start-'));
// prettier-ignore
execFileSync('openssl', [
  'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
  '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'ca.crt'), '-days', '1',
  '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
], { stdio: 'ignore' });
const ca = fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8');
const answer = JSON.stringify({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'x', namespace: 'm' },
});
const server = https.createServer(
  { key: fs.readFileSync(path.join(dir, 'key.pem')), cert: ca },
  (req, res) => {
    req.resume();
    res.writeHead(req.headers.authorization === 'Bearer bench-token' ? 200 : 401, {
      'content-type': 'application/json',
    });
    res.end(answer);
  },
);
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = server.address().port;
const saDir = path.join(dir, 'serviceaccount');
fs.mkdirSync(saDir);
fs.writeFileSync(path.join(saDir, 'token'), 'bench-token');
fs.writeFileSync(path.join(saDir, 'ca.crt'), ca);
fs.writeFileSync(path.join(saDir, 'namespace'), 'm');
const kubeconfig = path.join(dir, 'kubeconfig');
fs.writeFileSync(
  kubeconfig,
  [
    'apiVersion: v1',
    'kind: Config',
    `clusters: [{name: c, cluster: {server: "https://127.0.0.1:${port}", certificate-authority: "${path.join(dir, 'ca.crt')}"}}]`,
    'users: [{name: u, user: {token: bench-token}}]',
    'contexts: [{name: x, context: {cluster: c, user: u}}]',
    'current-context: x',
  ].join('\n'),
);

const get = `await port.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'm', name: 'x' });`;
const cases = [
  { name: 'node -e 0', code: '0' },
  { name: 'import charmkit/kube', code: `await import('charmkit/kube');` },
  {
    name: 'in-cluster: import + 1 GET',
    code: `const kube = await import('charmkit/kube');
      const port = kube.createKubePort({ serviceAccountDir: process.env.SA_DIR }); ${get}`,
  },
  { name: 'import client-node', code: `await import('@kubernetes/client-node');` },
  {
    name: 'kubeconfig: import + 1 GET',
    code: `const kube = await import('charmkit/kube');
      const port = kube.createKubePort({ kubeconfigPath: process.env.KUBECONFIG_FILE }); ${get}`,
  },
];
const env = {
  PATH: process.env.PATH ?? '',
  HOME: dir, // no ~/.kube/config of the machine's user
  KUBERNETES_SERVICE_HOST: '127.0.0.1',
  KUBERNETES_SERVICE_PORT: String(port),
  SA_DIR: saDir,
  KUBECONFIG_FILE: kubeconfig,
};

/** One child: wall time in ms (spawn to exit) and peak RSS in KiB. */
const once = (code) =>
  measureOnce(process.execPath, ['--input-type=module', '-e', code], { cwd: root, env });

const samples = new Map(cases.map((c) => [c.name, { wall: [], rss: [], error: undefined }]));
for (const c of cases) await once(c.code).catch(() => undefined); // warm the file cache
for (let i = 0; i < runs; i++) {
  for (const c of cases) {
    const s = samples.get(c.name);
    if (s.error) continue;
    try {
      const { wallMs, rssKiB } = await once(c.code);
      s.wall.push(wallMs);
      s.rss.push(rssKiB);
    } catch (error) {
      s.error = error.message.split('\n').find((line) => /^\w*Error\b/.test(line)) ?? error.message;
    }
  }
}
server.close();
fs.rmSync(dir, { recursive: true, force: true });

const base = samples.get('node -e 0');
const baseWall = median(base.wall);
const baseRss = median(base.rss);
const rows = cases.map((c) => {
  const s = samples.get(c.name);
  if (s.error) return [c.name, 'failed', '', '', '', s.error.slice(0, 80)];
  const wall = median(s.wall);
  const rss = median(s.rss);
  return [
    c.name,
    `${wall.toFixed(0)} ms`,
    `${(wall / baseWall).toFixed(2)}x`,
    `${(rss / 1024).toFixed(1)} MB`,
    `${(rss / baseRss).toFixed(2)}x`,
    '',
  ];
});
const header = ['process', 'wall', 'wall vs node', 'max RSS', 'RSS vs node', 'note'];
console.log(
  `\nhook cold start, median of ${runs} runs each (Node ${process.version}, ${os.cpus().length} cores, ` +
    `load ${os.loadavg()[0].toFixed(2)}; package ${root})`,
);
console.log(renderTable(header, rows));
