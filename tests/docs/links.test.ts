/**
 * Links in our Markdown must lead somewhere. Relative links are checked against the repository;
 * README.md is also the package's page on npmjs.com, where relative links are dead, so its links
 * must be absolute, and the ones into the published package must name files the package ships
 * (the consumer test checks the same against the real tarball).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function markdownUnder(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : markdownUnder(relative);
    return entry.name.endsWith('.md') ? [relative] : [];
  });
}

const pages = [
  'README.md',
  'CONTRIBUTING.md',
  'schemas/README.md',
  ...markdownUnder('docs'),
  ...markdownUnder('examples'),
].filter((page) => !page.startsWith(path.join('docs', 'api')));

/** Link targets of a page, outside fenced code blocks (a template there is not a link). */
function linksOf(page: string): string[] {
  const text = fs.readFileSync(path.join(root, page), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
}

describe('links in our Markdown', () => {
  it.each(pages)('%s: every relative link resolves to a file in the repository', (page) => {
    const dead = linksOf(page)
      .filter((target) => !/^(https?:|mailto:|#)/.test(target))
      .filter((target) => {
        const file = path.join(root, path.dirname(page), decodeURI(target.split('#')[0]!));
        return !fs.existsSync(file);
      });
    expect(dead).toEqual([]);
  });

  it('README.md links only absolutely (it is the npm page), and into shipped files', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      name: string;
      files: string[];
    };
    const base = `https://unpkg.com/${pkg.name}/`;
    const targets = linksOf('README.md').filter((t) => !t.startsWith('#'));
    expect(targets.filter((t) => !/^https?:\/\//.test(t))).toEqual([]);
    const intoPackage = targets.filter((t) => t.startsWith(base));
    expect(intoPackage.length).toBeGreaterThan(0);
    for (const target of intoPackage) {
      const file = target.slice(base.length).split('#')[0]!;
      expect(fs.existsSync(path.join(root, file))).toBe(true);
      expect(pkg.files.some((shipped) => file === shipped || file.startsWith(`${shipped}/`))).toBe(
        true,
      );
    }
  });
});
