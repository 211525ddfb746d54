/**
 * The dependency rules of the codebase, checked on every run so that a convenient import cannot
 * quietly couple two layers:
 * - lib/core imports nothing of ours; lib/kube and lib/relations import only lib/core (kube knows
 *   nothing of relations or capabilities, relations nothing of Kubernetes);
 * - lib/workload (the plan and the capability contract) builds on core, kube and relations only;
 * - capabilities (lib/storage, lib/vpn) use those layers and never each other;
 * - production code never imports lib/testing; the library never imports examples/ or cli/ (the
 *   CLI sits on top of both: docs/adr/0013-cli-outside-the-library.md);
 * - no import cycle anywhere in lib/, type-only imports included;
 * - @kubernetes/client-node (a peer dependency) is loaded at run time only by lib/kube, the layer
 *   that adapts it, and only lazily (for kubeconfig files); everything else sees plain types.
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

/** Strongly connected components with more than one file (or a self-import): the cycles. */
export function importCycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (edges.get(node) ?? []).includes(node)) {
        cycles.push(component.sort());
      }
    }
  };
  for (const node of edges.keys()) if (!index.has(node)) connect(node);
  return cycles;
}

/** lib/ as a graph of files: `lib/a/b.ts` → the lib files it imports. */
function libGraph(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const file of sourceFiles(lib)) edges.set(path.relative(root, file), []);
  for (const i of all) {
    if (!i.specifier.startsWith('.')) continue;
    const target = i.target.replace(/\.js$/, '.ts');
    if (edges.has(target)) edges.get(i.file)!.push(target);
  }
  return edges;
}

/** The lib folders each folder may import (besides itself). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  core: [],
  kube: ['core'],
  relations: ['core'],
  workload: ['core', 'kube', 'relations'],
  storage: ['core', 'kube', 'relations', 'workload'],
  vpn: ['core', 'kube', 'relations', 'workload'],
  testing: ['core', 'kube', 'relations', 'workload'],
};

describe('dependency rules', () => {
  it('finds the imports it checks (the scanner itself works)', () => {
    expect(from('storage').length).toBeGreaterThan(10);
    expect(into(from('storage'), 'kube').length).toBeGreaterThan(0);
    expect(into(from('storage'), 'relations').length).toBeGreaterThan(0);
    expect(into(from('workload'), 'kube').length).toBeGreaterThan(0);
  });

  it('every lib folder has a rule', () => {
    const folders = fs
      .readdirSync(lib, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect(folders.filter((folder) => !(folder in ALLOWED))).toEqual([]);
  });

  it.each(Object.entries(ALLOWED))('lib/%s imports only the layers below it', (folder, allowed) => {
    const outside = from(folder).filter((i) => {
      const match = /^lib\/([^/]+)\//.exec(i.target);
      return match !== null && match[1] !== folder && !allowed.includes(match[1]!);
    });
    expect(describeAll(outside)).toEqual([]);
  });

  it('the capabilities never import each other (vpn and storage compose through the contract)', () => {
    expect(from('vpn').length).toBeGreaterThan(10);
    expect(describeAll(into(from('vpn'), 'storage'))).toEqual([]);
    expect(describeAll(into(from('storage'), 'vpn'))).toEqual([]);
  });

  it('lib/relations never touches @kubernetes/*', () => {
    expect(
      describeAll(from('relations').filter((i) => i.target.startsWith('@kubernetes/'))),
    ).toEqual([]);
  });

  it('production code never imports lib/testing, and nothing in lib imports examples', () => {
    const production = all.filter((i) => !i.file.startsWith('lib/testing/'));
    expect(describeAll(into(production, 'testing'))).toEqual([]);
    expect(describeAll(all.filter((i) => i.target.startsWith('examples')))).toEqual([]);
    // The CLI (cli/) builds on the library and the examples; the library never reaches back.
    expect(
      describeAll(all.filter((i) => i.target === 'cli' || i.target.startsWith('cli/'))),
    ).toEqual([]);
  });

  it('only lib/kube loads @kubernetes/client-node at run time', () => {
    const runtime = all.filter(
      (i) =>
        i.target === '@kubernetes/client-node' && !i.typeOnly && !i.file.startsWith('lib/kube/'),
    );
    expect(describeAll(runtime)).toEqual([]);
  });

  it('lib loads @kubernetes/client-node only lazily, with import(), in lib/kube/credentials.ts', () => {
    // A static import anywhere would load it with `import 'charmkit'` (half a second and 100+ MB
    // per hook process, and a crash where it is not installed); tests/kube/client-node-free.test.ts
    // proves the same at run time.
    const mentions = sourceFiles(lib).flatMap((file) =>
      [...fs.readFileSync(file, 'utf8').matchAll(/^.*['"]@kubernetes\/client-node['"].*$/gm)].map(
        (m) => `${path.relative(root, file)}: ${m[0].trim()}`,
      ),
    );
    const allowed = (line: string) =>
      /^lib\/kube\/credentials\.ts: .*await import\('@kubernetes\/client-node'\)/.test(line) ||
      /^[^:]+: (import type|export type) /.test(line) ||
      /typeof import\('@kubernetes\/client-node'\)/.test(line);
    expect(mentions.filter((line) => !allowed(line))).toEqual([]);
    expect(mentions.some((line) => line.includes("await import('@kubernetes/client-node')"))).toBe(
      true,
    );
  });
});

describe('import cycles', () => {
  it('the detector finds a cycle, a self-import, and none in a tree', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['d']],
      ['e', ['a']],
    ]);
    expect(importCycles(graph)).toEqual([['a', 'b', 'c'], ['d']]);
    expect(
      importCycles(
        new Map([
          ['x', ['y']],
          ['y', []],
        ]),
      ),
    ).toEqual([]);
  });

  it('there is no import cycle anywhere in lib/, type-only imports included', () => {
    const graph = libGraph();
    expect(graph.size).toBeGreaterThan(50);
    expect(importCycles(graph)).toEqual([]);
  });
});
