/**
 * The dependency rules of the codebase, checked on every run so that a convenient import cannot
 * quietly couple two capabilities:
 * - lib/kube knows nothing of relations or capabilities; lib/relations knows nothing of Kubernetes;
 * - lib/storage and lib/vpn never import each other (they compose through the StatefulSet plan);
 * - production code never imports lib/testing; the library never imports examples/;
 * - @kubernetes/client-node (a peer dependency) is loaded at run time only by lib/kube, the layer
 *   that adapts it; everything else sees plain types.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const lib = path.join(root, 'lib');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

interface Import {
  file: string;
  specifier: string;
  typeOnly: boolean;
  /** Path relative to the repo root for relative imports, the bare specifier otherwise. */
  target: string;
}

function importsOf(file: string): Import[] {
  const text = fs.readFileSync(file, 'utf8');
  const found: Import[] = [];
  const pattern = /^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+['"]([^'"]+)['"]/gms;
  for (const match of text.matchAll(pattern)) {
    const specifier = match[3]!;
    const target = specifier.startsWith('.')
      ? path.relative(root, path.resolve(path.dirname(file), specifier))
      : specifier;
    found.push({ file: path.relative(root, file), specifier, typeOnly: Boolean(match[2]), target });
  }
  return found;
}

const all = sourceFiles(lib).flatMap(importsOf);
const from = (folder: string) => all.filter((i) => i.file.startsWith(`lib/${folder}/`));
const into = (imports: Import[], folder: string) =>
  imports.filter((i) => i.target.startsWith(`lib/${folder}/`) || i.target === `lib/${folder}`);
const describeAll = (imports: Import[]) => imports.map((i) => `${i.file} -> ${i.specifier}`);

describe('dependency rules', () => {
  it('finds the imports it checks (the scanner itself works)', () => {
    expect(from('storage').length).toBeGreaterThan(10);
    expect(into(from('storage'), 'kube').length).toBeGreaterThan(0);
    expect(into(from('storage'), 'relations').length).toBeGreaterThan(0);
  });

  it('lib/kube imports nothing from relations, storage, vpn or testing', () => {
    for (const folder of ['relations', 'storage', 'vpn', 'testing']) {
      expect(describeAll(into(from('kube'), folder))).toEqual([]);
    }
  });

  it('lib/relations imports nothing from kube, storage, vpn or testing', () => {
    for (const folder of ['kube', 'storage', 'vpn', 'testing']) {
      expect(describeAll(into(from('relations'), folder))).toEqual([]);
    }
    expect(
      describeAll(from('relations').filter((i) => i.target.startsWith('@kubernetes/'))),
    ).toEqual([]);
  });

  it('storage and vpn never import each other', () => {
    expect(describeAll(into(from('storage'), 'vpn'))).toEqual([]);
    expect(describeAll(into(from('vpn'), 'storage'))).toEqual([]);
  });

  it('production code never imports lib/testing, and nothing in lib imports examples', () => {
    const production = all.filter((i) => !i.file.startsWith('lib/testing/'));
    expect(describeAll(into(production, 'testing'))).toEqual([]);
    expect(describeAll(all.filter((i) => i.target.startsWith('examples')))).toEqual([]);
  });

  it('only lib/kube loads @kubernetes/client-node at run time', () => {
    const runtime = all.filter(
      (i) =>
        i.target === '@kubernetes/client-node' && !i.typeOnly && !i.file.startsWith('lib/kube/'),
    );
    expect(describeAll(runtime)).toEqual([]);
  });
});
