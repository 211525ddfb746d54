/**
 * Code shown in docs/ must be code that runs. A fenced block preceded by
 * `<!-- example: <path> -->` must equal that file, which our suite runs as a test, so a guide can
 * never drift from the API it teaches.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const docs = fs
  .readdirSync(path.join(root, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => path.join('docs', f));

const embedded = docs.flatMap((doc) => {
  const text = fs.readFileSync(path.join(root, doc), 'utf8');
  const pattern = /<!-- example: (\S+) -->\s*```\w*\n([\s\S]*?)```/g;
  return [...text.matchAll(pattern)].map((m) => ({ doc, file: m[1]!, code: m[2]! }));
});

describe('examples embedded in docs/', () => {
  it('finds the embedded examples (docs/testing.md has one)', () => {
    expect(embedded.map((e) => e.doc)).toContain(path.join('docs', 'testing.md'));
  });

  it.each(embedded.map((e) => [e.doc, e.file, e.code] as const))(
    '%s embeds %s verbatim',
    (_doc, file, code) => {
      const source = fs.readFileSync(path.join(root, file), 'utf8');
      expect(code.trimEnd()).toBe(source.trimEnd());
    },
  );
});
