/**
 * One file per controller: esbuild bundles a controller's entry point with charmkit and its
 * dependencies into a single ES module, so a hook process parses one file instead of resolving
 * and reading a tree of modules. @kubernetes/client-node stays out: under Juju credentials come
 * from the pod's service account, which charmkit reads without it (docs/adr/0012), and a
 * kubeconfig in a hook is a mistake the bundle reports when it happens.
 */
import path from 'node:path';
import { CliError, EXIT } from '../exit-codes.js';
import { precompiledSchemasPlugin } from './precompiled-schemas.js';

/** What a bundle was built from and how big it is. */
export interface Bundle {
  readonly outfile: string;
  readonly bytes: number;
  /** Source files that went in. */
  readonly inputs: number;
}

/** Options of `bundleController`. */
export interface BundleOptions {
  readonly entry: string;
  readonly outfile: string;
  /** The tsconfig that maps `charmkit/*` (a clone's own); default none. */
  readonly tsconfig?: string;
  /** Minify (default true): less to parse on every hook. */
  readonly minify?: boolean;
  /**
   * Interface schema folders to compile at pack time (precompiled-schemas.ts), and where `ajv`
   * resolves from; without them the bundle compiles schemas at run time as the library does.
   */
  readonly precompile?: { readonly schemaRoots: readonly string[]; readonly resolveDir: string };
}

/** Bundles `entry` into `outfile` (ESM, Node 20+). */
export async function bundleController(options: BundleOptions): Promise<Bundle> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new CliError('bundling needs esbuild: npm install --save-dev esbuild', EXIT.environment);
  }
  const result = await esbuild
    .build({
      entryPoints: [options.entry],
      outfile: options.outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      ...(options.tsconfig ? { tsconfig: options.tsconfig } : {}),
      external: ['@kubernetes/client-node'],
      minify: options.minify ?? true,
      keepNames: true,
      legalComments: 'none',
      metafile: true,
      logLevel: 'silent',
      plugins: options.precompile
        ? [precompiledSchemasPlugin(options.precompile.schemaRoots, options.precompile.resolveDir)]
        : [],
      // CommonJS dependencies (ajv) call require(); give the ES module one.
      banner: {
        js: "import { createRequire as __charmkitRequire } from 'node:module'; const require = __charmkitRequire(import.meta.url);",
      },
    })
    .catch((failure: unknown) => {
      throw new CliError(
        `bundling ${path.relative(process.cwd(), options.entry)} failed: ${(failure as Error).message}`,
        EXIT.failed,
      );
    });
  const output = Object.values(result.metafile.outputs)[0];
  return {
    outfile: options.outfile,
    bytes: output?.bytes ?? 0,
    inputs: Object.keys(result.metafile.inputs).length,
  };
}
