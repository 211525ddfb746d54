/**
 * The exit codes of every `charmkit` command (documented in docs/cli.md). Scripts rely on them, so
 * they never change meaning.
 */
export const EXIT = {
  /** The command did what was asked (for `demo`: every application ended Active). */
  ok: 0,
  /** The command ran and found a problem: a reconcile failed, a check did not pass. */
  failed: 1,
  /** The command line is wrong: an unknown command or option, a missing argument. */
  usage: 2,
  /** The surroundings are missing something: no cluster or credentials, a tool or package absent. */
  environment: 3,
} as const;

/** One of `EXIT`'s values. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure that ends a command with a given exit code and a message for the person. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}
