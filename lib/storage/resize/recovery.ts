/**
 * The commands a person runs when a resize stops for a human (`ResizeNeedsHumanError`).
 *
 * They are generated from the journal with every name filled in, in the order to run them, and
 * they only ever bring the original volumes back under their original names: the verified copies
 * are left alone (they are deleted by hand once the person is satisfied). Each command is safe to
 * run twice.
 */
import type { JournalClaim, ResizeJournal } from './journal.js';

/** Shell-quotes a JSON document for `-p '…'`. */
function quoteJson(value: unknown): string {
  return `'${JSON.stringify(value).replace(/'/g, `'\\''`)}'`;
}

/** The recovery commands for a journal whose swap had started. */
export function recoveryCommands(journal: ResizeJournal, journalName: string): string[] {
  const ns = journal.namespace;
  const set = journal.statefulSet.name;
  const k = `kubectl -n ${ns}`;
  const commands: string[] = [
    `# 1. keep the workload stopped while the claims are put back`,
    `${k} get statefulset ${set} && ${k} scale statefulset ${set} --replicas=0`,
  ];
  const swapped = journal.claims.filter((c) => c.swapStarted || c.originalGone);
  let n = 2;
  for (const claim of swapped) {
    commands.push(...claimCommands(journal, claim, n++));
  }
  commands.push(`# ${n++}. bring the StatefulSet back`);
  if (journal.statefulSet.recreate || journal.statefulSet.original) {
    const body = structuredClone(journal.statefulSet.original) as Record<string, unknown>;
    commands.push(
      `${k} get statefulset ${set} || ${k} create -f - <<'EOF'\n${JSON.stringify(body)}\nEOF`,
    );
  }
  const retention = journal.statefulSet.retention ?? {
    whenDeleted: 'Retain',
    whenScaled: 'Retain',
  };
  commands.push(
    `${k} patch statefulset ${set} --type=merge -p ${quoteJson({
      spec: { persistentVolumeClaimRetentionPolicy: retention },
    })}`,
    `${k} scale statefulset ${set} --replicas=${journal.statefulSet.replicas}`,
    `# ${n}. remove the resize journal once the workload is back`,
    `${k} delete configmap ${journalName}`,
  );
  return commands;
}

function claimCommands(journal: ResizeJournal, claim: JournalClaim, n: number): string[] {
  const ns = journal.namespace;
  const k = `kubectl -n ${ns}`;
  const out = [`# ${n}. claim ${claim.name}: rebind it to its original volume`];
  const original = claim.volume;
  if (!original?.reclaimPolicy) {
    // The original volume could not be set to Retain (no PersistentVolume permission): the data
    // lives in the verified copy claim.
    out.push(
      `# the original volume could not be kept; the verified copy is claim ${claim.copy?.name ?? '?'}.`,
      `# A cluster admin can give it the original name: set the copy volume's reclaim policy to Retain,`,
      `# delete claims ${claim.name} and ${claim.copy?.name ?? '?'}, clear the volume's claimRef uid and create`,
      `# claim ${claim.name} with spec.volumeName set to that volume:`,
      `kubectl get pv $(${k} get pvc ${claim.copy?.name ?? '?'} -o jsonpath='{.spec.volumeName}')`,
    );
    return out;
  }
  const successor = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: claim.name, namespace: ns, labels: claim.labels ?? {} },
    spec: {
      accessModes: claim.accessModes,
      volumeMode: claim.volumeMode,
      resources: { requests: { storage: claim.request } },
      ...(claim.storageClassName !== undefined ? { storageClassName: claim.storageClassName } : {}),
      volumeName: original.name,
    },
  };
  out.push(
    `kubectl patch pv ${original.name} -p ${quoteJson({ spec: { persistentVolumeReclaimPolicy: 'Retain' } })}`,
    `${k} delete pvc ${claim.name} --ignore-not-found`,
    `kubectl patch pv ${original.name} --type=merge -p ${quoteJson({
      spec: { claimRef: { namespace: ns, name: claim.name, uid: null, resourceVersion: null } },
    })}`,
    `${k} create -f - <<'EOF'\n${JSON.stringify(successor)}\nEOF`,
    `${k} wait --for=jsonpath='{.status.phase}'=Bound pvc/${claim.name} --timeout=120s`,
  );
  return out;
}
