/** `charmkit rbac`: the least-privilege Role/RoleBinding for a controller's capabilities. */
import type { Command } from '../command.js';
import { toYaml } from '../diff.js';
import { CliError, EXIT } from '../exit-codes.js';
import {
  CAPABILITIES,
  EXAMPLE_CAPABILITIES,
  optionalRules,
  rbacObjects,
  type CapabilityName,
} from '../rbac.js';

export const rbacCommand: Command = {
  name: 'rbac',
  summary: 'print the least-privilege Roles and bindings a controller needs',
  usage: '<example> | --capabilities <list>  --namespace <ns> [--statefulset <name>] [options]',
  description: [
    'Prints the RBAC objects (YAML, or --json) for what the named example controller or the listed',
    "capabilities do: a Role and RoleBinding in the controller's namespace, Roles where it reads",
    "other namespaces (the API server's Service in default, cluster DNS in kube-system) and a",
    'ClusterRole for cluster-scoped reads. Rules are narrowed by resourceNames wherever Kubernetes',
    'allows it (not for create, not for list). Apply with: charmkit rbac ... | kubectl apply -f -',
    '',
    `Examples: ${Object.entries(EXAMPLE_CAPABILITIES)
      .map(([name, caps]) => `${name} (${caps.join(', ')})`)
      .join('; ')}.`,
    'Capabilities:',
    ...Object.entries(CAPABILITIES).map(([name, what]) => `  ${name.padEnd(16)} ${what}`),
  ].join('\n'),
  options: {
    capabilities: {
      type: 'string',
      value: 'list',
      help: 'comma-separated capabilities (instead of an example)',
    },
    namespace: {
      type: 'string',
      short: 'n',
      value: 'ns',
      help: "the controller's namespace (the Juju model)",
    },
    statefulset: {
      type: 'string',
      value: 'name',
      help: 'its StatefulSet (default: the example name)',
    },
    'service-account': {
      type: 'string',
      value: 'name',
      help: 'the ServiceAccount it runs as (default: the StatefulSet name)',
    },
    claim: {
      type: 'string',
      value: 'name',
      help: 'the shared claim, to narrow the claim read to it',
    },
    'vpn-remove': {
      type: 'boolean',
      help: "the VPN requirer runs with onRelationBroken: 'remove' (list + delete)",
    },
    'api-server-given': {
      type: 'boolean',
      help: "the VPN requirer is given the API server's addresses (no reads in default)",
    },
    'dns-given': {
      type: 'boolean',
      help: 'the VPN provider is given the cluster DNS address (no read in kube-system)',
    },
    minimal: {
      type: 'boolean',
      help: 'leave out the optional reads (diagnosis, Cilium detection)',
    },
    json: { type: 'boolean', help: 'print a JSON List instead of YAML' },
  },
  async run({ values, positionals, out }) {
    const example = positionals[0];
    let capabilities: CapabilityName[];
    if (example !== undefined) {
      const known = EXAMPLE_CAPABILITIES[example];
      if (!known) {
        throw new CliError(
          `unknown example "${example}" (known: ${Object.keys(EXAMPLE_CAPABILITIES).join(', ')}); or use --capabilities`,
          EXIT.usage,
        );
      }
      capabilities = [...known];
    } else if (typeof values.capabilities === 'string') {
      capabilities = values.capabilities.split(',').map((c) => c.trim()) as CapabilityName[];
      const unknown = capabilities.filter((c) => !(c in CAPABILITIES));
      if (unknown.length > 0 || capabilities.length === 0) {
        throw new CliError(
          `unknown capabilities: ${unknown.join(', ') || '(none given)'} (known: ${Object.keys(CAPABILITIES).join(', ')})`,
          EXIT.usage,
        );
      }
    } else throw new CliError('name an example or pass --capabilities', EXIT.usage);
    const namespace = values.namespace;
    if (typeof namespace !== 'string') throw new CliError('--namespace is required', EXIT.usage);
    const statefulSet = (values.statefulset as string | undefined) ?? example;
    if (!statefulSet)
      throw new CliError('--statefulset is required with --capabilities', EXIT.usage);
    const request = {
      capabilities,
      namespace,
      statefulSet,
      ...(values['service-account'] ? { serviceAccount: values['service-account'] as string } : {}),
      ...(values.claim ? { claim: values.claim as string } : {}),
      vpnRemove: values['vpn-remove'] === true,
      apiServerGiven: values['api-server-given'] === true,
      clusterDnsGiven: values['dns-given'] === true,
      minimal: values.minimal === true,
    };
    const objects = rbacObjects(request);
    if (values.json === true) {
      out.line(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2));
      return EXIT.ok;
    }
    out.line(`# charmkit rbac for ${capabilities.join(', ')} (${namespace}/${statefulSet})`);
    const optional = request.minimal ? [] : optionalRules(request);
    if (optional.length > 0) {
      out.line(
        '# Optional (the library degrades to a note without them; --minimal leaves them out):',
      );
      for (const rule of optional) {
        out.line(
          `#   ${rule.verbs.join(',')} ${rule.resources.join(',')}${rule.resourceNames ? ` ${rule.resourceNames.join(',')}` : ''}`,
        );
      }
    }
    objects.forEach((object, index) => {
      if (index > 0) out.line('---');
      for (const line of toYaml(object)) out.line(line);
    });
    return EXIT.ok;
  },
};
