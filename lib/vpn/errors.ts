/**
 * The VPN capability's typed errors. Each says what is wrong, what was left in place (for the VPN
 * that is the point: a failure never opens traffic), and whether a person must act (`fix`) or a
 * retry may help (`retry`).
 */
import { CharmkitError, remedyOf, type Remedy } from '../core/errors.js';
import { formatFieldIssues, type FieldIssue } from '../relations/errors.js';

/** An option given to `VPNGatewayRequirer` or `VPNGatewayProvider` is invalid (a charm bug or config). */
export class VPNConfigurationError extends CharmkitError {
  override readonly name = 'VPNConfigurationError';
  readonly remedy = 'fix' as const;
  constructor(
    /** Which object's options, e.g. `VPNGatewayProvider options`. */
    readonly source: string,
    readonly issues: readonly FieldIssue[],
  ) {
    super(`invalid ${source}: ${formatFieldIssues(issues)}`);
  }
}

/**
 * The kill switch could not be put in place, so routing was NOT changed: the pod keeps whatever
 * protection and routing it had. The remedy is the cause's (a 403 needs RBAC, a 500 may pass).
 */
export class KillSwitchError extends CharmkitError {
  override readonly name = 'KillSwitchError';
  readonly remedy: Remedy;
  constructor(
    /** The object that could not be written, e.g. `NetworkPolicy media/qbittorrent-vpn-killswitch`. */
    readonly object: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `kill switch ${object} could not be put in place (${reason}); routing through the VPN was not changed`,
      {
        cause,
      },
    );
    this.remedy = remedyOf(cause);
  }
}

/** The gateway's StatefulSet asks for more than one pod: its DNS name must resolve to one pod. */
export class GatewayReplicasError extends CharmkitError {
  override readonly name = 'GatewayReplicasError';
  readonly remedy = 'fix' as const;
  constructor(
    readonly statefulSet: string,
    readonly replicas: number,
  ) {
    super(
      `StatefulSet ${statefulSet} has ${replicas} replicas; a VPN gateway must run exactly one pod ` +
        '(clients resolve its name to a single address): scale it to 1',
    );
  }
}

/** Cluster DNS could not be found as a Service with a ClusterIP in the DNS namespace. */
export class ClusterDnsNotFoundError extends CharmkitError {
  override readonly name = 'ClusterDnsNotFoundError';
  readonly remedy = 'fix' as const;
  constructor(
    readonly namespace: string,
    readonly tried: readonly string[],
    detail: string,
  ) {
    super(
      `cannot find the cluster DNS Service in ${namespace} (${detail}; tried ${tried.join(', ')}); ` +
        'set the clusterDnsIp option to its ClusterIP',
    );
  }
}
