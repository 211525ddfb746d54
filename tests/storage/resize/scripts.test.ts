/**
 * The copy and verify scripts, run for real — the exact text the Job pods run — on local
 * directories, with rsync and the attr tools of this machine (scripts/test.sh installs them or
 * says how). The test cluster's pods are kwok fakes that never execute a container, so this file
 * (and the integration test that plays the kubelet by running these scripts on the volumes'
 * directories) is where the data-level behaviour is proven: hard links, symlinks, sparse files,
 * extended attributes, numeric ownership, modes, a dirty destination, and a change after the copy
 * that the verification must catch.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { COPY_SCRIPT, parseReport, VERIFY_SCRIPT } from '../../../lib/storage/resize/scripts.js';
import { describeTree, makeSource, sh } from './support/tree.js';

const TOOLS = ['rsync', 'getfattr', 'setfattr', 'sh', 'sha256sum'];

function requireTools(): void {
  const missing = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length > 0) {
    throw new Error(
      `the resize script tests need ${missing.join(', ')}: run 'apt-get install -y rsync attr' ` +
        '(npm test does it when it runs as root)',
    );
  }
  if (process.getuid?.() !== 0) {
    throw new Error(
      'the resize script tests must run as root: they check that file owners are kept, ' +
        'which only root can do (the copy pod runs as root for the same reason)',
    );
  }
}

let root = '';
beforeAll(() => {
  requireTools();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'charmkit-resize-'));
});
afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

interface Run {
  status: number;
  report: string;
  stderr: string;
}

function run(script: string, src: string, dst: string, env: Record<string, string> = {}): Run {
  const report = path.join(root, `report-${Math.random().toString(16).slice(2)}`);
  const tmp = fs.mkdtempSync(path.join(root, 'tmp-'));
  const result = spawnSync('sh', ['-c', script], {
    env: { PATH: process.env.PATH ?? '', SRC: src, DST: dst, REPORT: report, TMPDIR: tmp, ...env },
    encoding: 'utf8',
  });
  return {
    status: result.status ?? -1,
    report: fs.existsSync(report) ? fs.readFileSync(report, 'utf8') : '',
    stderr: result.stderr,
  };
}

function digestOf(text: string): string {
  const parsed = JSON.parse(text) as { digest: string };
  return parsed.digest;
}

describe('the copy script', () => {
  it('copies hard links, symlinks, sparse files, xattrs, owners, modes and times exactly', () => {
    const src = path.join(root, 'src');
    const dst = path.join(root, 'dst');
    fs.mkdirSync(src);
    fs.mkdirSync(dst);
    makeSource(src);
    const copy = run(COPY_SCRIPT, src, dst);
    expect(copy.stderr).toBe('');
    expect(copy.status).toBe(0);
    const report = parseReport(copy.report, 'copy');
    expect(report.ok).toBe(true);
    if (!report.ok) return;
    expect(report.report.bytes).toBeGreaterThan(64 * 1024 * 1024);
    expect(report.report.files).toBe(describeTree(src).size);

    expect(describeTree(dst)).toEqual(describeTree(src));
    // Hard links stay one inode; the sparse file stays sparse; ids stay numbers.
    expect(fs.statSync(path.join(dst, 'config.xml')).ino).toBe(
      fs.statSync(path.join(dst, 'config.hardlink')).ino,
    );
    expect(fs.statSync(path.join(dst, 'sparse.img')).blocks * 512).toBeLessThan(1024 * 1024);
    expect(fs.lstatSync(path.join(dst, 'media/movies/a film.mkv')).uid).toBe(4242);
    expect(sh(`getfattr -n user.charmkit.origin --only-values '${dst}/config.xml'`)).toBe('radarr');
  });

  it('verifies an exact copy: nothing itemized, both manifests equal the recorded digest', () => {
    const src = path.join(root, 'src');
    const dst = path.join(root, 'dst');
    const copyDigest = digestOf(run(COPY_SCRIPT, src, dst).report);
    const verify = run(VERIFY_SCRIPT, src, dst, { EXPECTED_DIGEST: copyDigest });
    expect(verify.stderr).toBe('');
    expect(verify.status).toBe(0);
    const report = parseReport(verify.report, 'verify');
    expect(report.ok && report.report.digest).toBe(copyDigest);
  });

  it('makes a dirty destination (an interrupted earlier attempt) exact', () => {
    const src = path.join(root, 'src');
    const dst = path.join(root, 'dirty');
    fs.mkdirSync(dst);
    fs.writeFileSync(path.join(dst, 'stale-from-last-try'), 'x');
    fs.writeFileSync(path.join(dst, 'config.xml'), '<config>half');
    const copy = run(COPY_SCRIPT, src, dst);
    expect(copy.status).toBe(0);
    expect(fs.existsSync(path.join(dst, 'stale-from-last-try'))).toBe(false);
    expect(describeTree(dst)).toEqual(describeTree(src));
  });
});

describe('the verify script fails', () => {
  /** A fresh exact copy and its digest. */
  function fresh(name: string): { src: string; dst: string; digest: string } {
    const src = path.join(root, `${name}-src`);
    const dst = path.join(root, `${name}-dst`);
    fs.mkdirSync(src);
    fs.mkdirSync(dst);
    makeSource(src);
    const copy = run(COPY_SCRIPT, src, dst);
    expect(copy.status).toBe(0);
    return { src, dst, digest: digestOf(copy.report) };
  }

  it('when a copied file changed after the copy, even with the same size and time', () => {
    const { src, dst, digest } = fresh('content');
    const file = path.join(dst, 'media/movies/a film.mkv');
    const before = fs.statSync(file);
    fs.writeFileSync(file, 'FRAMES '.repeat(5000));
    fs.utimesSync(file, before.atime, before.mtime);
    const verify = run(VERIFY_SCRIPT, src, dst, { EXPECTED_DIGEST: digest });
    expect(verify.status).not.toBe(0);
    expect(verify.report).toMatch(/"ok":false.*difference/);
    expect(verify.stderr).toMatch(/>fc\S* media\/movies\/a film\.mkv/);
  });

  it('when the source changed after the copy (a writer nobody stopped)', () => {
    const { src, dst, digest } = fresh('writer');
    fs.appendFileSync(path.join(src, 'config.xml'), '<!-- written later -->');
    const verify = run(VERIFY_SCRIPT, src, dst, { EXPECTED_DIGEST: digest });
    expect(verify.status).not.toBe(0);
    expect(parseReport(verify.report, 'verify').ok).toBe(false);
  });

  it('when an extended attribute differs', () => {
    const { src, dst, digest } = fresh('xattr');
    sh(`setfattr -n user.charmkit.origin -v sonarr '${dst}/config.xml'`);
    const verify = run(VERIFY_SCRIPT, src, dst, { EXPECTED_DIGEST: digest });
    expect(verify.status).not.toBe(0);
    expect(verify.stderr).toMatch(/\.f\S*x\S* config\.(xml|hardlink)/);
  });

  it('when an owner differs', () => {
    const { src, dst, digest } = fresh('owner');
    sh(`chown 1:1 '${dst}/naïve ☃.txt'`);
    expect(run(VERIFY_SCRIPT, src, dst, { EXPECTED_DIGEST: digest }).status).not.toBe(0);
  });

  it('when the destination has an extra file', () => {
    const { src, dst, digest } = fresh('extra');
    fs.writeFileSync(path.join(dst, 'extra'), 'not in the source');
    const verify = run(VERIFY_SCRIPT, src, dst, { EXPECTED_DIGEST: digest });
    expect(verify.status).not.toBe(0);
    expect(verify.stderr).toMatch(/deleting\s+extra/);
  });

  it('when a hard link was broken into two files', () => {
    const { src, dst, digest } = fresh('hardlink');
    const link = path.join(dst, 'config.hardlink');
    const copyOf = fs.readFileSync(link);
    const st = fs.lstatSync(link);
    fs.unlinkSync(link);
    fs.writeFileSync(link, copyOf);
    sh(`chown ${st.uid}:${st.gid} '${link}' && chmod 4750 '${link}'`);
    fs.utimesSync(link, st.atime, st.mtime);
    expect(run(VERIFY_SCRIPT, src, dst, { EXPECTED_DIGEST: digest }).status).not.toBe(0);
  });

  it('when the expected digest is not the copy’s', () => {
    const { src, dst } = fresh('digest');
    const verify = run(VERIFY_SCRIPT, src, dst, { EXPECTED_DIGEST: '0'.repeat(64) });
    expect(verify.status).not.toBe(0);
    expect(verify.report).toMatch(/the source changed since it was copied/);
  });
});

describe('parseReport', () => {
  it('accepts only a complete success of the expected role', () => {
    const good = JSON.stringify({
      ok: true,
      role: 'copy',
      bytes: 1,
      files: 2,
      digest: 'a'.repeat(64),
    });
    expect(parseReport(good, 'copy')).toEqual({
      ok: true,
      report: { bytes: 1, files: 2, digest: 'a'.repeat(64) },
    });
    expect(parseReport(good, 'verify').ok).toBe(false);
    expect(parseReport('', 'copy')).toEqual({ ok: false, reason: 'the copy pod wrote no report' });
    expect(parseReport('{oops', 'copy').ok).toBe(false);
    expect(parseReport(JSON.stringify({ ok: true, role: 'copy', bytes: 1 }), 'copy').ok).toBe(
      false,
    );
    expect(
      parseReport(
        JSON.stringify({ ok: false, role: 'copy', reason: 'rsync exited with status 23' }),
        'copy',
      ),
    ).toEqual({
      ok: false,
      reason: 'copy failed: rsync exited with status 23',
    });
  });
});
