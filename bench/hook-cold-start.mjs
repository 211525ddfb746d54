// A whole hook, cold: process start → no-op reconcile done → exit, for the radarr example packed as
// Juju runs it (`charmkit pack`: one bundled file on the Node.js the charm ships) and for the
// Python process it replaces (ops + lightkube + charmarr-lib-core's reconcile_storage_volume),
// measured in the same run against the local control plane, round-robin.
//
// Both run as a pod would: the unit's ServiceAccount token and the CA at
// /var/run/secrets/kubernetes.io/serviceaccount (a tmpfs in a private mount namespace, so nothing
// on the machine changes), KUBERNETES_SERVICE_HOST/PORT, and the same fake Juju hook tools (small
// sh scripts answering from a table, as cheap for one as for the other). Requests are counted by a
// TLS-terminating proxy in this process between the hooks and the API server; both pay it.
//
// Reported per case: median wall time (spawn to exit), median peak RSS (GNU time %M) and the
// requests one run makes; ratios to the runtime floors (`node -e 0`, `python -c pass`) and
// charmkit's wall time as a fraction of the Python anchor's. Nothing here asserts a time.
//
// Usage: node bench/hook-cold-start.mjs [--runs 15] [--node-version V]  (V: the Node.js to pack)
// Needs: the local control plane (started here if it is not running: scripts/cluster/up.sh),
// Python 3.12 (pyenv) for the anchor's venv in ~/.cache/charmkit/python-anchor (created here with
// pip install ops lightkube charmarr-lib-core), `unshare` (root), GNU time, openssl.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiRequest, apiserverReady, clusterDir, readState } from '../scripts/cluster/lib.mjs';
import { measureOnce, median, renderTable, requireGnuTime } from './process-sampler.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const runs = Number(option('--runs') ?? 15) || 15;
const nodeVersion = option('--node-version');
const say = (text) => console.error(`hook-cold-start: ${text}`);
requireGnuTime();
for (const tool of ['unshare', 'openssl']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.error(`hook-cold-start needs ${tool}`);
    process.exit(1);
  }
}

// --- the cluster --------------------------------------------------------------------------------
let state = readState();
if (!state || !(await apiserverReady(state))) {
  say('starting the local control plane (scripts/cluster/up.sh)');
  execFileSync('bash', [path.join(root, 'scripts/cluster/up.sh')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  state = readState();
}
const clusterCa = fs.readFileSync(path.join(clusterDir, 'pki', 'ca.crt'));
const api = async (method, urlPath, body) => {
  const res = await apiRequest(state, method, urlPath, body);
  if (res.status >= 300 && res.status !== 409)
    throw new Error(`${method} ${urlPath}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};

// --- the Python anchor's environment ------------------------------------------------------------
const venv = path.join(
  process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'),
  'charmkit',
  'python-anchor',
);
const python = path.join(venv, 'bin', 'python3');
if (!fs.existsSync(python)) {
  const pyenvRoot = spawnSync('pyenv', ['root'], { encoding: 'utf8' }).stdout?.trim();
  const version =
    pyenvRoot && fs.readdirSync(path.join(pyenvRoot, 'versions')).find((v) => v.startsWith('3.12'));
  if (!version) {
    console.error('hook-cold-start needs Python 3.12 (pyenv install 3.12) for the anchor');
    process.exit(1);
  }
  say(`creating the anchor's venv in ${venv} (pip install ops lightkube charmarr-lib-core)`);
  execFileSync(path.join(pyenvRoot, 'versions', version, 'bin', 'python3'), ['-m', 'venv', venv], {
    stdio: 'inherit',
  });
  execFileSync(
    path.join(venv, 'bin', 'pip'),
    ['install', '-q', 'ops', 'lightkube', 'charmarr-lib-core'],
    { stdio: 'inherit' },
  );
}
const pipShow = execFileSync(path.join(venv, 'bin', 'pip'), ['list', '--format=json'], {
  encoding: 'utf8',
});
const versions = Object.fromEntries(
  JSON.parse(pipShow).map((p) => [p.name.toLowerCase(), p.version]),
);

// --- the charms ---------------------------------------------------------------------------------
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'charmkit-hook-bench-'));
const charmkitCharm = path.join(work, 'radarr');
say('packing the radarr example (charmkit pack --unpacked)');
execFileSync(
  process.execPath,
  [
    path.join(root, 'bin/charmkit.mjs'),
    'pack',
    'radarr',
    '--unpacked',
    charmkitCharm,
    '--plain',
    ...(nodeVersion ? ['--node-version', nodeVersion] : []),
  ],
  {
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
const nodeBin = path.join(charmkitCharm, 'bin', 'node');
const manifest = JSON.parse(
  fs.readFileSync(path.join(charmkitCharm, 'charmkit-manifest.json'), 'utf8'),
);

const pythonCharm = path.join(work, 'radarr-py');
fs.mkdirSync(path.join(pythonCharm, 'src'), { recursive: true });
fs.writeFileSync(
  path.join(pythonCharm, 'metadata.yaml'),
  'name: radarr-py\ncontainers:\n  radarr:\n    resource: radarr-image\nrequires:\n  media-storage:\n    interface: media-storage\n',
);
// The same job as the radarr example, the way a charmarr charm does it: read the media-storage
// relation with charmarr's requirer, then reconcile_storage_volume (one strategic merge PATCH).
fs.writeFileSync(
  path.join(pythonCharm, 'src', 'charm.py'),
  `#!/usr/bin/env python3
import ops
from lightkube import Client
from lightkube.config.kubeconfig import KubeConfig
from charmarr_lib.core import reconcile_storage_volume
from charmarr_lib.core.interfaces import MediaStorageRequirer
from charmarr_lib.krm import K8sResourceManager


class RadarrAnchor(ops.CharmBase):
    def __init__(self, framework):
        super().__init__(framework)
        self.storage = MediaStorageRequirer(self, "media-storage")
        framework.observe(self.on.update_status, self._reconcile)
        framework.observe(self.on["media-storage"].relation_changed, self._reconcile)

    def _reconcile(self, _event):
        provider = self.storage.get_provider()
        if provider is None:
            self.unit.status = ops.BlockedStatus("waiting for storage relation")
            return
        client = Client(config=KubeConfig.from_service_account(), field_manager="charmarr-lib")
        reconcile_storage_volume(
            K8sResourceManager(client), self.app.name, self.model.name, "radarr",
            provider.pvc_name, provider.mount_path, pgid=provider.pgid,
        )
        self.unit.status = ops.ActiveStatus(f"shared storage {provider.pvc_name} mounted at {provider.mount_path}")


if __name__ == "__main__":
    ops.main(RadarrAnchor)
`,
);
fs.writeFileSync(
  path.join(pythonCharm, 'dispatch'),
  `#!/bin/sh\nJUJU_DISPATCH_PATH="\${JUJU_DISPATCH_PATH:-$0}" PYTHONPATH=src exec ${python} ./src/charm.py\n`,
  { mode: 0o755 },
);

// --- the namespace, the StatefulSets, the claim, the ServiceAccounts ------------------------------
const ns = `bench-hooks-${process.pid}`;
say(`namespace ${ns}`);
await api('POST', '/api/v1/namespaces', {
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: ns },
});
for (let i = 0; i < 100; i++) {
  const res = await apiRequest(state, 'GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`);
  if (res.status === 200) break;
  await new Promise((r) => setTimeout(r, 200));
}
const statefulSet = (app) => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: app, namespace: ns },
  spec: {
    replicas: 1,
    serviceName: `${app}-endpoints`,
    selector: { matchLabels: { 'app.kubernetes.io/name': app } },
    template: {
      metadata: { labels: { 'app.kubernetes.io/name': app } },
      spec: {
        containers: [
          { name: 'charm', image: 'registry.invalid/charm-base:1' },
          { name: 'radarr', image: 'registry.invalid/radarr:5' },
        ],
      },
    },
  },
});
const pv = `${ns}-media`;
await api('POST', '/api/v1/persistentvolumes', {
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name: pv },
  spec: {
    capacity: { storage: '1Gi' },
    accessModes: ['ReadWriteOnce'],
    persistentVolumeReclaimPolicy: 'Retain',
    storageClassName: 'standard',
    hostPath: { path: `/tmp/${pv}` },
    claimRef: { namespace: ns, name: 'media' },
  },
});
await api('POST', `/api/v1/namespaces/${ns}/persistentvolumeclaims`, {
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'media', namespace: ns },
  spec: {
    accessModes: ['ReadWriteOnce'],
    storageClassName: 'standard',
    resources: { requests: { storage: '1Gi' } },
  },
});
const serviceAccounts = {};
for (const app of ['radarr', 'radarr-py']) {
  await api('POST', `/apis/apps/v1/namespaces/${ns}/statefulsets`, statefulSet(app));
  await api('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: app },
  });
  // Both get the Role `charmkit rbac` computes for a storage requirer of this StatefulSet.
  const rbac = JSON.parse(
    execFileSync(
      process.execPath,
      [
        path.join(root, 'bin/charmkit.mjs'),
        'rbac',
        '--capabilities',
        'storage-requirer',
        '-n',
        ns,
        '--statefulset',
        app,
        '--json',
      ],
      {
        encoding: 'utf8',
      },
    ),
  );
  for (const object of rbac.items) {
    const plural = object.kind === 'Role' ? 'roles' : 'rolebindings';
    await api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/${plural}`, object);
  }
  const token = await api('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${app}/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 3600 },
  });
  const dir = path.join(work, `sa-${app}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'token'), token.status.token);
  fs.writeFileSync(path.join(dir, 'namespace'), ns);
  serviceAccounts[app] = dir;
}

// --- the counting proxy (TLS in, TLS out) --------------------------------------------------------
// prettier-ignore
execFileSync('openssl', [
  'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
  '-keyout', path.join(work, 'proxy.key'), '-out', path.join(work, 'proxy.crt'), '-days', '1',
  '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
], { stdio: 'ignore' });
for (const dir of Object.values(serviceAccounts))
  fs.copyFileSync(path.join(work, 'proxy.crt'), path.join(dir, 'ca.crt'));
const seen = [];
const upstream = new https.Agent({ keepAlive: true, ca: clusterCa });
const proxy = https.createServer(
  {
    key: fs.readFileSync(path.join(work, 'proxy.key')),
    cert: fs.readFileSync(path.join(work, 'proxy.crt')),
  },
  (req, res) => {
    seen.push(`${req.method} ${req.url.split('?')[0]}`);
    const out = https.request(
      {
        host: '127.0.0.1',
        port: state.ports.apiserver,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent: upstream,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', (error) => {
      res.writeHead(502);
      res.end(String(error));
    });
    req.pipe(out);
  },
);
await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));

// --- fake Juju hook tools: sh scripts answering from a table --------------------------------------
const toolsDir = path.join(work, 'tools');
fs.mkdirSync(toolsDir);
const charmkitBag = { 'pvc-name': 'media', namespace: ns, 'mount-path': '/data' };
const charmarrBag = {
  config: JSON.stringify({ pvc_name: 'media', mount_path: '/data', puid: 1000, pgid: 1000 }),
};
const replies = {
  // charmkit's JujuBackend (radarr example, endpoint storage, relation 3)
  'is-leader --format=json': 'true',
  'relation-ids --format=json -- storage': '["storage:3"]',
  'relation-list -r 3 --app --format=json': '"storage"',
  'relation-list -r 3 --format=json': '["storage/0"]',
  'relation-get -r 3 --app --format=json -- - storage': JSON.stringify(charmkitBag),
  'relation-get -r 3 --app --format=json -- - radarr': JSON.stringify({
    'instance-name': 'radarr',
  }),
  // ops (the anchor, endpoint media-storage, relation 4)
  'relation-ids media-storage --format=json': '["media-storage:4"]',
  'relation-list --format=json -r media-storage:4': '["storage/0"]',
  'relation-list --format=json --app -r media-storage:4': '"storage"',
  'relation-get --format=json -r media-storage:4 --app - storage': JSON.stringify(charmarrBag),
  'relation-get --format=json -r media-storage:4 --app - radarr-py': JSON.stringify({
    config: JSON.stringify({ instance_name: 'radarr-py' }),
  }),
};
const cases = Object.entries(replies)
  .map(
    ([line, out]) =>
      `  ${JSON.stringify(line).replace(/\$/g, '\\$')}) printf '%s\\n' '${out.replace(/'/g, "'\\''")}' ;;`,
  )
  .join('\n');
const toolScript = `#!/bin/sh
tool=$(basename "$0")
printf '%s %s\\n' "$tool" "$*" >> "${toolsDir}/calls.log"
# What the charm logs goes to stderr: a failing hook then says why.
case "$tool" in juju-log|status-set) printf '%s %s\\n' "$tool" "$*" >&2 ;; esac
case "$tool $*" in
${cases}
  *) : ;;
esac
`;
for (const tool of [
  'is-leader',
  'relation-ids',
  'relation-list',
  'relation-get',
  'relation-set',
  'status-set',
  'juju-log',
  'application-version-set',
  'config-get',
  'action-get',
  'storage-list',
  'goal-state',
  'opened-ports',
  'network-get',
  'secret-get',
  'state-get',
  'state-set',
]) {
  fs.writeFileSync(path.join(toolsDir, tool), toolScript, { mode: 0o755 });
}

const hookEnv = (app, hook, extra = {}) => ({
  PATH: `${toolsDir}:/usr/bin:/bin`,
  HOME: work,
  JUJU_UNIT_NAME: `${app}/0`,
  JUJU_MODEL_NAME: ns,
  JUJU_VERSION: '3.6.4',
  JUJU_DISPATCH_PATH: `hooks/${hook}`,
  JUJU_CHARM_DIR: app === 'radarr' ? charmkitCharm : pythonCharm,
  KUBERNETES_SERVICE_HOST: '127.0.0.1',
  KUBERNETES_SERVICE_PORT: String(proxy.address().port),
  SA: serviceAccounts[app],
  ...extra,
});
// A pod's service account where a pod has it, in a private mount namespace.
const inPod = ([file, ...argv]) => [
  'unshare',
  [
    '-m',
    'sh',
    '-c',
    'mount -t tmpfs tmpfs /run && mkdir -p /run/secrets/kubernetes.io/serviceaccount && ' +
      'cp "$SA"/* /run/secrets/kubernetes.io/serviceaccount/ && exec "$@"',
    'in-pod',
    file,
    ...argv,
  ],
];

const relationEnv = (app, id, endpoint) => ({
  JUJU_RELATION: endpoint,
  JUJU_RELATION_ID: `${endpoint}:${id}`,
  JUJU_REMOTE_APP: 'storage',
});
const CASES = [
  {
    name: 'node -e 0 (the Node.js the charm ships)',
    app: 'radarr',
    cmd: [nodeBin, '-e', '0'],
    cwd: charmkitCharm,
  },
  {
    name: 'python -c pass (the anchor venv)',
    app: 'radarr-py',
    cmd: [python, '-c', 'pass'],
    cwd: pythonCharm,
  },
  {
    name: 'charmkit: radarr dispatch (bundled)',
    app: 'radarr',
    cmd: ['./dispatch'],
    cwd: charmkitCharm,
    hook: true,
  },
  {
    name: 'charmkit: the same, compile cache off',
    app: 'radarr',
    cmd: ['./dispatch'],
    cwd: charmkitCharm,
    hook: true,
    env: { NODE_DISABLE_COMPILE_CACHE: '1' },
  },
  {
    name: 'Python: ops + lightkube + charmarr',
    app: 'radarr-py',
    cmd: ['./dispatch'],
    cwd: pythonCharm,
    hook: true,
  },
];
const run = (c, hook = 'update-status', extra = {}) =>
  measureOnce(c.cmd[0], c.cmd.slice(1), {
    cwd: c.cwd,
    env: hookEnv(c.app, hook, { ...c.env, ...extra }),
    wrap: inPod,
  });

// First hook of each: mount (one patch each), then wait until both have rolled out.
say('first hooks: mounting the claim in both StatefulSets');
await run(CASES[2], 'storage-relation-changed', relationEnv('radarr', 3, 'storage'));
await run(CASES[4], 'media-storage-relation-changed', relationEnv('radarr-py', 4, 'media-storage'));
for (const app of ['radarr', 'radarr-py']) {
  for (let i = 0; ; i++) {
    const sts = await api('GET', `/apis/apps/v1/namespaces/${ns}/statefulsets/${app}`);
    const s = sts.status ?? {};
    if (
      (s.observedGeneration ?? 0) >= sts.metadata.generation &&
      s.currentRevision === s.updateRevision &&
      s.readyReplicas === 1
    )
      break;
    if (i > 300) throw new Error(`${app} did not roll out`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const samples = new Map(
  CASES.map((c) => [c.name, { wall: [], rss: [], requests: [], tools: 0, error: undefined }]),
);
const toolCalls = () =>
  fs.readFileSync(path.join(toolsDir, 'calls.log'), 'utf8').split('\n').filter(Boolean);
say(`measuring: ${runs} rounds of ${CASES.length} processes, round-robin`);
for (const c of CASES) await run(c).catch(() => undefined); // warm the file cache
fs.writeFileSync(path.join(toolsDir, 'calls.log'), '');
for (let i = 0; i < runs; i++) {
  for (const c of CASES) {
    const s = samples.get(c.name);
    if (s.error) continue;
    const from = seen.length;
    const toolsFrom = toolCalls().length;
    try {
      const { wallMs, rssKiB } = await run(c);
      s.tools = toolCalls().length - toolsFrom;
      s.wall.push(wallMs);
      s.rss.push(rssKiB);
      s.requests.push(seen.slice(from));
    } catch (error) {
      s.error = error.message.slice(0, 300);
    }
  }
}

proxy.close();
upstream.destroy();
await apiRequest(state, 'DELETE', `/api/v1/namespaces/${ns}`);
await apiRequest(state, 'DELETE', `/api/v1/persistentvolumes/${pv}`);

const stat = (name) => {
  const s = samples.get(name);
  return s.error
    ? undefined
    : { wall: median(s.wall), rss: median(s.rss) / 1024, requests: s.requests.at(-1) ?? [] };
};
const nodeFloor = stat(CASES[0].name);
const pyFloor = stat(CASES[1].name);
const ours = stat(CASES[2].name);
const theirs = stat(CASES[4].name);
const rows = CASES.map((c) => {
  const s = stat(c.name);
  if (!s)
    return [
      c.name,
      'failed',
      '',
      '',
      '',
      '',
      samples.get(c.name).error.split('\n').slice(-3).join(' | '),
    ];
  const floor = c.app === 'radarr' ? nodeFloor : pyFloor;
  return [
    c.name,
    `${s.wall.toFixed(0)} ms`,
    `${(s.wall / floor.wall).toFixed(2)}x`,
    `${s.rss.toFixed(1)} MB`,
    c.hook ? String(s.requests.length) : '',
    c.hook ? String(samples.get(c.name).tools) : '',
    c.hook ? s.requests.map((r) => r.replace(/\/namespaces\/[^/]+/, '')).join(', ') : '',
  ];
});
console.log(
  `\nhook cold start: process start → no-op reconcile (update-status) → exit; median of ${runs} runs each, round-robin\n` +
    `(${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)}; charmkit on Node ${manifest.runtime.node} from ${manifest.runtime.from ?? 'npm'}, ` +
    `bundle ${(manifest.bundle.bytes / 1024).toFixed(0)} KB; anchor on Python ${execFileSync(python, ['-c', 'import sys;print(sys.version.split()[0])'], { encoding: 'utf8' }).trim()}, ` +
    `ops ${versions.ops}, lightkube ${versions.lightkube}, charmarr-lib-core ${versions['charmarr-lib-core']})`,
);
console.log(
  renderTable(
    ['process', 'wall', 'vs own floor', 'max RSS', 'requests', 'hook tools', 'requests made'],
    rows,
  ),
);
if (ours && theirs) {
  console.log(
    `\ncharmkit / Python anchor: wall ${(ours.wall / theirs.wall).toFixed(2)}x, RSS ${(ours.rss / theirs.rss).toFixed(2)}x; ` +
      `charmkit above its Node floor: ${(ours.wall - nodeFloor.wall).toFixed(0)} ms, ${(ours.rss - nodeFloor.rss).toFixed(1)} MB` +
      ` (goal: ≤ 150 ms, ≤ 64 MB, ≤ 0.30x the anchor's wall time)`,
  );
}
fs.rmSync(work, { recursive: true, force: true });
