/**
 * The container fragments of a StatefulSet plan: workload containers (sidecars), init containers
 * and their order, and environment variables.
 *
 * Containers merge by name, so a desired container is compared field by field with the observed
 * one (the server fills in defaults, which must never cause a patch loop), while an environment
 * variable is replaced whole, because `value` and `valueFrom` exclude each other. Setting a
 * variable in a container the StatefulSet does not have is an error; removing one is then a no-op.
 * `InitContainerOptions` is public (re-exported by plan.ts).
 */
import { PHASE, type AddFragment } from './fragment.js';
import { kindOf, type ContainerKind, type ContainerSelector } from './selectors.js';
import { canonicalJson, jsonEqual } from '../../core/json.js';
import { covers, mergeValue } from './merge.js';
import { storedContainer, storedEnvVar } from './stored-form.js';
import { dropIfEmpty, findContainer, requireContainer } from './working.js';
import type { Container, EnvVar } from '../../kube/types.js';

/** Options of `ensureInitContainer`. */
export interface InitContainerOptions {
  /**
   * `first` makes the init container run before all others (e.g. network setup that the others
   * depend on); `any` (default) leaves ordering to the server, which appends new elements.
   */
  position?: 'first' | 'any';
}

/** `StatefulSetPlan.ensureContainer`: adds the container, or merges into the one of that name. */
export function ensureContainer(add: AddFragment, owner: string, container: Container): void {
  ensureContainerOf(add, owner, 'containers', container, 'any');
}

/**
 * `StatefulSetPlan.ensureInitContainer`. Running first is a fragment of its own, keyed on the first
 * position, so two owners that both want to run first conflict instead of reordering each other.
 */
export function ensureInitContainer(
  add: AddFragment,
  owner: string,
  container: Container,
  options: InitContainerOptions,
): void {
  const position = options.position ?? 'any';
  if (position === 'first') {
    add({
      owner,
      key: 'first init container',
      identity: container.name,
      phase: PHASE.member,
      apply: (w, p) => {
        const list = w.template.spec.initContainers ?? [];
        if (list[0]?.name === container.name) return undefined;
        const moved = list.filter((c) => c.name === container.name);
        w.template.spec.initContainers = [
          ...moved,
          ...list.filter((c) => c.name !== container.name),
        ];
        p.podSpec()['$setElementOrder/initContainers'] = w.template.spec.initContainers.map(
          (c) => ({
            name: c.name,
          }),
        );
        return `run init container ${container.name} first`;
      },
    });
  }
  ensureContainerOf(add, owner, 'initContainers', container, position);
}

/** `StatefulSetPlan.removeContainer`. */
export function removeContainer(add: AddFragment, owner: string, name: string): void {
  removeContainerOf(add, owner, 'containers', name);
}

/** `StatefulSetPlan.removeInitContainer`. */
export function removeInitContainer(add: AddFragment, owner: string, name: string): void {
  removeContainerOf(add, owner, 'initContainers', name);
}

/** `StatefulSetPlan.ensureEnv`: replaces a variable of that name whole, never merges into it. */
export function ensureEnv(
  add: AddFragment,
  owner: string,
  container: string,
  env: EnvVar,
  options: ContainerSelector,
): void {
  const kind = kindOf(options);
  const desired = storedEnvVar(env);
  add({
    owner,
    key: `${kind}/${container} env ${env.name}`,
    identity: canonicalJson(desired),
    phase: PHASE.member,
    apply: (w, p) => {
      const target = requireContainer(w, kind, container);
      const existing = (target.env ?? []).find((e) => e.name === desired.name);
      if (existing && jsonEqual(desired, existing)) return undefined;
      const element = p.element(p.container(kind, container), 'env', 'name', desired.name);
      Object.assign(element, structuredClone(desired));
      // value and valueFrom exclude each other: replace, never merge, an existing variable.
      target.env = [...(target.env ?? []).filter((e) => e.name !== desired.name), desired];
      if (existing && 'value' in existing && !('value' in desired)) element.value = null;
      if (existing && 'valueFrom' in existing && !('valueFrom' in desired))
        element.valueFrom = null;
      return `set env ${desired.name} in ${container}`;
    },
  });
}

/** `StatefulSetPlan.removeEnv`: a missing container or variable counts as done. */
export function removeEnv(
  add: AddFragment,
  owner: string,
  container: string,
  name: string,
  options: ContainerSelector,
): void {
  const kind = kindOf(options);
  add({
    owner,
    key: `${kind}/${container} env ${name}`,
    identity: 'absent',
    phase: PHASE.removeMember,
    apply: (w, p) => {
      const target = findContainer(w, kind, container);
      if (!target || !(target.env ?? []).some((e) => e.name === name)) return undefined;
      target.env = (target.env ?? []).filter((e) => e.name !== name);
      dropIfEmpty(target, 'env');
      p.element(p.container(kind, container), 'env', 'name', name).$patch = 'delete';
      return `remove env ${name} from ${container}`;
    },
  });
}

/** A container of either kind, merged into an existing one of that name (phase `container`). */
function ensureContainerOf(
  add: AddFragment,
  owner: string,
  kind: ContainerKind,
  container: Container,
  position: 'first' | 'any',
): void {
  const desired = storedContainer(container);
  add({
    owner,
    key: `${kind}/${container.name}`,
    identity: canonicalJson({ desired, position }),
    phase: PHASE.container,
    apply: (w, p) => {
      const list = (w.template.spec[kind] ??= []);
      const index = list.findIndex((c) => c.name === desired.name);
      const existing = list[index];
      if (existing && covers(desired, existing)) return undefined;
      Object.assign(p.container(kind, desired.name), structuredClone(desired));
      const noun = kind === 'initContainers' ? 'init container' : 'container';
      if (existing) {
        list[index] = mergeValue(existing, desired, undefined) as Container;
        return `update ${noun} ${desired.name}`;
      }
      // The server appends new elements; a 'first' position is a separate ordering fragment.
      list.push(structuredClone(desired));
      return `add ${noun} ${desired.name}`;
    },
  });
}

/** A container of either kind removed by name; init containers drop an emptied list. */
function removeContainerOf(
  add: AddFragment,
  owner: string,
  kind: ContainerKind,
  name: string,
): void {
  add({
    owner,
    key: `${kind}/${name}`,
    identity: 'absent',
    phase: PHASE.removeContainer,
    apply: (w, p) => {
      const list = w.template.spec[kind] ?? [];
      if (!list.some((c) => c.name === name)) return undefined;
      w.template.spec[kind] = list.filter((c) => c.name !== name);
      if (kind === 'initContainers') dropIfEmpty(w.template.spec, kind);
      p.container(kind, name).$patch = 'delete';
      return `remove ${kind === 'initContainers' ? 'init container' : 'container'} ${name}`;
    },
  });
}
