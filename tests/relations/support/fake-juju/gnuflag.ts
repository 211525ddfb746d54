/**
 * Command-line parsing as Juju's hook tools do it (github.com/juju/gnuflag under juju/cmd), for
 * the fake hook tools. Written from the upstream behaviour, in our own code:
 *
 * - flags and positional arguments may be interspersed (`status-set blocked -r 7` sees a flag);
 * - `--` ends the flags; a lone `-` and the empty string are positional;
 * - `--name`, `--name=value`, `--name value`; `-x`, `-xvalue`, `-x value`, and clusters of
 *   single-letter boolean flags (`-ab`); a boolean flag takes a value only as `--flag=value`;
 * - `-h`/`--help` prints the usage and exits 0 when the command defines no such flag;
 * - a usage error is printed as `ERROR <message>` and exits 2 (a failure to run exits 1).
 *
 * Every message matches the upstream wording, because the code under test reacts to stderr.
 */

/** How one flag takes its value. `set` checks a value and returns an error message, or nothing. */
export type FlagSpec =
  | { readonly kind: 'bool'; readonly key: string }
  | {
      readonly kind: 'value';
      readonly key: string;
      readonly set?: (value: string) => string | undefined;
    };

/** A command's flags by every name they answer to (`r` and `relation` can share one key). */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** What parsing found: flag values by key (`true` for a set boolean) and the positionals. */
export interface ParsedArgs {
  readonly flags: ReadonlyMap<string, string | boolean>;
  readonly args: readonly string[];
}

/** A usage error: the command prints `ERROR <message>` and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `-h` or `--help` on a command that does not define it: print usage, exit 0. */
export class HelpRequested extends Error {
  override readonly name = 'HelpRequested';
}

/** The flag with its dashes, as the messages write it: `-r`, `--app`. */
function withDashes(name: string): string {
  return [...name].length > 1 ? `--${name}` : `-${name}`;
}

/** Go's strconv.ParseBool. */
export function parseGoBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

/** Go's `%q` for the strings these messages quote (close enough: JSON quoting). */
export function goQuote(value: string): string {
  return JSON.stringify(value);
}

/** Parses `argv` (without the command name) against `specs`, interspersed as juju/cmd does. */
export function parseFlags(specs: FlagSpecs, argv: readonly string[]): ParsedArgs {
  const flags = new Map<string, string | boolean>();
  const args: string[] = [];
  const rest = [...argv];
  // Letters left over from a single-dash argument, still to be read as flags or a value.
  let pending = '';

  const takeFlag = (name: string, long: boolean): void => {
    const spec = specs[name];
    if (spec === undefined) {
      if (name === 'help' || name === 'h') throw new HelpRequested();
      throw new UsageError(`flag provided but not defined: ${withDashes(name)}`);
    }
    if (spec.kind === 'bool' && !pending.startsWith('=')) {
      flags.set(spec.key, true);
      return;
    }
    let value: string;
    if (pending !== '') {
      value = long ? pending.slice(1) : pending;
      pending = '';
    } else if (rest.length > 0) {
      value = rest.shift() as string;
    } else {
      throw new UsageError(`flag needs an argument: ${withDashes(name)}`);
    }
    const problem =
      spec.kind === 'bool'
        ? parseGoBool(value) === undefined
          ? `strconv.ParseBool: parsing ${goQuote(value)}: invalid syntax`
          : undefined
        : spec.set?.(value);
    if (problem !== undefined) {
      throw new UsageError(
        `invalid value ${goQuote(value)} for flag ${withDashes(name)}: ${problem}`,
      );
    }
    flags.set(spec.key, spec.kind === 'bool' ? (parseGoBool(value) as boolean) : value);
  };

  for (;;) {
    if (pending !== '') {
      const [first = ''] = [...pending];
      pending = pending.slice(first.length);
      takeFlag(first, false);
      continue;
    }
    const arg = rest.shift();
    if (arg === undefined) break;
    if (arg === '-' || arg === '' || !arg.startsWith('-')) {
      args.push(arg);
      continue;
    }
    if (arg === '--') {
      args.push(...rest.splice(0));
      break;
    }
    if (arg.startsWith('--')) {
      const equals = arg.indexOf('=');
      if (equals < 0) {
        takeFlag(arg.slice(2), true);
        continue;
      }
      const name = arg.slice(2, equals);
      if (name === '') throw new UsageError(`empty flag in argument ${goQuote(arg)}`);
      pending = arg.slice(equals);
      takeFlag(name, true);
      // A long flag consumes its own `=value`; nothing of it is left to read as flags.
      pending = '';
      continue;
    }
    const [first = ''] = [...arg.slice(1)];
    pending = arg.slice(1 + first.length);
    takeFlag(first, false);
  }
  return { flags, args };
}

/** juju/cmd's check that nothing is left over. */
export function checkEmpty(args: readonly string[]): void {
  if (args.length > 0) {
    throw new UsageError(`unrecognized args: [${args.map(goQuote).join(' ')}]`);
  }
}
