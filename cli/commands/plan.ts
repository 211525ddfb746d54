/**
 * `charmkit plan`: what one reconcile of a controller would change on a real cluster, shown as
 * diffs, found by running the reconcile with every write sent as a server-side dry run.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createKubePort,
  RequestLog,
  writes as writesOf,
  type KubeObject,
  type KubePort,
  type RequestRecord,
  type StatefulSet,
} from 'charmkit/kube';
import { MemoryModel, type RelationBackend, type Status } from 'charmkit/relations';
import type { Command } from '../command.js';
import { EXAMPLES, type ControllerContext } from '../controllers.js';
import { objectDiff } from '../diff.js';
import { dryRunPort, type DryRunWrite } from '../dry-run.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';

/** What a user's controller module exports by default for `--module`. */
export type ControllerFactory = (context: {
  readonly backend: RelationBackend;
  readonly kube: KubePort;
  readonly namespace: string;
  readonly statefulSet: string;
}) => { reconcile(): Promise<{ readonly status: Status }> };

/** A relation given on the command line: `endpoint[:remote-app]=<JSON of the remote app bag>`. */
export interface PlannedRelation {
  readonly endpoint: string;
  readonly remoteApp: string;
  readonly data: Readonly<Record<string, string>>;
}

/** What `runPlan` found. */
export interface PlanOutcome {
  readonly status: Status;
  readonly writes: readonly DryRunWrite[];
  readonly requests: readonly RequestRecord[];
}

/** Parses one `--relation` value. */
export function parseRelation(text: string): PlannedRelation {
  const at = text.indexOf('=');
  if (at <= 0)
    throw new CliError(
      `--relation "${text}": expected endpoint[:remote-app]=<JSON object>`,
      EXIT.usage,
    );
  const [endpoint, remoteApp] = text.slice(0, at).split(':');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(at + 1));
  } catch (failure) {
    throw new CliError(
      `--relation ${endpoint}: not JSON (${(failure as Error).message})`,
      EXIT.usage,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliError(
      `--relation ${endpoint}: the remote application's bag must be a JSON object`,
      EXIT.usage,
    );
  }
  // Relation data is strings; nested values are sent as the JSON text a provider would write.
  const data = Object.fromEntries(
    Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
  return { endpoint: endpoint!, remoteApp: remoteApp || endpoint!, data };
}

/**
 * Runs one reconcile of `build` against `kube` with every write as a server-side dry run, the
 * relations seeded in memory as the remote applications would have published them.
 */
export async function runPlan(
  kube: KubePort,
  log: RequestLog,
  target: { namespace: string; statefulSet: string },
  relations: readonly PlannedRelation[],
  build: (
    backend: RelationBackend,
    kube: KubePort,
  ) => { reconcile(): Promise<{ readonly status: Status }> },
): Promise<PlanOutcome> {
  const model = new MemoryModel({ name: target.namespace });
  const backend = model.backend(`${target.statefulSet}/0`, { leader: true });
  for (const relation of relations) {
    backend.addRelation({
      endpoint: relation.endpoint,
      remoteApp: relation.remoteApp,
      remoteAppData: relation.data,
    });
  }
  const dry = dryRunPort(kube);
  const from = log.requests.length;
  const result = await build(backend, dry.kube).reconcile();
  return { status: result.status, writes: dry.writes, requests: log.requests.slice(from) };
}

export const planCommand: Command = {
  name: 'plan',
  summary: 'show what a reconcile would change on a cluster (server-side dry run, writes nothing)',
  usage:
    '<example> | --module <file.js>  --namespace <ns> [--relation endpoint=<json>]... [options]',
  description: [
    'Runs one reconcile of an example controller (radarr, qbittorrent, gluetun) or of your own',
    '(--module: a JS module whose default export takes { backend, kube, namespace, statefulSet }',
    'and returns an object with reconcile()) against a real cluster, with every write sent as a',
    'server-side dry run: the API server admits, defaults and validates it and answers with the',
    'result, but stores nothing. Prints each write it would make as a diff (the StatefulSet as',
    'its pod template), the status it would set, and the requests: only reads and dry runs.',
    '',
    'Relation data comes from --relation, as the remote application would publish it:',
    '  --relation storage=\'{"pvc-name":"media-shared","mount-path":"/data"}\'',
    '  --relation vpn-gateway:gluetun=\'{"config":{"routing_method":"pod-gateway",...}}\'',
  ].join('\n'),
  options: {
    namespace: {
      type: 'string',
      short: 'n',
      value: 'ns',
      help: 'the namespace of the StatefulSet',
    },
    statefulset: {
      type: 'string',
      value: 'name',
      help: 'the StatefulSet (default: the example name)',
    },
    relation: {
      type: 'string',
      multiple: true,
      value: 'endpoint[:app]=json',
      help: "a relation and the remote application's bag (repeatable)",
    },
    module: { type: 'string', value: 'file', help: 'your controller module instead of an example' },
    kubeconfig: {
      type: 'string',
      value: 'file',
      help: 'credentials (default: KUBECONFIG, ~/.kube/config or in-cluster)',
    },
    'cluster-cidrs': {
      type: 'string',
      value: 'cidrs',
      help: 'gluetun: cluster ranges (default 10.244.0.0/16,10.96.0.0/16)',
    },
    'dns-ip': {
      type: 'string',
      value: 'ip',
      help: 'gluetun: the cluster DNS address (default: discovered)',
    },
  },
  exitCodes: '1 when the reconcile would end in an error status',
  async run({ values, positionals, out, err }) {
    const example = positionals[0];
    const modulePath = values.module as string | undefined;
    if (!example && !modulePath)
      throw new CliError('name an example or pass --module <file.js>', EXIT.usage);
    if (example && !EXAMPLES[example]) {
      throw new CliError(
        `unknown example "${example}" (known: ${Object.keys(EXAMPLES).join(', ')})`,
        EXIT.usage,
      );
    }
    const namespace = values.namespace as string | undefined;
    if (!namespace) throw new CliError('--namespace is required', EXIT.usage);
    const statefulSet = (values.statefulset as string | undefined) ?? example;
    if (!statefulSet) throw new CliError('--statefulset is required with --module', EXIT.usage);
    const relations = ((values.relation as string[] | undefined) ?? []).map(parseRelation);

    let factory: ControllerFactory | undefined;
    if (modulePath) {
      const loaded = (await import(pathToFileURL(path.resolve(modulePath)).href)) as {
        default?: unknown;
      };
      if (typeof loaded.default !== 'function') {
        throw new CliError(
          `${modulePath} has no default export function (see charmkit plan --help)`,
          EXIT.usage,
        );
      }
      factory = loaded.default as ControllerFactory;
    }
    const log = new RequestLog();
    let kube: KubePort;
    try {
      const kubeconfigPath = values.kubeconfig as string | undefined;
      kube = createKubePort({
        ...(kubeconfigPath ? { kubeconfigPath } : {}),
        onRequest: log.onRequest,
      });
    } catch (failure) {
      throw new CliError(`no usable credentials: ${(failure as Error).message}`, EXIT.environment);
    }
    const clusterCidrs = (
      (values['cluster-cidrs'] as string | undefined) ?? '10.244.0.0/16,10.96.0.0/16'
    ).split(',');
    const progress = err.progress(
      `planning ${example ?? modulePath} on ${namespace}/${statefulSet} (dry run)`,
    );
    let outcome: PlanOutcome;
    try {
      outcome = await runPlan(kube, log, { namespace, statefulSet }, relations, (backend, dry) => {
        const context: ControllerContext = {
          backend,
          kube: dry,
          namespace,
          statefulSet,
          clusterCidrs,
          ...(values['dns-ip'] ? { clusterDnsIp: values['dns-ip'] as string } : {}),
        };
        return factory ? factory(context) : EXAMPLES[example!]!(context);
      });
      progress.done();
    } catch (failure) {
      progress.fail();
      throw failure;
    }
    printPlan(out, outcome);
    return outcome.status.name === 'error' ? EXIT.failed : EXIT.ok;
  },
};

/** Prints a plan: each write as a diff, the status, the requests. */
export function printPlan(out: Output, outcome: PlanOutcome): void {
  if (outcome.writes.length === 0)
    out.line(out.green('no changes: the reconcile would write nothing'));
  for (const write of outcome.writes) {
    const where = `${write.ref.kind} ${write.ref.namespace ? `${write.ref.namespace}/` : ''}${write.ref.name}`;
    out.line(out.bold(`would ${write.verb} ${where}`));
    const [before, after] =
      write.ref.kind === 'StatefulSet'
        ? [
            (write.before as StatefulSet | undefined)?.spec.template,
            (write.after as StatefulSet | undefined)?.spec.template,
          ]
        : [content(write.before), content(write.after)];
    if (write.verb === 'delete') continue;
    for (const line of objectDiff(before, after)) {
      if (line === 'gap') out.line(out.dim('    …'));
      else if (line.op === '+') out.line(out.green(`  + ${line.text}`));
      else if (line.op === '-') out.line(out.red(`  - ${line.text}`));
      else out.line(out.dim(`    ${line.text}`));
    }
  }
  out.line(
    `status it would set: ${outcome.status.name}${outcome.status.message ? `: ${outcome.status.message}` : ''}`,
  );
  const writes = writesOf(outcome.requests);
  out.line(
    out.dim(
      `${outcome.requests.length} requests: ${outcome.requests.length - writes.length} reads, ` +
        `${writes.length} dry-run writes (${outcome.writes.length} sent with dryRun=All); nothing was stored`,
    ),
  );
}

/** The part of an object a person wants to compare: everything but server bookkeeping. */
function content(object: KubeObject | undefined): unknown {
  if (!object) return undefined;
  const { metadata, status: _status, ...rest } = object as KubeObject & { status?: unknown };
  const { name, namespace, labels, annotations } = metadata;
  return { metadata: { name, namespace, labels, annotations }, ...rest };
}
