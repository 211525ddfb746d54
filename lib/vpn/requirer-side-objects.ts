/**
 * The I/O of the objects a `VPNGatewayRequirer` keeps beside its StatefulSet: the kill switch
 * NetworkPolicy (with its CiliumNetworkPolicy companion where Cilium runs), the settings
 * ConfigMap, and their removal by ownership labels.
 *
 * The requirer's flow decides WHICH kill switch and WHEN (lib/vpn/requirer.ts); this module reads
 * what is in place, learns what the policy needs once (the API server's addresses, whether Cilium
 * runs), writes only what differs, and records every write and note for the reconcile's result.
 * Every failure to put an object in place is a `KillSwitchError`, so routing is never added
 * without the kill switch.
 */
import { asKubernetesError } from '../kube/errors.js';
import type { KubeObject, StatefulSet } from '../kube/types.js';
import type { PatchStep } from '../workload/capability.js';
import {
  buildCiliumApiServerPolicy,
  CILIUM_ANNOTATION,
  CILIUM_UNKNOWN_NOTE,
  detectCilium,
  recordedCilium,
  type CiliumPresence,
} from './cilium.js';
import { apiServerAddresses, type ApiServerOption } from './cluster-addresses.js';
import { KillSwitchError, VPNConfigurationError } from './errors.js';
import type { ApiServerAddresses, MinimalKillSwitchInput, NetworkPolicy } from './kill-switch.js';
import { CILIUM_POLICY_TYPE, CONFIG_MAP_TYPE, NETWORK_POLICY_TYPE } from './resources.js';
import { deleteOwned, ensureSideObject, ownershipLabels, readOptional } from './side-objects.js';

/** Which kill switch: `full` with a gateway, `minimal` (DNS and API server only) without one. */
export type KillSwitchVariant = 'full' | 'minimal';

/** What the kill switch is built from that only I/O can tell: its metadata, pods and API server. */
export type KillSwitchFrame = Pick<MinimalKillSwitchInput, 'metadata' | 'podLabels' | 'apiServer'>;

/** Where the requirer's side objects live and how they are written (fixed for one reconcile). */
export interface RequirerSideObjectsConfig {
  /** The requirer's StatefulSet: the namespace of every side object, and its ownership label. */
  readonly statefulSet: { readonly name: string; readonly namespace: string };
  /** The kill switch NetworkPolicy's name; its Cilium companion's adds `-cilium`. */
  readonly killSwitchName: string;
  readonly fieldManager: string;
  /** Cilium's presence as configured; `auto`: as recorded on the kill switch, else read once. */
  readonly cilium: 'auto' | 'present' | 'absent';
  /** The API server's addresses as configured; what is not given is discovered. */
  readonly apiServer: ApiServerOption | undefined;
  /** The environment `KUBERNETES_SERVICE_HOST` is read from. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** What one reconcile reports, appended to by this module. */
export interface SideObjectsRecord {
  /** Writes in order, e.g. `create NetworkPolicy media/qbittorrent-vpn-killswitch`. */
  readonly sideWrites: string[];
  /** Things the user should know (Cilium's presence unknown). */
  readonly notes: string[];
}

/** Annotation on the kill switch saying which variant it is. */
const VARIANT_ANNOTATION = 'charmkit.io/kill-switch';

/** The variant recorded on an observed kill switch (undefined for one written by others). */
export function killSwitchVariant(policy: NetworkPolicy): string | undefined {
  return policy.metadata.annotations?.[VARIANT_ANNOTATION];
}

/** The requirer's side objects during one patch step (before or after the patch). */
export class RequirerSideObjects {
  constructor(
    private readonly step: PatchStep,
    private readonly config: RequirerSideObjectsConfig,
    private readonly record: SideObjectsRecord,
  ) {}

  /** The kill switch in place, if any. */
  readKillSwitch(): Promise<NetworkPolicy | undefined> {
    const { killSwitchName, statefulSet } = this.config;
    return readOptional<NetworkPolicy>(this.step.kube, {
      ...NETWORK_POLICY_TYPE,
      metadata: { name: killSwitchName, namespace: statefulSet.namespace },
    }).catch((failure: unknown) => {
      throw new KillSwitchError(
        `NetworkPolicy ${statefulSet.namespace}/${killSwitchName}`,
        failure,
      );
    });
  }

  /**
   * Puts the kill switch `build` makes in place (`observed`: as `readKillSwitch` found it) and,
   * where Cilium runs, its API-server companion. The API server's addresses are discovered and
   * Cilium's presence learnt once and recorded on the policy.
   */
  async putKillSwitch(
    observed: NetworkPolicy | undefined,
    variant: KillSwitchVariant,
    build: (frame: KillSwitchFrame) => NetworkPolicy,
  ): Promise<void> {
    const apiServer = await this.apiServer();
    const cilium = await this.cilium(observed);
    const { killSwitchName, statefulSet } = this.config;
    const podLabels = podLabelsOf(this.step.plan.observed);
    const metadata = {
      name: killSwitchName,
      namespace: statefulSet.namespace,
      labels: ownershipLabels(statefulSet.name),
      annotations: { [VARIANT_ANNOTATION]: variant, [CILIUM_ANNOTATION]: cilium },
    };
    await this.ensure(build({ metadata, podLabels, apiServer }), ['spec'], observed ?? null);
    if (cilium === 'present') {
      const cnp = buildCiliumApiServerPolicy(
        {
          name: `${killSwitchName}-cilium`,
          namespace: statefulSet.namespace,
          labels: ownershipLabels(statefulSet.name),
        },
        podLabels,
      );
      await this.ensure(cnp, ['spec']);
    }
  }

  /** The client's settings ConfigMap (pod-gateway's settings.sh). */
  async putSettings(name: string, data: Readonly<Record<string, string>>): Promise<void> {
    const { namespace, name: owner } = this.config.statefulSet;
    await this.ensure(
      { ...CONFIG_MAP_TYPE, metadata: { name, namespace, labels: ownershipLabels(owner) }, data },
      ['data'],
    );
  }

  /**
   * After routing is gone: owned ConfigMaps, Cilium policies and (with `killSwitch`) kill switches.
   * A kill switch that stays keeps its Cilium companion, or the pod would lose the API server.
   */
  async deleteOwnedObjects(killSwitch: boolean): Promise<void> {
    const { namespace, name } = this.config.statefulSet;
    const { kube } = this.step;
    for (const deleted of await deleteOwned(kube, CONFIG_MAP_TYPE, namespace, name)) {
      this.record.sideWrites.push(`delete ConfigMap ${namespace}/${deleted}`);
    }
    try {
      const companion = killSwitch ? [] : [`${this.config.killSwitchName}-cilium`];
      for (const deleted of await deleteOwned(
        kube,
        CILIUM_POLICY_TYPE,
        namespace,
        name,
        companion,
      )) {
        this.record.sideWrites.push(`delete CiliumNetworkPolicy ${namespace}/${deleted}`);
      }
    } catch (failure) {
      // No Cilium: the type does not exist (404); nothing of ours can be there.
      if (!asKubernetesError(failure)?.isNotFound()) throw failure;
    }
    if (!killSwitch) return;
    for (const deleted of await deleteOwned(kube, NETWORK_POLICY_TYPE, namespace, name)) {
      this.record.sideWrites.push(`delete NetworkPolicy ${namespace}/${deleted}`);
    }
  }

  /** The API server's addresses (the kill switch must let the controller in the pod reach it). */
  private async apiServer(): Promise<ApiServerAddresses> {
    const { apiServer, env, killSwitchName, statefulSet } = this.config;
    try {
      return await apiServerAddresses(this.step.kube, apiServer, env);
    } catch (failure) {
      if (failure instanceof VPNConfigurationError) throw failure;
      throw new KillSwitchError(
        `NetworkPolicy ${statefulSet.namespace}/${killSwitchName} (finding the API server's addresses; ` +
          'or set the apiServer option)',
        failure,
      );
    }
  }

  /** Cilium presence: the option, else the answer recorded on the kill switch, else one read. */
  private async cilium(observed: NetworkPolicy | undefined): Promise<CiliumPresence> {
    const option = this.config.cilium;
    const presence =
      option !== 'auto'
        ? option
        : (recordedCilium(observed) ?? (await detectCilium(this.step.kube)));
    if (presence === 'unknown') this.record.notes.push(CILIUM_UNKNOWN_NOTE);
    return presence;
  }

  /** Observe → diff → write if needed (`observed`: already read, null = known missing). */
  private async ensure<T extends KubeObject>(
    desired: T,
    content: readonly string[],
    observed?: T | null,
  ): Promise<void> {
    const label = `${desired.kind} ${desired.metadata.namespace}/${desired.metadata.name}`;
    try {
      const ensured = await ensureSideObject(
        this.step.kube,
        desired,
        content,
        this.config.fieldManager,
        observed,
      );
      if (ensured.write !== 'none') this.record.sideWrites.push(`${ensured.write} ${label}`);
    } catch (failure) {
      throw new KillSwitchError(label, failure);
    }
  }
}

/** The labels the StatefulSet selects its pods by: exactly the pods the kill switch must cover. */
function podLabelsOf(statefulSet: StatefulSet): Record<string, string> {
  const labels = statefulSet.spec.selector.matchLabels ?? {};
  if (Object.keys(labels).length === 0) {
    throw new VPNConfigurationError(`StatefulSet ${statefulSet.metadata.name ?? ''}`, [
      {
        field: 'spec.selector.matchLabels',
        reason: 'is empty, so no kill switch could select its pods',
      },
    ]);
  }
  return { ...labels };
}
