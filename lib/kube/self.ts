/**
 * Finding the controller's own StatefulSet.
 *
 * A charm-like controller runs in a pod of the StatefulSet it manages, so the object is implied by
 * where it runs: under Juju the model name is the namespace and the unit name (`radarr/0`) carries
 * the application name, which is the StatefulSet's; in any pod the service account mounts its
 * namespace. We try those sources in a fixed, documented order and, when none applies, fail with an
 * error listing every source we looked at, because "which object did it patch?" must never be a
 * guess. The credentials to reach it come from `credentials.ts`.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  resolveCredentials,
  SERVICE_ACCOUNT_DIR,
  type CredentialOptions,
  type KubeCredentials,
} from './credentials.js';
import { SelfResolutionError } from './errors.js';
import type { ObjectRef } from './port.js';

/** Explicit answers, where to find credentials, and injectable surroundings; all optional. */
export interface SelfOptions extends CredentialOptions {
  /** The StatefulSet name; wins over every other source. */
  name?: string;
  /** The namespace; wins over every other source. */
  namespace?: string;
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

/** Everything needed to patch one's own StatefulSet. */
export interface SelfTarget extends SelfIdentity {
  /** A ref usable with any `KubePort`. */
  ref: ObjectRef;
  /** See `resolveCredentials`; pass as `createKubePort({ credentials })`. */
  credentials: KubeCredentials;
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
