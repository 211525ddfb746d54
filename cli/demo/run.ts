/**
 * `charmkit demo`: deploy the media stack, relate it the way a user would, and print what every
 * hook did — the relation events, each unit's status, each StatefulSet patch as a diff of the pod
 * template, and the requests each reconcile made — then a closing table. The same run works on the
 * embedded FakeCluster (default), the local control plane and any cluster (see targets.ts).
 */
import { writes as writesOf, type RequestRecord, type StatefulSet } from 'charmkit/kube';
import { waiting, type HookContext, type Status } from 'charmkit/relations';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { objectDiff } from '../diff.js';
import { table, type Output } from '../output.js';
import { APPS, buildStack, type AppName } from './stack.js';
import type { DemoTarget } from './targets.js';

/** What happened to one application over the run. */
export interface AppSummary {
  readonly app: AppName;
  readonly status: Status;
  readonly hooks: number;
  readonly requests: number;
  readonly writes: number;
  /** Requests of its last hook, an update-status with nothing to do. */
  readonly noopRequests: readonly RequestRecord[];
}

/** The outcome of a demo run. */
export interface DemoResult {
  readonly apps: readonly AppSummary[];
  readonly seconds: number;
  readonly exitCode: ExitCode;
}

/** A relation hook: which relation, which event, the remote application. */
interface RelationEvent {
  readonly id: number;
  readonly event: 'joined' | 'changed';
  readonly remote: AppName;
}

interface Tally {
  hooks: number;
  requests: number;
  writes: number;
  status: Status;
  last: readonly RequestRecord[];
}

/** Runs the demo on `target`, printing to `out`. */
export async function runDemo(target: DemoTarget, out: Output): Promise<DemoResult> {
  const started = Date.now();
  const stack = buildStack({
    kube: target.kube,
    namespace: target.namespace,
    clusterCidrs: target.clusterCidrs,
    clusterDnsIp: target.clusterDnsIp,
    ...(target.staticVolume ? { staticVolume: target.staticVolume } : {}),
  });
  const tally = new Map<AppName, Tally>(
    APPS.map((app) => [
      app,
      { hooks: 0, requests: 0, writes: 0, status: waiting('not deployed yet'), last: [] },
    ]),
  );
  const at = () => out.dim(`${((Date.now() - started) / 1000).toFixed(2).padStart(6)}s`);

  const hook = async (app: AppName, name: string, relation?: RelationEvent) => {
    const backend = stack.apps[app].backend;
    const context: HookContext = relation
      ? backend.relationHook(relation.id, relation.event, { remoteUnit: `${relation.remote}/0` })
      : backend.setContext({ hookName: name, dispatchPath: `hooks/${name}` }).context;
    const hasWorkload = app !== 'storage';
    const before = hasWorkload ? await target.statefulSet(app) : undefined;
    const from = target.requests().length;
    const wroteFrom = stack.model.writes.length;
    const result = await stack.apps[app].reconcile();
    const requests = target.requests().slice(from);
    const relationWrites = stack.model.writes.slice(wroteFrom);
    const after = hasWorkload ? await target.statefulSet(app) : undefined;
    const t = tally.get(app)!;
    const writes = writesOf(requests);
    t.hooks++;
    t.requests += requests.length;
    t.writes += writes.length;
    t.status = result.status;
    t.last = requests;

    out.line(`${at()}  ${out.bold(app.padEnd(11))} ${out.cyan(context.hookName ?? name)}`);
    out.line(`${' '.repeat(9)}${statusText(out, result.status)}`);
    out.line(`${' '.repeat(9)}${out.dim(requestSummary(requests))}`);
    for (const write of relationWrites) {
      const data = Object.entries(write.changes)
        .map(([key, value]) => `${key}=${shorten(value, 48)}`)
        .join(' ');
      out.line(
        `${' '.repeat(9)}${out.blue('relation data:')} ${write.scope} bag of relation ${write.relationId}: ${data}`,
      );
    }
    for (const write of result.sideWrites)
      out.line(`${' '.repeat(9)}${out.yellow('side object:')} ${write}`);
    if (before && after && requests.some((r) => r.verb === 'patch' && r.kind === 'StatefulSet')) {
      printPatch(out, app, before, after);
    }
  };

  const phase = (title: string) => {
    out.line();
    out.line(out.bold(`── ${title} `.padEnd(78, '─')));
  };

  out.line(
    out.bold(
      'charmkit demo: a media stack wired by relations, each controller patching its own StatefulSet',
    ),
  );
  out.line(out.dim(`on ${target.label}, namespace ${target.namespace}`));

  phase('deploy: storage, gluetun, qbittorrent, radarr (install hook each)');
  for (const app of APPS) await hook(app, 'install');
  if (target.real) await target.waitForRollouts(['gluetun', 'qbittorrent'], out);

  const relate = async (provider: AppName, requirer: AppName, endpoint: string) => {
    phase(`relate ${provider}:${endpoint} ↔ ${requirer}:${endpoint}`);
    const id = stack.model.relate({ app: provider, endpoint }, { app: requirer, endpoint });
    await hook(provider, `${endpoint}-relation-joined`, { id, event: 'joined', remote: requirer });
    await hook(requirer, `${endpoint}-relation-changed`, {
      id,
      event: 'changed',
      remote: provider,
    });
    await hook(provider, `${endpoint}-relation-changed`, {
      id,
      event: 'changed',
      remote: requirer,
    });
    if (target.real) await target.waitForRollouts([requirer], out);
  };
  await relate('storage', 'radarr', 'storage');
  await relate('gluetun', 'qbittorrent', 'vpn-gateway');
  await relate('storage', 'qbittorrent', 'storage');

  phase('update-status: every controller checks its work (nothing left to do)');
  for (const app of APPS) await hook(app, 'update-status');

  const seconds = (Date.now() - started) / 1000;
  const apps: AppSummary[] = APPS.map((app) => {
    const t = tally.get(app)!;
    return {
      app,
      status: t.status,
      hooks: t.hooks,
      requests: t.requests,
      writes: t.writes,
      noopRequests: t.last,
    };
  });
  phase(`done in ${seconds.toFixed(1)}s`);
  for (const line of table(
    ['app', 'status', 'hooks', 'requests', 'writes', 'last no-op (update-status)'],
    apps.map((a) => [
      a.app,
      `${a.status.name}${a.status.message ? `: ${shorten(a.status.message, 60)}` : ''}`,
      String(a.hooks),
      String(a.requests),
      String(a.writes),
      requestCount(a.noopRequests),
    ]),
  )) {
    out.line(line);
  }
  const allActive = apps.every((a) => a.status.name === 'active');
  out.line();
  out.line(
    allActive
      ? out.green('every application is Active; a reconcile with nothing to do wrote nothing.')
      : out.red('not every application reached Active: see the statuses above.'),
  );
  return { apps, seconds, exitCode: allActive ? EXIT.ok : EXIT.failed };
}

function statusText(out: Output, status: Status): string {
  const color =
    status.name === 'active'
      ? out.green
      : status.name === 'blocked' || status.name === 'error'
        ? out.red
        : out.yellow;
  return `${color(status.name)}${status.message ? `: ${status.message}` : ''}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function requestCount(requests: readonly RequestRecord[]): string {
  const writes = writesOf(requests).length;
  return `${plural(requests.length - writes, 'read')}, ${plural(writes, 'write')}`;
}

function requestSummary(requests: readonly RequestRecord[]): string {
  if (requests.length === 0) return 'no Kubernetes request';
  const list = requests.map(
    (r) =>
      `${r.verb.toUpperCase()} ${r.kind}${r.status && r.status >= 400 ? ` (${r.status})` : ''}`,
  );
  return `${plural(requests.length, 'request')} (${requestCount(requests)}): ${list.join(', ')}`;
}

function printPatch(out: Output, app: string, before: StatefulSet, after: StatefulSet): void {
  const diff = objectDiff(before.spec.template, after.spec.template);
  if (diff.length === 0) return;
  out.line(`${' '.repeat(9)}${out.bold(`patch StatefulSet ${app}`)} ${out.dim('(pod template)')}`);
  for (const line of diff) {
    if (line === 'gap') out.line(`${' '.repeat(9)}${out.dim('  …')}`);
    else if (line.op === '+') out.line(`${' '.repeat(9)}${out.green(`+ ${line.text}`)}`);
    else if (line.op === '-') out.line(`${' '.repeat(9)}${out.red(`- ${line.text}`)}`);
    else out.line(`${' '.repeat(9)}${out.dim(`  ${line.text}`)}`);
  }
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
