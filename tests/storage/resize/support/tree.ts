/**
 * A directory tree with everything a volume holds and a naive copy loses, and a description of a
 * tree precise enough to compare two of them (type, mode, owner, size, mtime, link target, xattrs).
 * Shared by the script tests and the integration test that copies real directories.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Runs a shell command and returns its stdout. */
export function sh(command: string): string {
  return execFileSync('sh', ['-c', command], { encoding: 'utf8' });
}

/** A tree with every kind of thing a volume holds and a naive copy loses. */
export function makeSource(dir: string): void {
  fs.mkdirSync(path.join(dir, 'media/movies'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'empty'));
  fs.writeFileSync(path.join(dir, 'media/movies/a film.mkv'), 'frames '.repeat(5000));
  fs.writeFileSync(path.join(dir, 'config.xml'), '<config><port>7878</port></config>\n');
  fs.writeFileSync(path.join(dir, 'naïve ☃.txt'), 'unicode name\n');
  // Hard links: two names, one inode.
  fs.linkSync(path.join(dir, 'config.xml'), path.join(dir, 'config.hardlink'));
  // Symlinks: relative, absolute-looking, dangling.
  fs.symlinkSync('media/movies/a film.mkv', path.join(dir, 'latest'));
  fs.symlinkSync('/nonexistent/target', path.join(dir, 'dangling'));
  // A sparse file: 64 MiB apparent, a few bytes of data.
  sh(`truncate -s 64M '${dir}/sparse.img' && printf tail >> '${dir}/sparse.img'`);
  // Extended attributes on a file and a directory.
  sh(`setfattr -n user.charmkit.origin -v radarr '${dir}/config.xml'`);
  sh(`setfattr -n user.charmkit.dir -v yes '${dir}/media'`);
  // Numeric ownership by ids that exist in no passwd file, and special modes.
  sh(`chown -h 4242:4343 '${dir}/media/movies/a film.mkv' '${dir}/latest'`);
  sh(`chown 1000:1000 '${dir}/media' && chmod 2775 '${dir}/media'`);
  sh(`chmod 4750 '${dir}/config.xml'`);
  sh(`mkfifo '${dir}/queue.fifo'`);
  // Old timestamps, which a copy without -t would replace by "now".
  sh(`touch -h -d '2020-02-02 02:02:02' '${dir}/media/movies/a film.mkv' '${dir}/empty'`);
}

export interface Entry {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  link?: string;
  xattrs: string;
}

export function describeTree(dir: string): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const walk = (rel: string) => {
    const full = path.join(dir, rel);
    const st = fs.lstatSync(full);
    const type = st.isDirectory()
      ? 'dir'
      : st.isSymbolicLink()
        ? 'link'
        : st.isFIFO()
          ? 'fifo'
          : 'file';
    out.set(rel || '.', {
      type,
      mode: st.mode,
      uid: st.uid,
      gid: st.gid,
      size: type === 'dir' ? 0 : st.size,
      mtime: type === 'link' ? 0 : Math.floor(st.mtimeMs / 1000),
      ...(type === 'link' ? { link: fs.readlinkSync(full) } : {}),
      xattrs:
        type === 'link' || type === 'fifo'
          ? ''
          : sh(`getfattr -d -m - --absolute-names '${full}' 2>/dev/null | sed 1d || true`),
    });
    if (type === 'dir') for (const name of fs.readdirSync(full)) walk(path.join(rel, name));
  };
  walk('');
  return out;
}
