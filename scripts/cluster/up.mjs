// Starts the local control plane from the binaries in argv[2] (see up.sh). Every process listens
// on 127.0.0.1 and on ports the kernel reports free; nothing is told any other address to contact
// (the apiserver runs with --endpoint-reconciler-type=none; kwok's pod IPs are data only).
// Idempotent: if a healthy cluster from this checkout is already running, it says so and exits.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  apiRequest,
  apiserverReady,
  clusterDir,
  freePort,
  kubeconfigPath,
  processAlive,
  readState,
  sleep,
  statePath,
} from './lib.mjs';

const started = Date.now();
const binDir = process.argv[2];
if (!binDir || !fs.existsSync(path.join(binDir, 'kube-apiserver'))) {
  console.error(`charmkit: no control-plane binaries in '${binDir}'; run 'npm run cluster:up'.`);
  process.exit(2);
}
const kubeVersion = fs
  .readFileSync(
    path.join(path.dirname(new URL(import.meta.url).pathname), '../control-plane/versions.sh'),
    'utf8',
  )
  .match(/KUBE_VERSION=(\S+)/)[1];

const existing = readState();
if (existing) {
  if (await apiserverReady(existing)) {
    console.log(
      `charmkit: cluster already running at https://127.0.0.1:${existing.ports.apiserver} (kubeconfig ${kubeconfigPath})`,
    );
    process.exit(0);
  }
  console.log('charmkit: found a stale cluster state; cleaning it up first');
  execFileSync(
    process.execPath,
    [path.join(path.dirname(new URL(import.meta.url).pathname), 'down.mjs')],
    { stdio: 'inherit' },
  );
}

const pki = path.join(clusterDir, 'pki');
const logs = path.join(clusterDir, 'logs');
fs.mkdirSync(pki, { recursive: true });
fs.mkdirSync(logs, { recursive: true });

// --- certificates and keys (kept across runs: generating them is the slowest part of a start)
const openssl = (...args) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
const file = (name) => path.join(pki, name);
if (!fs.existsSync(file('ca.crt'))) {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
    '-days',
    '3650',
    '-subj',
    '/CN=charmkit-test-ca',
  );
}
if (!fs.existsSync(file('apiserver.crt'))) {
  openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    file('apiserver.key'),
    '-out',
    file('apiserver.csr'),
    '-subj',
    '/CN=kube-apiserver',
  );
  fs.writeFileSync(
    file('apiserver.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.96.0.1\n',
  );
  openssl(
    'x509',
    '-req',
    '-in',
    file('apiserver.csr'),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('apiserver.crt'),
    '-days',
    '3650',
    '-extfile',
    file('apiserver.ext'),
  );
}
if (!fs.existsSync(file('sa.key'))) {
  openssl(
    'genpkey',
    '-algorithm',
    'RSA',
    '-pkeyopt',
    'rsa_keygen_bits:2048',
    '-out',
    file('sa.key'),
  );
  openssl('pkey', '-in', file('sa.key'), '-pubout', '-out', file('sa.pub'));
}
const token = crypto.randomBytes(24).toString('hex');
fs.writeFileSync(file('tokens.csv'), `${token},charmkit-admin,charmkit-admin,"system:masters"\n`, {
  mode: 0o600,
});

const ports = {
  etcd: await freePort(),
  etcdPeer: await freePort(),
  apiserver: await freePort(),
  kwok: await freePort(),
};
const etcdDir = fs.mkdtempSync('/dev/shm/charmkit-etcd-');

const kubeconfig = (user) => `apiVersion: v1
kind: Config
clusters:
- name: charmkit
  cluster:
    server: https://127.0.0.1:${ports.apiserver}
    certificate-authority-data: ${fs.readFileSync(file('ca.crt')).toString('base64')}
users:
- name: ${user}
  user:
    token: ${token}
contexts:
- name: charmkit
  context: {cluster: charmkit, user: ${user}, namespace: default}
current-context: charmkit
`;
fs.writeFileSync(kubeconfigPath, kubeconfig('charmkit-admin'), { mode: 0o600 });

const state = {
  ports,
  token,
  etcdDir,
  binDir,
  kubeVersion,
  pids: {},
  startedAt: new Date().toISOString(),
};
const saveState = () => fs.writeFileSync(statePath, JSON.stringify(state, null, 2));
saveState();

function start(name, args) {
  console.log(`charmkit: starting ${name}`);
  const log = fs.openSync(path.join(logs, `${name}.log`), 'w');
  const child = spawn(path.join(binDir, name === 'kwok' ? 'kwok' : name), args, {
    detached: true,
    stdio: ['ignore', log, log],
  });
  child.unref();
  state.pids[name] = child.pid;
  saveState();
  return child;
}

async function waitFor(what, check, timeoutMs = 60000) {
  console.log(`charmkit: waiting for ${what}`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const [name, pid] of Object.entries(state.pids)) {
      if (!processAlive(pid)) {
        throw new Error(
          `${name} exited while waiting for ${what}; see ${path.join(logs, name + '.log')}`,
        );
      }
    }
    if (await check()) return;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}; logs are in ${logs}`);
}

try {
  start('etcd', [
    '--name=charmkit',
    `--data-dir=${etcdDir}`,
    `--listen-client-urls=http://127.0.0.1:${ports.etcd}`,
    `--advertise-client-urls=http://127.0.0.1:${ports.etcd}`,
    `--listen-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
    `--initial-cluster=charmkit=http://127.0.0.1:${ports.etcdPeer}`,
    '--unsafe-no-fsync',
    '--log-level=warn',
  ]);
  await waitFor('etcd', async () => {
    try {
      const res = await fetch(`http://127.0.0.1:${ports.etcd}/health`);
      return res.ok;
    } catch {
      return false;
    }
  });

  start('kube-apiserver', [
    `--etcd-servers=http://127.0.0.1:${ports.etcd}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${ports.apiserver}`,
    '--endpoint-reconciler-type=none',
    `--tls-cert-file=${file('apiserver.crt')}`,
    `--tls-private-key-file=${file('apiserver.key')}`,
    `--client-ca-file=${file('ca.crt')}`,
    `--token-auth-file=${file('tokens.csv')}`,
    '--authorization-mode=RBAC',
    `--service-account-key-file=${file('sa.pub')}`,
    `--service-account-signing-key-file=${file('sa.key')}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    '--service-cluster-ip-range=10.96.0.0/16',
    '--allow-privileged=true',
    '--profiling=false',
    `--cert-dir=${pki}`,
    '--v=1',
  ]);
  await waitFor('kube-apiserver', () => apiserverReady(state), 90000);

  const componentKubeconfig = path.join(clusterDir, 'components.kubeconfig');
  fs.writeFileSync(componentKubeconfig, kubeconfig('charmkit-admin'), { mode: 0o600 });
  start('kube-controller-manager', [
    `--kubeconfig=${componentKubeconfig}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    '--secure-port=0',
    `--service-account-private-key-file=${file('sa.key')}`,
    `--root-ca-file=${file('ca.crt')}`,
    '--use-service-account-credentials=false',
    '--pvclaimbinder-sync-period=1s',
    '--controllers=*',
    '--v=1',
  ]);
  start('kube-scheduler', [
    `--kubeconfig=${componentKubeconfig}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    '--secure-port=0',
    '--v=1',
  ]);
  start('kwok', [
    `--kubeconfig=${componentKubeconfig}`,
    `--config=${path.join(binDir, 'kwok-stages.yaml')}`,
    '--manage-all-nodes=false',
    '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
    '--node-ip=127.0.0.1',
    `--server-address=127.0.0.1:${ports.kwok}`,
    '--node-lease-duration-seconds=40',
    '--cidr=10.244.0.1/16',
  ]);

  // --- fixtures every test relies on: fake nodes and storage classes
  for (const i of [0, 1]) {
    const name = `kwok-node-${i}`;
    const res = await apiRequest(state, 'POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          type: 'kwok',
        },
      },
      status: {
        allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
        capacity: { cpu: '32', memory: '256Gi', pods: '110' },
      },
    });
    if (res.status !== 201 && res.status !== 409)
      throw new Error(`creating node ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const storageClasses = [
    // The default class: claims bind to the hostPath PVs our fixtures create (no dynamic provisioner).
    { name: 'standard', isDefault: true, expand: true, mode: 'Immediate' },
    { name: 'fixed-size', isDefault: false, expand: false, mode: 'Immediate' },
    { name: 'wait-for-consumer', isDefault: false, expand: true, mode: 'WaitForFirstConsumer' },
  ];
  for (const sc of storageClasses) {
    const res = await apiRequest(state, 'POST', '/apis/storage.k8s.io/v1/storageclasses', {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: {
        name: sc.name,
        annotations: sc.isDefault ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {},
        labels: { 'charmkit.dev/fixture': 'true' },
      },
      provisioner: 'kubernetes.io/no-provisioner',
      volumeBindingMode: sc.mode,
      allowVolumeExpansion: sc.expand,
      reclaimPolicy: 'Retain',
    });
    if (res.status !== 201 && res.status !== 409)
      throw new Error(
        `creating StorageClass ${sc.name}: ${res.status} ${JSON.stringify(res.body)}`,
      );
  }

  await waitFor('kwok nodes to become Ready', async () => {
    const res = await apiRequest(state, 'GET', '/api/v1/nodes?labelSelector=type%3Dkwok');
    const nodes = res.body?.items ?? [];
    return (
      nodes.length === 2 &&
      nodes.every((n) =>
        n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      )
    );
  });
  await waitFor('the controller manager (default ServiceAccount)', async () => {
    const res = await apiRequest(
      state,
      'GET',
      '/api/v1/namespaces/default/serviceaccounts/default',
    );
    return res.status === 200;
  });
  const version = await apiRequest(state, 'GET', '/version');
  state.serverVersion = version.body?.gitVersion;
  saveState();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `charmkit: cluster up in ${seconds}s: kube-apiserver ${state.serverVersion} at https://127.0.0.1:${ports.apiserver}, built locally in ${binDir}`,
  );
  console.log(
    `charmkit: kubeconfig ${kubeconfigPath}; logs in ${logs}/; stop with 'npm run cluster:down'`,
  );
} catch (err) {
  console.error(`charmkit: cluster:up failed: ${err.message}`);
  execFileSync(
    process.execPath,
    [path.join(path.dirname(new URL(import.meta.url).pathname), 'down.mjs')],
    { stdio: 'inherit' },
  );
  // A port the kernel reported free can be taken by another process before our component binds
  // it. That race is not a failure of the cluster: start again on fresh ports, a bounded number
  // of times (CHARMKIT_UP_ATTEMPT counts them), and fail for anything else.
  const attempt = Number(process.env.CHARMKIT_UP_ATTEMPT ?? '1');
  const raced = Object.keys(state.pids).some((name) => {
    const log = path.join(logs, `${name}.log`);
    return fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('address already in use');
  });
  if (raced && attempt < 3) {
    console.error(
      `charmkit: a port was taken before we could bind it; starting again (attempt ${attempt + 1} of 3)`,
    );
    const retry = spawnSync(process.execPath, process.argv.slice(1), {
      stdio: 'inherit',
      env: { ...process.env, CHARMKIT_UP_ATTEMPT: String(attempt + 1) },
    });
    process.exit(retry.status ?? 1);
  }
  process.exit(1);
}
