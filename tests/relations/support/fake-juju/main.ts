/**
 * The process side of a fake hook tool: reads its argv and stdin, runs the fake agent on the state
 * file under a lock (Juju's agent runs one hook tool at a time, and calls may come in parallel),
 * logs the call, and prints and exits as the real tool would.
 */
import { appendFileSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTool, type FakeAgentState } from './agent.js';

/** The files a tools directory holds; shared with the test-side controller. */
export const STATE_FILE = 'state.json';
export const CALLS_FILE = 'calls.jsonl';
const LOCK_DIR = 'state.lock';

/** Runs `tool` in `dir`, with this process's argv, stdin and working directory. */
export function main(dir: string, tool: string): void {
  const argv = process.argv.slice(2);
  let stdin: Uint8Array = new Uint8Array();
  try {
    stdin = readFileSync(0);
  } catch {
    // No stdin (closed or a terminal): the tool reads nothing.
  }
  const result = withLock(join(dir, LOCK_DIR), () => {
    appendFileSync(
      join(dir, CALLS_FILE),
      `${JSON.stringify({ argv: [tool, ...argv], stdin: Buffer.from(stdin).toString('utf8') })}\n`,
    );
    const statePath = join(dir, STATE_FILE);
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as FakeAgentState;
    const outcome = runTool(tool, argv, stdin, state);
    writeFileSync(statePath, JSON.stringify(state));
    return outcome;
  });
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exitCode = result.exit;
}

function withLock<T>(lock: string, work: () => T): T {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`fake agent: ${lock} stayed locked for 10 s`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
  try {
    return work();
  } finally {
    rmdirSync(lock);
  }
}
