/**
 * The `charmkit` command line: `charmkit <command> [options]`, `--help` on every command, exit
 * codes in exit-codes.ts (and docs/cli.md). The commands live in commands/.
 */
import { parseArgs } from 'node:util';
import type { Command, OptionSpec } from './command.js';
import { demoCommand } from './commands/demo.js';
import { packCommand } from './commands/pack.js';
import { planCommand } from './commands/plan.js';
import { rbacCommand } from './commands/rbac.js';
import { resizeCommand } from './commands/resize.js';
import { CliError, EXIT, type ExitCode } from './exit-codes.js';
import { Output, type OutputStream } from './output.js';

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [
  demoCommand,
  planCommand,
  rbacCommand,
  resizeCommand,
  packCommand,
];

/** Where the CLI writes; tests pass memory streams. */
export interface CliIo {
  readonly stdout?: OutputStream;
  readonly stderr?: OutputStream;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const COMMON: Readonly<Record<string, OptionSpec>> = {
  help: { type: 'boolean', short: 'h', help: 'show this help' },
  plain: { type: 'boolean', help: 'plain output: no colors, no redrawn progress lines' },
};

const EXIT_HELP = [
  'Exit codes: 0 done; 1 the command ran and found a problem; 2 wrong command line;',
  '3 something it needs is missing (cluster, credentials, a tool or package).',
].join('\n');

/** Runs the CLI with `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo = {}): Promise<ExitCode> {
  const env = io.env ?? process.env;
  const plain = argv.includes('--plain');
  const out = new Output({ stream: io.stdout ?? process.stdout, env, plain });
  const err = new Output({ stream: io.stderr ?? process.stderr, env, plain });
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    for (const line of topic ? commandHelp(topic) : overview()) out.line(line);
    return EXIT.ok;
  }
  if (name === '--version') {
    out.line(await version());
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    err.line(`charmkit: unknown command "${name}"; run 'charmkit --help' for the list`);
    return EXIT.usage;
  }
  const options = { ...COMMON, ...command.options };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: Object.fromEntries(
        Object.entries(options).map(([key, o]) => [
          key,
          {
            type: o.type,
            ...(o.short ? { short: o.short } : {}),
            ...(o.multiple ? { multiple: true } : {}),
          },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
  } catch (failure) {
    err.line(`charmkit ${name}: ${(failure as Error).message}; run 'charmkit ${name} --help'`);
    return EXIT.usage;
  }
  if (parsed.values.help) {
    for (const line of commandHelp(command)) out.line(line);
    return EXIT.ok;
  }
  try {
    return await command.run({
      values: parsed.values as Record<string, string | boolean | string[] | undefined>,
      positionals: parsed.positionals,
      out,
      err,
    });
  } catch (failure) {
    if (failure instanceof CliError) {
      err.line(`charmkit ${name}: ${failure.message}`);
      return failure.exitCode;
    }
    err.line(
      `charmkit ${name}: ${failure instanceof Error ? (failure.stack ?? failure.message) : String(failure)}`,
    );
    return EXIT.failed;
  }
}

function overview(): string[] {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'charmkit: tools for charm-like Kubernetes controllers built with charmkit',
    '',
    'Usage: charmkit <command> [options]     charmkit <command> --help',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options everywhere: --help, --plain (no colors or redrawn progress; the default off a terminal)',
    '',
    EXIT_HELP,
    'Documentation: docs/cli.md',
  ];
}

/** The help of one command. */
export function commandHelp(command: Command): string[] {
  const options = { ...command.options, ...COMMON };
  const flag = ([key, o]: [string, OptionSpec]) =>
    `${o.short ? `-${o.short}, ` : ''}--${key}${o.type === 'string' ? ` <${o.value ?? 'value'}>` : ''}`;
  const flags = Object.entries(options).map((entry) => [flag(entry), entry[1].help] as const);
  const width = Math.max(...flags.map(([f]) => f.length));
  return [
    `Usage: charmkit ${command.name} ${command.usage}`.trimEnd(),
    '',
    command.description,
    '',
    'Options:',
    ...flags.map(([f, help]) => `  ${f.padEnd(width)}  ${help}`),
    '',
    EXIT_HELP,
    ...(command.exitCodes ? [`For ${command.name}: ${command.exitCodes}.`] : []),
  ];
}

async function version(): Promise<string> {
  try {
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    for (const candidate of ['../package.json', '../../package.json', '../../../package.json']) {
      try {
        const manifest = require(candidate) as { name?: string; version?: string };
        if (manifest.name === 'charmkit') return `charmkit ${manifest.version ?? ''}`.trim();
      } catch {
        // not here; try one level up
      }
    }
  } catch {
    // fall through
  }
  return 'charmkit (version unknown)';
}
