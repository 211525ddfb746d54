/**
 * The schemas folder must be found both from lib/ (ts-jest, this process) and from dist/lib/
 * (the published package). The second case is checked by transpiling lib/relations into a
 * throwaway package laid out like the published one and importing it in a fresh Node process.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { packageSchemasDir } from '../../lib/relations/schema-registry.js';

const repo = process.cwd();

describe('packageSchemasDir', () => {
  it('finds <package>/schemas from lib/relations under ts-jest', () => {
    expect(packageSchemasDir()).toBe(join(repo, 'schemas'));
  });

  it('finds <package>/schemas from dist/lib/relations in an installed package', () => {
    const pkg = mkdtempSync(join(tmpdir(), 'charmkit-dist-'));
    try {
      // lib/relations and the only folder it may import, lib/core.
      for (const folder of ['relations', 'core']) {
        const out = join(pkg, 'dist', 'lib', folder);
        mkdirSync(out, { recursive: true });
        for (const file of readdirSync(join(repo, 'lib', folder)).filter((f) =>
          f.endsWith('.ts'),
        )) {
          const source = readFileSync(join(repo, 'lib', folder, file), 'utf8');
          const { outputText } = ts.transpileModule(source, {
            compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
            fileName: file,
          });
          writeFileSync(join(out, file.replace(/\.ts$/, '.js')), outputText);
        }
      }
      writeFileSync(
        join(pkg, 'package.json'),
        JSON.stringify({ name: 'charmkit', type: 'module' }),
      );
      cpSync(join(repo, 'schemas'), join(pkg, 'schemas'), { recursive: true });
      symlinkSync(join(repo, 'node_modules'), join(pkg, 'node_modules'), 'dir');
      const script = [
        "const m = await import('./dist/lib/relations/schema-registry.js');",
        "const schema = new m.SchemaRegistry().get('example', 1);",
        "const decoded = schema.provider.app.decode({ 'pvc-name': 'a', 'mount-path': '/d', puid: '7' }, 'bag');",
        'console.log(JSON.stringify({ dir: m.packageSchemasDir(), decoded }));',
      ].join('\n');
      const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: pkg,
        encoding: 'utf8',
      });
      expect(JSON.parse(stdout)).toEqual({
        dir: join(pkg, 'schemas'),
        decoded: { 'pvc-name': 'a', 'mount-path': '/d', puid: 7 },
      });
    } finally {
      rmSync(pkg, { recursive: true, force: true });
    }
  });
});
