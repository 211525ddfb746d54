#!/usr/bin/env node
// Generates lib/testing/generated/patch-metadata.ts: the strategic-merge-patch metadata of the
// kinds charmkit works with, read from a real API server's OpenAPI v2 document.
//
// Why generated: which lists merge (and on which key) is part of the API schema, not something to
// remember. The table lets FakeCluster merge exactly as the server it was generated from.
//
// Usage:
//   node scripts/gen-patch-metadata.mjs                       # from the test cluster
//   node scripts/gen-patch-metadata.mjs --kubeconfig <path>   # from another (loopback) cluster
//   node scripts/gen-patch-metadata.mjs --input openapi.json --version v1.37.2   # offline
//   ... --out <file>                                          # write elsewhere
//
// The output keeps only what the merge needs: for each definition reachable from the root kinds,
// the fields that carry x-kubernetes-patch-strategy / x-kubernetes-patch-merge-key, the fields
// that are maps (the server drops empty maps, not empty structs), and the $ref path leading to
// such fields. Everything else is a plain field and needs no entry.
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The kinds whose types we need: what charmkit and its users read and write. */
const ROOT_KINDS = [
  'v1/Pod',
  'v1/PersistentVolumeClaim',
  'v1/PersistentVolume',
  'v1/ConfigMap',
  'v1/Secret',
  'v1/Service',
  'v1/Namespace',
  'v1/ServiceAccount',
  'v1/Event',
  'v1/Node',
  'v1/ResourceQuota',
  'v1/Endpoints',
  'apps/v1/StatefulSet',
  'apps/v1/Deployment',
  'apps/v1/DaemonSet',
  'apps/v1/ReplicaSet',
  'apps/v1/ControllerRevision',
  'batch/v1/Job',
  'batch/v1/CronJob',
  'networking.k8s.io/v1/NetworkPolicy',
  'networking.k8s.io/v1/Ingress',
  'storage.k8s.io/v1/StorageClass',
  'storage.k8s.io/v1/CSIDriver',
  'rbac.authorization.k8s.io/v1/Role',
  'rbac.authorization.k8s.io/v1/RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRole',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding',
  'coordination.k8s.io/v1/Lease',
  'policy/v1/PodDisruptionBudget',
];

function parseArgs(argv) {
  const args = {
    kubeconfig: process.env.KUBECONFIG_CHARMKIT ?? path.join(root, '.cluster', 'kubeconfig'),
    out: path.join(root, 'lib', 'testing', 'generated', 'patch-metadata.ts'),
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--kubeconfig') args.kubeconfig = value;
    else if (flag === '--input') args.input = value;
    else if (flag === '--version') args.version = value;
    else if (flag === '--out') args.out = value;
    else if (flag === '--save-openapi') args.saveOpenapi = value;
    else throw new Error(`unknown argument ${flag}`);
    i++;
  }
  return args;
}

/** GET `urlPath` from the kubeconfig's current cluster, with its CA and credentials. */
async function fetchJson(kubeconfigPath, urlPath) {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error(`${kubeconfigPath} has no current cluster`);
  const url = new URL(urlPath, server);
  if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') {
    throw new Error(`refusing to contact ${url.hostname}: only loopback clusters are supported`);
  }
  const options = {
    method: 'GET',
    host: url.hostname,
    port: url.port,
    path: url.pathname,
    headers: { accept: 'application/json' },
  };
  await kc.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const req = https.request(options, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) {
          reject(new Error(`GET ${urlPath} -> ${res.statusCode}: ${text.slice(0, 300)}`));
          return;
        }
        resolve(JSON.parse(text));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function refName(ref) {
  return ref?.startsWith('#/definitions/') ? ref.slice('#/definitions/'.length) : undefined;
}

/** The definition a property leads to: itself, its items, or its map values. */
function targetOf(prop) {
  return (
    refName(prop.$ref) ?? refName(prop.items?.$ref) ?? refName(prop.additionalProperties?.$ref)
  );
}

function isMap(prop) {
  return prop.type === 'object' && prop.additionalProperties !== undefined && !prop.$ref;
}

/** Maps `apiVersion/kind` to its definition, from `x-kubernetes-group-version-kind`. */
function kindIndex(definitions) {
  const index = new Map();
  for (const [name, def] of Object.entries(definitions)) {
    for (const gvk of def['x-kubernetes-group-version-kind'] ?? []) {
      const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
      index.set(`${apiVersion}/${gvk.kind}`, name);
    }
  }
  return index;
}

/** Every definition reachable from `roots` through $ref. */
function reachable(definitions, roots) {
  const seen = new Set();
  const stack = [...roots];
  while (stack.length > 0) {
    const name = stack.pop();
    if (seen.has(name) || !definitions[name]) continue;
    seen.add(name);
    for (const prop of Object.values(definitions[name].properties ?? {})) {
      const target = targetOf(prop);
      if (target) stack.push(target);
    }
  }
  return seen;
}

/** Fields worth an entry: a strategy, a merge key, a map, or a $ref to an interesting type. */
function buildTable(definitions, names) {
  const interesting = new Set();
  let changed = true;
  while (changed) {
    changed = false;
    for (const name of names) {
      if (interesting.has(name)) continue;
      const props = Object.values(definitions[name].properties ?? {});
      const hit = props.some(
        (prop) =>
          prop['x-kubernetes-patch-strategy'] ||
          prop['x-kubernetes-patch-merge-key'] ||
          isMap(prop) ||
          interesting.has(targetOf(prop)),
      );
      if (hit) {
        interesting.add(name);
        changed = true;
      }
    }
  }
  const table = {};
  for (const name of [...interesting].sort()) {
    const fields = {};
    for (const [field, prop] of Object.entries(definitions[name].properties ?? {}).sort(
      ([a], [b]) => (a < b ? -1 : a > b ? 1 : 0),
    )) {
      const entry = {};
      const target = targetOf(prop);
      if (target && interesting.has(target)) entry.ref = target;
      if (prop['x-kubernetes-patch-strategy']) entry.strategy = prop['x-kubernetes-patch-strategy'];
      if (prop['x-kubernetes-patch-merge-key']) entry.key = prop['x-kubernetes-patch-merge-key'];
      if (isMap(prop)) entry.map = true;
      if (Object.keys(entry).length > 0) fields[field] = entry;
    }
    table[name] = fields;
  }
  return table;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  let openapi;
  let version = args.version;
  if (args.input) {
    openapi = JSON.parse(fs.readFileSync(args.input, 'utf8'));
    if (!version) throw new Error('--input needs --version (the gitVersion it came from)');
  } else {
    if (!fs.existsSync(args.kubeconfig)) {
      throw new Error(`no kubeconfig at ${args.kubeconfig}; is the test cluster up?`);
    }
    openapi = await fetchJson(args.kubeconfig, '/openapi/v2');
    version ??= (await fetchJson(args.kubeconfig, '/version')).gitVersion;
    if (args.saveOpenapi) fs.writeFileSync(args.saveOpenapi, JSON.stringify(openapi));
  }
  const definitions = openapi.definitions ?? {};
  const index = kindIndex(definitions);
  const kinds = {};
  const missing = [];
  for (const kind of ROOT_KINDS) {
    const name = index.get(kind);
    if (name) kinds[kind] = name;
    else missing.push(kind);
  }
  if (missing.length > 0) throw new Error(`the OpenAPI document lacks ${missing.join(', ')}`);
  const table = buildTable(definitions, reachable(definitions, Object.values(kinds)));
  for (const name of Object.values(kinds)) {
    // Every root kind needs an entry, even one with nothing to merge, so the fake knows it.
    table[name] ??= {};
  }

  const body = JSON.stringify({ kubeVersion: version, kinds, definitions: table }, null, 2);
  const source =
    `// Generated by scripts/gen-patch-metadata.mjs from kube-apiserver ${version} /openapi/v2.\n` +
    `// Do not edit: regenerate with \`node scripts/gen-patch-metadata.mjs\` against a running cluster.\n` +
    `import type { PatchMetadataTable } from '../strategic-merge-metadata.js';\n\n` +
    `/** Strategic-merge metadata of the kinds charmkit uses, as served by ${version}. */\n` +
    `export const PATCH_METADATA: PatchMetadataTable = ${body};\n`;
  const prettier = await import('prettier');
  // The repository's style, wherever the file is written.
  const config = (await prettier.resolveConfig(path.join(root, 'lib', 'testing', 'x.ts'))) ?? {};
  const formatted = await prettier.format(source, { ...config, parser: 'typescript' });
  fs.mkdirSync(path.dirname(args.out), { recursive: true });
  fs.writeFileSync(args.out, formatted);
  const fieldCount = Object.values(table).reduce((n, f) => n + Object.keys(f).length, 0);
  console.log(
    `wrote ${path.relative(root, args.out)}: ${Object.keys(kinds).length} kinds, ` +
      `${Object.keys(table).length} definitions, ${fieldCount} fields (from ${version})`,
  );
}

main().catch((err) => {
  console.error(`gen-patch-metadata: ${err.message}`);
  process.exit(1);
});
