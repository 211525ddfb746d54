/**
 * `juju-log`: how a log line reaches `juju debug-log`.
 *
 * The message travels as one argv string after `--`, so a message that starts with `-` is not
 * taken for a flag. Linux refuses to start a process with any single argument longer than
 * 128 KiB (MAX_ARG_STRLEN), so a longer message is sent as several calls, cut on UTF-8 character
 * boundaries by byte count (a cut by UTF-16 length could still exceed the limit, or split an
 * emoji in two).
 */
import type { LogLevel } from './backend.js';

/** The longest argument, in bytes, that Linux passes to a new process (NUL terminator excluded). */
export const MAX_ARG_BYTES = 131_071;

/** The argument lists of the `juju-log` calls that send `message` at `level`, in order. */
export function jujuLogArgs(
  level: LogLevel,
  message: string,
  maxBytes: number = MAX_ARG_BYTES,
): string[][] {
  const chunks = splitUtf8(message, maxBytes);
  const lines =
    chunks.length > 1
      ? [
          `Log message of ${Buffer.byteLength(message)} bytes sent in ${chunks.length} parts:`,
          ...chunks,
        ]
      : chunks;
  return lines.map((line) => ['--log-level', level, '--', line]);
}

/** Cuts `text` into pieces of at most `maxBytes` UTF-8 bytes without splitting a character. */
function splitUtf8(text: string, maxBytes: number): string[] {
  if (Buffer.byteLength(text) <= maxBytes) return [text];
  const pieces: string[] = [];
  let piece = '';
  let bytes = 0;
  for (const char of text) {
    const width = Buffer.byteLength(char);
    if (bytes + width > maxBytes) {
      pieces.push(piece);
      piece = '';
      bytes = 0;
    }
    piece += char;
    bytes += width;
  }
  pieces.push(piece);
  return pieces;
}
