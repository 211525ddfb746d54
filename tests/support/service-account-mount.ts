/**
 * A fake service-account mount in a temp directory, laid out the way the kubelet lays out a
 * projected volume: each file is a symlink into `..data`, a symlink to a timestamped directory, and
 * an update writes a new directory and swaps `..data` atomically. Tests point
 * `serviceAccountDir` (and KUBERNETES_SERVICE_HOST/PORT) at it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ServiceAccountFiles {
  token: string;
  /** PEM of the CA the API server's certificate chains to. */
  'ca.crt': string;
  namespace: string;
}

export class ServiceAccountMount {
  /** The directory to pass as `serviceAccountDir`. */
  readonly dir: string;
  private files: ServiceAccountFiles;

  constructor(files: ServiceAccountFiles) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charmkit-sa-'));
    this.files = files;
    this.publish();
    for (const name of Object.keys(files)) {
      fs.symlinkSync(path.join('..data', name), path.join(this.dir, name));
    }
  }

  /** Replaces some files as the kubelet does (token rotation, CA bundle update). */
  update(changes: Partial<ServiceAccountFiles>): void {
    this.files = { ...this.files, ...changes };
    this.publish();
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private publish(): void {
    const version = fs.mkdtempSync(path.join(this.dir, '..version-'));
    for (const [name, content] of Object.entries(this.files)) {
      fs.writeFileSync(path.join(version, name), content);
    }
    const link = path.join(this.dir, '..data_tmp');
    fs.symlinkSync(path.basename(version), link);
    fs.renameSync(link, path.join(this.dir, '..data')); // rename(2) over a symlink: atomic
  }
}
