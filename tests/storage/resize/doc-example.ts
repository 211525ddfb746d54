import type { KubePort } from 'charmkit/kube';
import type { Status } from 'charmkit/relations';
import { resizeEmitter, resizeStatus, resizeStepStatus, resizeVolumes } from 'charmkit/storage';

/**
 * Grows the volumes of this charm's StatefulSet to `size`, reporting progress as the unit's
 * status. Call it from every hook while the configured size is larger than the volumes: it
 * returns at once when there is nothing to do, and resumes an interrupted resize from its journal.
 */
export async function growVolumes(
  port: KubePort,
  unit: string,
  app: string,
  namespace: string,
  size: string,
  setStatus: (status: Status) => void,
): Promise<Status> {
  const events = resizeEmitter();
  events.on('step', (step) => {
    if (step.state === 'started') setStatus(resizeStepStatus(step));
  });
  events.on('warning', (message) => console.warn(`volume resize: ${message}`));
  try {
    const result = await resizeVolumes(
      { kube: port, namespace, statefulSet: app, size, holder: unit },
      events,
    );
    for (const volume of result.keptVolumes) {
      console.info(`volume resize: old volume ${volume} kept; delete it once you are satisfied`);
    }
    return resizeStatus(result);
  } catch (error) {
    // Typed endings: refused / failed (rolled back) / needs a human / interrupted (resumes).
    return resizeStatus(error);
  }
}
