// Module hooks for register.mjs: `./x.js` imports resolve to `./x.ts` when only the TypeScript
// source exists, `.ts` files are transpiled on load (types stripped, no type checking), and
// forbidden packages fail to resolve.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

let forbidden = [];

export function initialize(data) {
  forbidden = data?.forbid ?? [];
}

export async function resolve(specifier, context, next) {
  if (forbidden.some((name) => specifier === name || specifier.startsWith(`${name}/`))) {
    throw Object.assign(
      new Error(
        `[forbidden import] "${specifier}" was imported from ${context.parentURL ?? 'the entry point'}`,
      ),
      { code: 'ERR_MODULE_NOT_FOUND' },
    );
  }
  try {
    return await next(specifier, context);
  } catch (error) {
    const fromTs = context.parentURL?.endsWith('.ts');
    if (error?.code === 'ERR_MODULE_NOT_FOUND' && fromTs && specifier.endsWith('.js')) {
      return next(`${specifier.slice(0, -3)}.ts`, context);
    }
    throw error;
  }
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
  const fileName = fileURLToPath(url);
  const { outputText } = ts.transpileModule(fs.readFileSync(fileName, 'utf8'), {
    fileName,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
      sourceMap: false,
    },
  });
  return { format: 'module', source: outputText, shortCircuit: true };
}
