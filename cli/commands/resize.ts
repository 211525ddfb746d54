/**
 * `charmkit resize`: grow a StatefulSet's volumes with the library's resize helper — in place where
 * the class can expand, otherwise by one verified copy — with a progress bar on the helper's events
 * and `--dry-run` for the plan alone (detection and preflight: reads and dry-run writes only).
 */
import { createKubePort, type KubePort } from 'charmkit/kube';
import {
  resizeEmitter,
  resizeVolumes,
  ResizeInterruptedError,
  ResizeNeedsHumanError,
  ResizeRefusedError,
  type ResizeOptions,
  type ResizePlan,
  type ResizeResult,
} from 'charmkit/storage';
import { CharmkitError } from 'charmkit/core';
import type { Command } from '../command.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import type { Output } from '../output.js';

/** What the command needs besides the port (tests pass a port of their own). */
export type ResizeRequest = Omit<ResizeOptions, 'kube' | 'signal'>;

/** Runs one resize (or a dry run), showing the plan and its progress; resolves to the exit code. */
export async function runResize(
  kube: KubePort,
  request: ResizeRequest,
  out: Output,
  err: Output,
): Promise<ExitCode> {
  const events = resizeEmitter();
  const abort = new AbortController();
  const onSignal = () => {
    err.line(
      'charmkit resize: stopping at the next step boundary (run the same command again to resume)',
    );
    abort.abort();
  };
  process.once('SIGINT', onSignal);
  const progress = err.progress(
    `${request.dryRun ? 'planning' : 'resizing'} ${request.namespace}/${request.statefulSet}`,
  );
  let percent = 0;
  events.on('plan', (plan) => {
    if (!request.dryRun && plan.claims.length > 0) printPlan(out, plan, false);
  });
  events.on('step', (step) => {
    if (step.state === 'started')
      progress.update(`step ${step.index}/${step.total}: ${step.message}`, percent / 100);
  });
  events.on('progress', (event) => {
    percent = event.percent;
    const bytes = event.bytesCopied > 0 ? ` (${formatBytes(event.bytesCopied)} copied)` : '';
    progress.update(`${event.message}${bytes}`, percent / 100);
  });
  events.on('wait', (wait) =>
    progress.update(
      `waiting for ${wait.what} (${Math.round(wait.elapsedMs / 1000)}s)`,
      percent / 100,
    ),
  );
  events.on('warning', (message) => err.line(`warning: ${message}`));
  let result: ResizeResult;
  try {
    result = await resizeVolumes({ ...request, kube, signal: abort.signal }, events);
  } catch (failure) {
    progress.fail();
    if (failure instanceof ResizeRefusedError) {
      err.line(`refused: ${failure.message}`);
      return EXIT.failed;
    }
    if (failure instanceof ResizeInterruptedError || failure instanceof ResizeNeedsHumanError) {
      err.line(failure.message);
      return EXIT.failed;
    }
    // Any other typed failure (a smaller size, a missing StatefulSet): its message says what to do.
    if (failure instanceof CharmkitError) {
      err.line(
        `${failure.remedy === 'fix' ? 'cannot resize' : 'failed (retrying may help)'}: ${failure.message}`,
      );
      return EXIT.failed;
    }
    throw failure;
  } finally {
    process.removeListener('SIGINT', onSignal);
  }
  progress.done(result.outcome);
  if (result.outcome === 'planned') {
    printPlan(out, result.plan, true);
    return result.plan.blockers.length > 0 ? EXIT.failed : EXIT.ok;
  }
  if (result.outcome === 'unchanged') {
    out.line(`nothing to do: every claim of ${request.statefulSet} is at its target size`);
    return EXIT.ok;
  }
  for (const claim of result.claims) {
    const copied = claim.bytesCopied > 0 ? `, ${formatBytes(claim.bytesCopied)} copied` : '';
    out.line(`${claim.claim}: ${claim.from} → ${claim.target} (${claim.path}${copied})`);
  }
  if (result.zeroReplicaMs > 0)
    out.line(`the StatefulSet had 0 replicas for ${(result.zeroReplicaMs / 1000).toFixed(1)}s`);
  if (result.keptVolumes.length > 0) {
    out.line(
      `original volumes kept (delete them when satisfied): ${result.keptVolumes.join(', ')}`,
    );
  }
  for (const warning of result.warnings) out.line(`warning: ${warning}`);
  out.line(out.green(`resized${result.resumed ? ' (resumed an earlier run)' : ''}`));
  return EXIT.ok;
}

function printPlan(out: Output, plan: ResizePlan, dryRun: boolean): void {
  out.line(
    out.bold(
      `${dryRun ? 'plan (dry run, nothing written)' : 'plan'}: ${plan.namespace}/${plan.statefulSet}, ${plan.replicas} replica(s)`,
    ),
  );
  for (const claim of plan.claims) out.line(`  ${claim.claim}: ${claim.path} — ${claim.why}`);
  out.line(
    `  volumeClaimTemplates: ${plan.templateUpdate}${plan.swap ? `; copies replace originals by ${plan.swap}` : ''}`,
  );
  plan.steps.forEach((step, i) => out.line(`  ${String(i + 1).padStart(2)}. ${step}`));
  for (const warning of plan.warnings) out.line(`  warning: ${warning}`);
  for (const blocker of plan.blockers) out.line(out.red(`  cannot start: ${blocker}`));
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** `--size 20Gi` or `--size data=20Gi,config=2Gi`. */
export function parseSize(text: string | undefined): ResizeOptions['size'] {
  if (text === undefined) return undefined;
  if (!text.includes('=')) return text;
  const entries = text.split(',').map((pair) => pair.split('='));
  if (entries.some((e) => e.length !== 2 || !e[0] || !e[1])) {
    throw new CliError(`--size "${text}": expected <size> or <template>=<size>,...`, EXIT.usage);
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

export const resizeCommand: Command = {
  name: 'resize',
  summary: "grow a StatefulSet's volumes (in place or by one verified copy), with progress",
  usage:
    '<statefulset> --namespace <ns> [--size <size> | --size <template>=<size>,...] [--dry-run] [options]',
  description: [
    "Grows the claims of a StatefulSet's volumeClaimTemplates to --size (or, without it, to each",
    "template's own request): in place where the storage class can expand, otherwise by one",
    'copy that is verified before anything is swapped, never deleting the original first. The run',
    'is journalled: stopped (Ctrl-C stops at the next step boundary) or failed, the same command',
    'resumes it. --dry-run prints the plan from detection and preflight and writes nothing.',
    'See docs/resize.md for the steps, the permissions and recovery.',
  ].join('\n'),
  options: {
    namespace: { type: 'string', short: 'n', value: 'ns', help: "the StatefulSet's namespace" },
    size: {
      type: 'string',
      value: 'size',
      help: 'target size for every template, or template=size,...',
    },
    'dry-run': { type: 'boolean', help: 'plan only: reads and dry-run writes, nothing stored' },
    path: { type: 'string', value: 'auto|in-place|copy', help: 'force a path (default auto)' },
    swap: {
      type: 'string',
      value: 'auto|rebind|copy-back',
      help: 'how a copy replaces the original (default auto)',
    },
    'old-volumes': {
      type: 'string',
      value: 'keep|reclaim',
      help: 'after a copy: keep the originals (default) or reclaim them',
    },
    image: { type: 'string', value: 'image', help: 'the copy image (pin it by digest)' },
    kubeconfig: {
      type: 'string',
      value: 'file',
      help: 'credentials (default: KUBECONFIG, ~/.kube/config or in-cluster)',
    },
  },
  exitCodes: '1 when the resize is refused, stopped, needs a person, or the plan has blockers',
  async run({ values, positionals, out, err }) {
    const statefulSet = positionals[0];
    if (!statefulSet) throw new CliError('name the StatefulSet to resize', EXIT.usage);
    const namespace = values.namespace as string | undefined;
    if (!namespace) throw new CliError('--namespace is required', EXIT.usage);
    const choice = <T extends string>(name: string, allowed: readonly T[]): T | undefined => {
      const value = values[name] as string | undefined;
      if (value !== undefined && !allowed.includes(value as T)) {
        throw new CliError(`--${name} takes ${allowed.join(', ')} (got "${value}")`, EXIT.usage);
      }
      return value as T | undefined;
    };
    const path = choice('path', ['auto', 'in-place', 'copy'] as const);
    const swap = choice('swap', ['auto', 'rebind', 'copy-back'] as const);
    const oldVolumes = choice('old-volumes', ['keep', 'reclaim'] as const);
    let kube: KubePort;
    try {
      const kubeconfigPath = values.kubeconfig as string | undefined;
      kube = createKubePort(kubeconfigPath ? { kubeconfigPath } : {});
    } catch (failure) {
      throw new CliError(`no usable credentials: ${(failure as Error).message}`, EXIT.environment);
    }
    const size = parseSize(values.size as string | undefined);
    return runResize(
      kube,
      {
        namespace,
        statefulSet,
        ...(size !== undefined ? { size } : {}),
        dryRun: values['dry-run'] === true,
        ...(path ? { path } : {}),
        ...(swap ? { swap } : {}),
        ...(oldVolumes ? { oldVolumes } : {}),
        ...(values.image ? { image: values.image as string } : {}),
        holder: 'charmkit-cli',
      },
      out,
      err,
    );
  },
};
