/**
 * Zero values the API server does not store: fields that are plain (not
 * pointer) Go values tagged `omitempty` come back absent when they were sent as `false`, `0` or
 * `""`. A capability that sends `readOnly: false` on a mount, `publishNotReadyAddresses: false` on
 * a Service or `value: ""` on an env var and then compares with what it reads back would patch on
 * every reconcile on a cluster; the StatefulSet plan compares without them and FakeCluster drops
 * the same fields (the differential tests prove the table against the server). (Pointer fields such as
 * `securityContext.privileged: false` are kept, by the server and here.)
 *
 * Listed per structure, for the structures controllers write; FakeCluster's decode step
 * (lib/testing/fake-normalize.ts) already drops nulls, empty lists and empty maps everywhere.
 */
import type { JsonObject, JsonValue } from '../core/json.js';

/** The omitempty plain fields of each structure, with the zero value that disappears. */
const ZERO_VALUES = {
  podSpec: {
    hostNetwork: false,
    hostPID: false,
    hostIPC: false,
    nodeName: '',
    hostname: '',
    subdomain: '',
    priorityClassName: '',
    serviceAccountName: '',
    serviceAccount: '',
  },
  container: { stdin: false, stdinOnce: false, tty: false, workingDir: '' },
  containerPort: { hostPort: 0, name: '', hostIP: '' },
  envVar: { value: '' },
  volumeMount: { readOnly: false, subPath: '', subPathExpr: '' },
  probe: { initialDelaySeconds: 0 },
  emptyDir: { medium: '' },
  statefulSetSpec: { minReadySeconds: 0 },
  serviceSpec: { publishNotReadyAddresses: false, externalName: '', loadBalancerIP: '' },
  servicePort: { name: '', nodePort: 0 },
} satisfies Record<string, Record<string, JsonValue>>;

/** A structure whose zero-valued omitempty fields are known. */
export type ZeroValueStructure = keyof typeof ZERO_VALUES;

/** Removes from `object` the fields of `structure` that hold their zero value. */
export function dropZeroValues(object: JsonObject, structure: ZeroValueStructure): void {
  for (const [field, zero] of Object.entries(ZERO_VALUES[structure])) {
    if (object[field] === zero) delete object[field];
  }
}
