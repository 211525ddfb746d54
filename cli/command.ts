/**
 * What a `charmkit` command is: a name, its help, the options it takes (node's `parseArgs`
 * shapes) and what it runs. main.ts parses the command line against this and prints the help.
 */
import type { ExitCode } from './exit-codes.js';
import type { Output } from './output.js';

/** One option, as `util.parseArgs` takes it, plus its help line. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** Shown in `--help`; for a string option, name the value: `--kubeconfig <file>`. */
  readonly help: string;
  readonly value?: string;
}

/** What a command's `run` gets. */
export interface CommandInput {
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
  /** Where results go (stdout). */
  readonly out: Output;
  /** Where progress and diagnostics go (stderr), so stdout stays machine-readable. */
  readonly err: Output;
}

/** A `charmkit` subcommand. */
export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The usage line, after `charmkit <name>`. */
  readonly usage: string;
  /** Paragraphs after the usage line. */
  readonly description: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Extra exit-code meanings beyond the common ones, if any. */
  readonly exitCodes?: string;
  run(input: CommandInput): Promise<ExitCode>;
}
