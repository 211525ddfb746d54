/**
 * Fake Juju hook tools for testing JujuBackend at its process boundary.
 *
 * Each tool is a real executable (`#!/usr/bin/env node`) in a temp dir that goes first on PATH.
 * It appends `{ argv, stdin }` to a log and answers from a table keyed by the full command line
 * (falling back to the tool name), so tests can assert the exact invocations and script replies.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** What one fake tool call prints and returns. */
export interface FakeReply {
  stdout?: string;
  stderr?: string;
  exit?: number;
}

/** One recorded call. */
export interface FakeCall {
  argv: string[];
  stdin: string;
}

export const HOOK_TOOLS = [
  'relation-ids',
  'relation-list',
  'relation-get',
  'relation-set',
  'is-leader',
  'status-set',
  'application-version-set',
] as const;

const SCRIPT = `#!/usr/bin/env node
const fs = require('node:fs');
const path = require('node:path');
const tool = path.basename(process.argv[1]);
const argv = [tool, ...process.argv.slice(2)];
let stdin = '';
try { stdin = fs.readFileSync(0, 'utf8'); } catch {}
fs.appendFileSync(path.join(__dirname, 'calls.jsonl'), JSON.stringify({ argv, stdin }) + '\\n');
const replies = JSON.parse(fs.readFileSync(path.join(__dirname, 'replies.json'), 'utf8'));
const reply = replies[argv.join(' ')] ?? replies[tool] ?? {};
process.stdout.write(reply.stdout ?? '');
process.stderr.write(reply.stderr ?? '');
process.exitCode = reply.exit ?? 0;
`;

/** A directory of fake hook tools and the log of their calls. */
export class FakeHookTools {
  readonly dir: string;
  private replies: Record<string, FakeReply> = {};

  constructor(tools: readonly string[] = HOOK_TOOLS) {
    this.dir = mkdtempSync(join(tmpdir(), 'charmkit-hook-tools-'));
    // The scripts are CommonJS whatever the surrounding folders say.
    writeFileSync(join(this.dir, 'package.json'), '{"type":"commonjs"}');
    for (const tool of tools) {
      const path = join(this.dir, tool);
      writeFileSync(path, SCRIPT);
      chmodSync(path, 0o755);
    }
    this.save();
  }

  /** Sets the reply for a full command line (`relation-get -r 3 ...`) or a bare tool name. */
  reply(commandLine: string, reply: FakeReply): this {
    this.replies[commandLine] = reply;
    this.save();
    return this;
  }

  /** Replies with `value` as JSON. */
  json(commandLine: string, value: unknown): this {
    return this.reply(commandLine, { stdout: `${JSON.stringify(value)}\n` });
  }

  /** Every call so far, oldest first. */
  calls(): FakeCall[] {
    const log = join(this.dir, 'calls.jsonl');
    if (!existsSync(log)) return [];
    return readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as FakeCall);
  }

  /** The argv of every call. */
  argvs(): string[][] {
    return this.calls().map((call) => call.argv);
  }

  /** An environment for a hook: these tools first on PATH, plus the given Juju variables. */
  env(vars: Record<string, string> = {}): Record<string, string> {
    return {
      PATH: `${this.dir}${delimiter}${process.env.PATH ?? ''}`,
      JUJU_UNIT_NAME: 'radarr/0',
      JUJU_MODEL_NAME: 'media',
      ...vars,
    };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private save(): void {
    writeFileSync(join(this.dir, 'replies.json'), JSON.stringify(this.replies));
  }
}
