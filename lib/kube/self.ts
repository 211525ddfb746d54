/**
 * Finding the controller's own StatefulSet, and the credentials to patch it.
 *
 * A charm-like controller runs in a pod of the StatefulSet it manages, so both the object and
 * the API access are implied by where it runs: under Juju the model name is the namespace and the
 * unit name (`radarr/0`) carries the application name, which is the StatefulSet's; in any pod the
 * service account mounts its namespace and token. We try those sources in a fixed, documented
 * order and, when none applies, fail with an error listing every source we looked at, because
 * "which object did it patch?" must never be a guess.
 */
import { CharmkitError } from '../core/errors.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { ObjectRef } from './port.js';

/** Where the kubelet mounts a pod's service account (token, CA bundle, namespace). */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Explicit answers and injectable surroundings; everything is optional. */
export interface SelfOptions {
  /** The StatefulSet name; wins over every other source. */
  name?: string;
  /** The namespace; wins over every other source. */
  namespace?: string;
  /** Credentials to use as they are. */
  kubeConfig?: KubeConfig;
  /** A kubeconfig file to load. */
  kubeconfigPath?: string;
  /** The environment to read (default `process.env`); injectable for tests. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where the service account is mounted (default `SERVICE_ACCOUNT_DIR`); injectable for tests. */
  serviceAccountDir?: string;
  /** The home directory holding `.kube/config` (default `os.homedir()`); injectable for tests. */
  homeDir?: string;
}

/** The controller's own StatefulSet and where each part of its identity came from. */
export interface SelfIdentity {
  name: string;
  namespace: string;
  /** e.g. `options.name`, `JUJU_UNIT_NAME`, `HOSTNAME`. */
  nameSource: string;
  /** e.g. `options.namespace`, `JUJU_MODEL_NAME`, `/var/run/.../namespace`. */
  namespaceSource: string;
}

/** A loaded KubeConfig and which source it came from (for logs and error messages). */
export interface SelfCredentials {
  kubeConfig: KubeConfig;
  /** e.g. `options.kubeConfig`, `in-cluster service account`, `KUBECONFIG=/path`. */
  source: string;
}

/** Everything needed to patch one's own StatefulSet. */
export interface SelfTarget extends SelfIdentity {
  /** A ref usable with any `KubePort`. */
  ref: ObjectRef;
  credentials: SelfCredentials;
}

/**
 * The controller's own StatefulSet (or its credentials) could not be determined. `tried` lists
 * each source with what was found there, so the message says exactly what to set.
 */
export class SelfResolutionError extends CharmkitError {
  override readonly name = 'SelfResolutionError';
  readonly remedy = 'fix' as const;
  constructor(
    /** What could not be resolved. */
    readonly missing: 'name' | 'namespace' | 'credentials',
    /** Each source tried, with why it did not answer. */
    readonly tried: readonly string[],
    hint: string,
  ) {
    super(
      `cannot determine this controller's own StatefulSet ${missing}: tried ${tried.join('; ')}. ${hint}`,
    );
  }
}

const JUJU_UNIT = /^([a-z][a-z0-9-]*)\/\d+$/;
const STATEFULSET_POD = /^(.+)-(\d+)$/;

function inCluster(env: Readonly<Record<string, string | undefined>>, saDir: string): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST) || fs.existsSync(path.join(saDir, 'namespace'));
}

/**
 * Name and namespace of the controller's own StatefulSet.
 *
 * Name: `options.name`, then `JUJU_UNIT_NAME` without its `/N`, then — only inside a pod — the
 * `HOSTNAME` of a StatefulSet pod (`<name>-<ordinal>`). Namespace: `options.namespace`, then
 * `JUJU_MODEL_NAME`, then the service account's namespace file.
 */
export function resolveSelfIdentity(options: SelfOptions = {}): SelfIdentity {
  const env = options.env ?? process.env;
  const saDir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const podContext = inCluster(env, saDir);

  const nameTried: string[] = [];
  let name: string | undefined;
  let nameSource = '';
  if (options.name) {
    name = options.name;
    nameSource = 'options.name';
  } else {
    nameTried.push('options.name (not given)');
    const unit = env.JUJU_UNIT_NAME;
    const unitMatch = unit ? JUJU_UNIT.exec(unit) : null;
    if (unitMatch?.[1]) {
      name = unitMatch[1];
      nameSource = 'JUJU_UNIT_NAME';
    } else {
      nameTried.push(
        unit
          ? `JUJU_UNIT_NAME (${JSON.stringify(unit)} is not <app>/<number>)`
          : 'JUJU_UNIT_NAME (unset)',
      );
      const host = env.HOSTNAME;
      const hostMatch = host ? STATEFULSET_POD.exec(host) : null;
      if (podContext && hostMatch?.[1]) {
        name = hostMatch[1];
        nameSource = 'HOSTNAME';
      } else if (!podContext) {
        nameTried.push('HOSTNAME (not used outside a pod)');
      } else {
        nameTried.push(
          host
            ? `HOSTNAME (${JSON.stringify(host)} is not a StatefulSet pod name <name>-<ordinal>)`
            : 'HOSTNAME (unset)',
        );
      }
    }
  }
  if (!name) {
    throw new SelfResolutionError(
      'name',
      nameTried,
      'Pass { name } or run as a Juju unit (JUJU_UNIT_NAME).',
    );
  }

  const nsTried: string[] = [];
  let namespace: string | undefined;
  let namespaceSource = '';
  if (options.namespace) {
    namespace = options.namespace;
    namespaceSource = 'options.namespace';
  } else {
    nsTried.push('options.namespace (not given)');
    if (env.JUJU_MODEL_NAME) {
      namespace = env.JUJU_MODEL_NAME;
      namespaceSource = 'JUJU_MODEL_NAME';
    } else {
      nsTried.push('JUJU_MODEL_NAME (unset)');
      const file = path.join(saDir, 'namespace');
      const fromFile = readTrimmed(file);
      if (fromFile) {
        namespace = fromFile;
        namespaceSource = file;
      } else {
        nsTried.push(`${file} (${fromFile === '' ? 'empty' : 'absent'})`);
      }
    }
  }
  if (!namespace) {
    throw new SelfResolutionError(
      'namespace',
      nsTried,
      'Pass { namespace }, run as a Juju unit (JUJU_MODEL_NAME), or run in a pod with a service account.',
    );
  }
  return { name, namespace, nameSource, namespaceSource };
}

/**
 * Credentials, in this order: `options.kubeConfig`, `options.kubeconfigPath`, the pod's service
 * account (when `KUBERNETES_SERVICE_HOST` is set and a token is mounted), `KUBECONFIG`,
 * `~/.kube/config`. In-cluster comes before KUBECONFIG because a controller in a pod must act as
 * its own service account (whose RBAC the operator granted), not as whoever built the image.
 */
export function resolveCredentials(options: SelfOptions = {}): SelfCredentials {
  if (options.kubeConfig) return { kubeConfig: options.kubeConfig, source: 'options.kubeConfig' };
  const tried: string[] = ['options.kubeConfig (not given)'];
  if (options.kubeconfigPath) {
    if (!fs.existsSync(options.kubeconfigPath)) {
      throw new SelfResolutionError(
        'credentials',
        [...tried, `options.kubeconfigPath (${options.kubeconfigPath} does not exist)`],
        'Fix the path.',
      );
    }
    const kc = new KubeConfig();
    kc.loadFromFile(options.kubeconfigPath);
    return { kubeConfig: kc, source: `kubeconfig ${options.kubeconfigPath}` };
  }
  tried.push('options.kubeconfigPath (not given)');

  const env = options.env ?? process.env;
  const saDir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const tokenFile = path.join(saDir, 'token');
  if (host && port && fs.existsSync(tokenFile)) {
    const server = host.includes(':') ? `https://[${host}]:${port}` : `https://${host}:${port}`;
    const kc = new KubeConfig();
    // The tokenFile auth provider re-reads the token, so projected tokens that rotate keep working.
    kc.loadFromClusterAndUser(
      { name: 'in-cluster', server, caFile: path.join(saDir, 'ca.crt'), skipTLSVerify: false },
      { name: 'in-cluster', authProvider: { name: 'tokenFile', config: { tokenFile } } },
    );
    return { kubeConfig: kc, source: 'in-cluster service account' };
  }
  tried.push(
    host && port
      ? `in-cluster service account (${tokenFile} absent)`
      : 'in-cluster service account (KUBERNETES_SERVICE_HOST/PORT unset)',
  );

  const files = (env.KUBECONFIG ?? '').split(path.delimiter).filter((f) => f && fs.existsSync(f));
  if (files.length > 0) {
    const kc = new KubeConfig();
    kc.loadFromFile(files[0] as string);
    for (const extra of files.slice(1)) {
      const more = new KubeConfig();
      more.loadFromFile(extra);
      kc.mergeConfig(more);
    }
    return { kubeConfig: kc, source: `KUBECONFIG=${files.join(path.delimiter)}` };
  }
  tried.push(
    env.KUBECONFIG ? `KUBECONFIG (${env.KUBECONFIG}: no such file)` : 'KUBECONFIG (unset)',
  );

  const home = options.homeDir ?? os.homedir();
  const fallback = path.join(home, '.kube', 'config');
  if (fs.existsSync(fallback)) {
    const kc = new KubeConfig();
    kc.loadFromFile(fallback);
    return { kubeConfig: kc, source: `kubeconfig ${fallback}` };
  }
  tried.push(`${fallback} (absent)`);
  throw new SelfResolutionError(
    'credentials',
    tried,
    'Run in a pod with a service account, or pass { kubeconfigPath } / set KUBECONFIG.',
  );
}

/** The controller's own StatefulSet and the credentials to reach it; see the two resolvers. */
export function resolveSelf(options: SelfOptions = {}): SelfTarget {
  const identity = resolveSelfIdentity(options);
  const credentials = resolveCredentials(options);
  return {
    ...identity,
    ref: {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      namespace: identity.namespace,
      name: identity.name,
    },
    credentials,
  };
}

function readTrimmed(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}
