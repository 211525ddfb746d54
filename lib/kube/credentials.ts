/**
 * Credentials for the API server: which source a controller uses (one order, `resolveCredentials`),
 * and how that source becomes what each request needs (the server URL, TLS material, headers).
 *
 * Two kinds of source, two ways of reading them:
 * - **The pod's service account** (every Juju hook): a token file, a CA bundle and two environment
 *   variables. We read them ourselves and never load @kubernetes/client-node on this path: merely
 *   importing it costs a hook process over half a second and more than 100 MB, several times what
 *   the whole hook needs otherwise. The token is re-read whenever the file changes, because the
 *   kubelet rotates projected tokens by replacing the file.
 * - **Kubeconfig files** (a laptop, CI, `--kubeconfig`): these carry auth plugins (exec, OIDC, token
 *   files) we do not reimplement, so client-node — a peer dependency — reads them. It is loaded
 *   with `import()` the first time such credentials are used, never at import time, so importing
 *   `charmkit` or `charmkit/testing` works even where client-node is absent.
 *
 * Why, and what it costs: docs/adr/0012-credentials-without-client-node.md.
 */
import fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { KubeConfigError, SelfResolutionError } from './errors.js';

/** Where the kubelet mounts a pod's service account (token, CA bundle, namespace). */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * What charmkit needs of a kubeconfig object. @kubernetes/client-node's `KubeConfig` (1.x and
 * 2.x) satisfies it; typing against this shape instead of the class means neither our declarations
 * nor our code import client-node to accept one.
 */
export interface KubeConfigLike {
  /** The current context's cluster; its `server` is the API server URL. */
  getCurrentCluster(): { readonly server: string } | null;
  /** Fills in TLS material, headers and (for proxies) an agent for one HTTPS request. */
  applyToHTTPSOptions(options: https.RequestOptions): Promise<void>;
}

/** Where to look for credentials; every field is optional (tests inject the surroundings). */
export interface CredentialOptions {
  /** A loaded kubeconfig object (client-node's `KubeConfig`), used as it is. */
  kubeConfig?: KubeConfigLike;
  /** A kubeconfig file to use. */
  kubeconfigPath?: string;
  /** The environment to read (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where the service account is mounted (default `SERVICE_ACCOUNT_DIR`). */
  serviceAccountDir?: string;
  /** The home directory holding `.kube/config` (default `os.homedir()`). */
  homeDir?: string;
}

/**
 * Credentials found by `resolveCredentials`: which source, and where its material lives. Nothing
 * is read or loaded yet; `createKubePort({ credentials })` does that when it sends a request.
 */
export type KubeCredentials =
  | {
      /** The pod's service account, read directly (no client-node). */
      readonly kind: 'service-account';
      /** For logs and messages, e.g. `in-cluster service account`. */
      readonly source: string;
      /** `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`. */
      readonly server: string;
      /** The bearer token, re-read whenever the file changes. */
      readonly tokenFile: string;
      /** The CA bundle the server's certificate must chain to. */
      readonly caFile: string;
    }
  | {
      /** Kubeconfig files, read by client-node (loaded on first use); later files merge in. */
      readonly kind: 'kubeconfig-files';
      readonly source: string;
      readonly files: readonly string[];
    }
  | {
      /** A kubeconfig object the caller loaded. */
      readonly kind: 'kubeconfig-object';
      readonly source: string;
      readonly kubeConfig: KubeConfigLike;
    };

/**
 * Finds credentials, trying in this order (the one order charmkit uses; `createKubePort()` without
 * credentials calls this):
 * 1. `options.kubeConfig`, then `options.kubeconfigPath` — whatever the caller chose;
 * 2. the pod's service account, when `KUBERNETES_SERVICE_HOST`/`_PORT` are set and a token is
 *    mounted;
 * 3. the files in `KUBECONFIG` (merged as kubectl merges them: the first current context wins),
 *    then `~/.kube/config`.
 *
 * The service account comes before `KUBECONFIG` because a controller in a pod must act as its own
 * service account, whose RBAC the operator granted, and not as whoever built the image. Throws a
 * `SelfResolutionError` listing every source tried when none applies.
 */
export function resolveCredentials(options: CredentialOptions = {}): KubeCredentials {
  if (options.kubeConfig) {
    return {
      kind: 'kubeconfig-object',
      source: 'options.kubeConfig',
      kubeConfig: options.kubeConfig,
    };
  }
  const tried: string[] = ['options.kubeConfig (not given)'];
  if (options.kubeconfigPath) {
    if (!fs.existsSync(options.kubeconfigPath)) {
      throw new SelfResolutionError(
        'credentials',
        [...tried, `options.kubeconfigPath (${options.kubeconfigPath} does not exist)`],
        'Fix the path.',
      );
    }
    return {
      kind: 'kubeconfig-files',
      source: `kubeconfig ${options.kubeconfigPath}`,
      files: [options.kubeconfigPath],
    };
  }
  tried.push('options.kubeconfigPath (not given)');

  const env = options.env ?? process.env;
  const saDir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const tokenFile = path.join(saDir, 'token');
  if (host && port && fs.existsSync(tokenFile)) {
    return {
      kind: 'service-account',
      source: 'in-cluster service account',
      server: host.includes(':') ? `https://[${host}]:${port}` : `https://${host}:${port}`,
      tokenFile,
      caFile: path.join(saDir, 'ca.crt'),
    };
  }
  tried.push(
    host && port
      ? `in-cluster service account (${tokenFile} absent)`
      : 'in-cluster service account (KUBERNETES_SERVICE_HOST/PORT unset)',
  );

  const files = (env.KUBECONFIG ?? '').split(path.delimiter).filter((f) => f && fs.existsSync(f));
  if (files.length > 0) {
    return {
      kind: 'kubeconfig-files',
      source: `KUBECONFIG=${files.join(path.delimiter)}`,
      files,
    };
  }
  tried.push(
    env.KUBECONFIG ? `KUBECONFIG (${env.KUBECONFIG}: no such file)` : 'KUBECONFIG (unset)',
  );

  const fallback = path.join(options.homeDir ?? os.homedir(), '.kube', 'config');
  if (fs.existsSync(fallback)) {
    return { kind: 'kubeconfig-files', source: `kubeconfig ${fallback}`, files: [fallback] };
  }
  tried.push(`${fallback} (absent)`);
  throw new SelfResolutionError(
    'credentials',
    tried,
    'Run in a pod with a service account, or pass { kubeconfigPath } / set KUBECONFIG.',
  );
}

/** What one request needs from the credentials. */
export interface RequestCredentials {
  /** The API server URL (may carry a path prefix). */
  server: string;
  /** Authorization and any other headers the source requires. */
  headers: http.OutgoingHttpHeaders;
  /**
   * TLS options for a connection to `server` (CA, client certificate, verification). The transport
   * keeps one keep-alive agent per distinct set. Absent when `agent` is given.
   */
  tls?: https.AgentOptions;
  /** An agent to use as it is (a proxy agent a kubeconfig asked for). */
  agent?: http.Agent;
}

/** Turns credentials into request material; the transport asks once per request. */
export interface CredentialProvider {
  readonly source: string;
  forRequest(): Promise<RequestCredentials>;
}

/**
 * The provider for `credentials`. Fails at once, before any request, on a kubeconfig object
 * without a current cluster; a kubeconfig file is only read (and client-node only loaded) when
 * the first request needs it.
 */
export function credentialProvider(credentials: KubeCredentials): CredentialProvider {
  switch (credentials.kind) {
    case 'service-account':
      return new ServiceAccountProvider(credentials);
    case 'kubeconfig-object':
      if (!credentials.kubeConfig.getCurrentCluster()?.server) {
        throw new KubeConfigError(
          `the kubeconfig (${credentials.source}) has no current cluster with a server URL`,
        );
      }
      return new KubeConfigProvider(credentials.source, () =>
        Promise.resolve(credentials.kubeConfig),
      );
    case 'kubeconfig-files':
      return new KubeConfigProvider(credentials.source, () =>
        loadKubeconfigFiles(credentials.files, credentials.source),
      );
  }
}

class ServiceAccountProvider implements CredentialProvider {
  readonly source: string;
  private readonly token: WatchedFile;
  private readonly ca: WatchedFile;
  private readonly server: string;

  constructor(credentials: Extract<KubeCredentials, { kind: 'service-account' }>) {
    this.source = credentials.source;
    this.server = credentials.server;
    this.token = new WatchedFile(credentials.tokenFile, 'token');
    this.ca = new WatchedFile(credentials.caFile, 'CA bundle');
  }

  async forRequest(): Promise<RequestCredentials> {
    const [token, ca] = await Promise.all([this.token.read(), this.ca.read()]).catch(
      (error: unknown) => {
        throw new KubeConfigError(
          `cannot load credentials for ${this.server} from the ${this.source}: ${messageOf(error)}`,
          { cause: error },
        );
      },
    );
    const bearer = token.trim();
    if (!bearer) {
      throw new KubeConfigError(
        `cannot load credentials for ${this.server} from the ${this.source}: ${this.token.file} is empty`,
      );
    }
    return { server: this.server, headers: { Authorization: `Bearer ${bearer}` }, tls: { ca } };
  }
}

/**
 * A small file read again only when it changed. The kubelet updates a projected volume by writing
 * a new directory and swapping a symlink, so a rotated token is a different file (inode); an edit
 * in place changes size or modification time. One `stat` per request is the whole cost.
 */
class WatchedFile {
  private stamp = '';
  private content = '';

  constructor(
    readonly file: string,
    private readonly what: string,
  ) {}

  async read(): Promise<string> {
    let stamp: string;
    try {
      const st = await fs.promises.stat(this.file);
      stamp = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
      if (stamp === this.stamp) return this.content;
      this.content = await fs.promises.readFile(this.file, 'utf8');
    } catch (error) {
      throw new Error(`cannot read the ${this.what} ${this.file} (${codeOf(error)})`, {
        cause: error,
      });
    }
    // A swap between the stat and the read leaves a stale stamp, so the next call reads again.
    this.stamp = stamp;
    return this.content;
  }
}

class KubeConfigProvider implements CredentialProvider {
  private loaded: Promise<KubeConfigLike> | undefined;

  constructor(
    readonly source: string,
    private readonly load: () => Promise<KubeConfigLike>,
  ) {}

  async forRequest(): Promise<RequestCredentials> {
    // A failed load is kept: it is a configuration problem, and retrying cannot fix it.
    this.loaded ??= this.load();
    const kubeConfig = await this.loaded;
    const server = kubeConfig.getCurrentCluster()?.server;
    if (!server) {
      throw new KubeConfigError(
        `the kubeconfig (${this.source}) has no current cluster with a server URL`,
      );
    }
    const options: https.RequestOptions = {};
    try {
      await kubeConfig.applyToHTTPSOptions(options);
    } catch (error) {
      // A token file that cannot be read or an exec plugin that fails will not heal on retry.
      throw new KubeConfigError(
        `cannot load credentials for ${server} from the kubeconfig (${this.source}): ${messageOf(error)}`,
        { cause: error },
      );
    }
    return { server, ...fromHttpsOptions(options) };
  }
}

/** TLS options that decide which server certificates are trusted and which client identity is shown. */
const TLS_KEYS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'];

/**
 * What client-node's `applyToHTTPSOptions` produced, as request credentials. It builds a fresh,
 * non-keep-alive `https.Agent` every time; we keep only that agent's options so the transport can
 * reuse one keep-alive connection. Proxy agents (and anything else that is not a plain
 * `https.Agent`) are used as they are.
 */
function fromHttpsOptions(options: https.RequestOptions): Omit<RequestCredentials, 'server'> {
  const headers: http.OutgoingHttpHeaders = {};
  const given = options.headers;
  if (Array.isArray(given)) {
    // The raw form: name, value, name, value, ...
    for (let i = 0; i + 1 < given.length; i += 2) headers[given[i] as string] = given[i + 1];
  } else if (given) {
    Object.assign(headers, given);
  }
  if (options.auth) {
    headers.Authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`;
  }
  const agent = options.agent;
  if (agent instanceof https.Agent && Object.getPrototypeOf(agent) === https.Agent.prototype) {
    const agentOptions = (agent as https.Agent & { options: https.AgentOptions }).options;
    const tls: Record<string, unknown> = {};
    for (const key of Object.keys(agentOptions)) {
      const value = (agentOptions as Record<string, unknown>)[key];
      if (value !== undefined && value !== null) tls[key] = value;
    }
    return { headers, tls: tls as https.AgentOptions };
  }
  if (agent instanceof http.Agent) return { headers, agent };
  const tls: Record<string, unknown> = {};
  for (const key of TLS_KEYS) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) tls[key] = value;
  }
  return { headers, tls: tls as https.AgentOptions };
}

/** A stable key for the TLS options that matter, so equal material shares one agent. */
export function tlsKey(tls: https.AgentOptions): string {
  return JSON.stringify(
    TLS_KEYS.map((name) => {
      const value = (tls as Record<string, unknown>)[name];
      return Buffer.isBuffer(value) ? value.toString('base64') : String(value);
    }),
  );
}

/**
 * What to install on this Node: client-node 2.x needs Node >= 22.19 (its undici does), and npm
 * installs the latest major whatever Node runs it, so older Node must ask for 1.x by name.
 */
function clientNodeSpec(): string {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const current = major > 22 || (major === 22 && minor >= 19);
  return `@kubernetes/client-node${current ? '' : '@1: 2.x needs Node >= 22.19'}`;
}

/**
 * Reads kubeconfig files with client-node, loading it now (the only place charmkit imports it).
 * Exported for tests; not part of the public API.
 */
export async function loadKubeconfigFiles(
  files: readonly string[],
  source: string,
): Promise<KubeConfigLike> {
  let clientNode: typeof import('@kubernetes/client-node');
  try {
    clientNode = await import('@kubernetes/client-node');
  } catch (error) {
    throw new KubeConfigError(
      `reading the kubeconfig (${source}) needs the peer dependency @kubernetes/client-node, which ` +
        `could not be loaded (${messageOf(error)}). Install it next to charmkit ` +
        `(npm i ${clientNodeSpec()}), or run in a pod with a service account, which needs no kubeconfig.`,
      { cause: error },
    );
  }
  try {
    const kubeConfig = new clientNode.KubeConfig();
    const [first, ...more] = files;
    if (first === undefined) throw new Error('no kubeconfig file given');
    kubeConfig.loadFromFile(first);
    for (const file of more) {
      const extra = new clientNode.KubeConfig();
      extra.loadFromFile(file);
      // As kubectl does: the first file that names a current context decides it.
      kubeConfig.mergeConfig(extra, Boolean(kubeConfig.currentContext));
    }
    return kubeConfig;
  } catch (error) {
    throw new KubeConfigError(`cannot read the kubeconfig (${source}): ${messageOf(error)}`, {
      cause: error,
    });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function codeOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : messageOf(error);
}
