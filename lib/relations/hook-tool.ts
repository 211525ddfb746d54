/**
 * Runs one Juju hook tool as a child process, without a shell.
 *
 * No shell means relation data and status messages are passed as argv or stdin verbatim: a value
 * containing `$(...)`, quotes or newlines cannot be interpreted. Failures become `HookToolError`
 * carrying the argv, exit code and stderr, so a log shows exactly which call the agent refused.
 */
import { execFile } from 'node:child_process';
import { HookToolError } from './errors.js';
import type { HookEnv } from './hook-context.js';

/** How to run a hook tool. */
export interface HookToolOptions {
  /** The environment; its `PATH` is where the tool is looked up. Defaults to `process.env`. */
  readonly env?: HookEnv;
  /** Written to the tool's stdin, which is then closed (it is closed empty when absent). */
  readonly stdin?: string;
  /** Kill the tool after this many milliseconds; 0 (the default) waits for ever, as Juju does. */
  readonly timeoutMs?: number;
}

/** Hook tool output is small, but a big relation bag must not be cut off silently. */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** Runs `tool` with `args` and resolves to its stdout. */
export function runHookTool(
  tool: string,
  args: readonly string[],
  options: HookToolOptions = {},
): Promise<string> {
  const argv = [tool, ...args];
  return new Promise((resolve, reject) => {
    const child = execFile(
      tool,
      [...args],
      {
        env: { ...(options.env ?? process.env) },
        encoding: 'utf8',
        maxBuffer: MAX_OUTPUT_BYTES,
        timeout: options.timeoutMs ?? 0,
        shell: false,
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve(stdout);
          return;
        }
        reject(toHookToolError(error, argv, stderr));
      },
    );
    // A tool that exits before reading stdin closes the pipe; that is its business, not an error.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.stdin ?? '');
  });
}

/** Parses a tool's `--format=json` output, turning garbage into a `HookToolError`. */
export function parseToolJson(stdout: string, argv: readonly string[]): unknown {
  const text = stdout.trim();
  // Some tools print nothing at all for "no data"; treat that like JSON null.
  if (text.length === 0) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // The output may be relation data (secrets included), so it is described, not quoted.
    throw new HookToolError(
      `${argv.join(' ')} printed ${text.length} characters that are not JSON`,
      argv,
      0,
      '',
    );
  }
}

interface ExecError extends Error {
  code?: number | string | null;
  killed?: boolean;
  signal?: NodeJS.Signals | null;
}

function toHookToolError(error: ExecError, argv: readonly string[], stderr: string): HookToolError {
  const command = argv.join(' ');
  const trimmed = stderr.trim();
  if (error.code === 'ENOENT') {
    return new HookToolError(
      `${argv[0]} not found on PATH: hook tools exist only inside a Juju hook (use MemoryBackend ` +
        'outside Juju)',
      argv,
      null,
      trimmed,
    );
  }
  if (typeof error.code === 'number') {
    return new HookToolError(
      `${command} failed with exit code ${error.code}${trimmed ? `: ${trimmed}` : ''}`,
      argv,
      error.code,
      trimmed,
    );
  }
  const why = error.signal ? `was killed by ${error.signal}` : `could not run (${error.message})`;
  return new HookToolError(`${command} ${why}`, argv, null, trimmed);
}
