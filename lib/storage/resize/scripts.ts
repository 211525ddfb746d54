/**
 * The two shell scripts the resize runs in its Job pods, and the one report format they write.
 *
 * The copy script runs `rsync -aHAX --numeric-ids -S --delete` once from the source to the
 * destination: `-a` keeps permissions, times, symlinks and devices; `-H` hard links, `-A` ACLs and
 * `-X` extended attributes (which `-a` alone drops); `--numeric-ids` keeps uid/gid numbers instead of
 * remapping them by name (the pod's /etc/passwd is not the workload's); `-S` keeps sparse files
 * sparse; `--delete` removes what a previous, interrupted attempt left in the destination. It then
 * computes a manifest of both trees and fails unless they are the same.
 *
 * The verify script runs in a second pod, after the first has gone: a checksum dry run
 * (`rsync -n -c -aHAX --numeric-ids --delete -i`) must exit 0 and itemize nothing — any line
 * means a difference in content, metadata, an extra or a missing file — and both manifests must
 * equal the digest the copy recorded in the journal, so a change to the source after the copy (a
 * writer we did not fence) fails the verification too.
 *
 * The manifest is one line per entry — type, mode, owner, group, size, link count and mtime for
 * files; mode, owner, group and mtime for directories; owner, group and target for symlinks; type,
 * owner and device numbers for the rest — plus the sha256 of every regular file, sorted bytewise
 * and hashed. Directory link counts are left out (they differ between filesystems); symlink mtimes
 * are left out (not every filesystem can set them). Only POSIX sh, find, stat -c, sort, sha256sum,
 * awk and rsync are used, so BusyBox images work; no pipeline's status is trusted, because plain
 * sh has no pipefail: intermediate results go to files in `$TMPDIR`, each command checked.
 *
 * Nothing from the cluster or a user is interpolated into the scripts: paths come from the
 * environment (`SRC`, `DST`, `REPORT`, `EXPECTED_DIGEST`), set by the Job, so the scripts are
 * constants that the tests run exactly as the pods do.
 *
 * Each script ends by writing one JSON object to `$REPORT` (the pod's termination message, at
 * most 4 KiB, which the helper reads from the pod status): `{"ok":true,"role":…,"bytes":…,
 * "files":…,"digest":…}` or `{"ok":false,"role":…,"reason":…}`.
 */
import { isPlainObject } from '../../core/json.js';
import type { CopyReport } from './journal.js';

const COMMON = String.raw`set -u
src="${'$'}{SRC:-/src}"
dst="${'$'}{DST:-/dst}"
report="${'$'}{REPORT:-/dev/termination-log}"
work="${'$'}{TMPDIR:-/tmp}/charmkit-resize.$$"
mkdir -p "$work" || exit 1
fail() {
  printf '{"ok":false,"role":"%s","reason":"%s"}' "$role" "$1" > "$report"
  echo "charmkit resize $role: $1" >&2
  rm -rf "$work"
  exit 1
}
# manifest DIR NAME: writes the sorted manifest of DIR to $work/NAME and its sha256 to $work/NAME.sum
manifest() {
  (
    cd "$1" || exit 1
    find . -type f -exec stat -c 'f %a %u %g %s %h %Y %n' {} + || exit 1
    find . -type d -exec stat -c 'd %a %u %g %Y %n' {} + || exit 1
    find . -type l -exec stat -c 'l %u %g %n' {} + || exit 1
    find . ! -type f ! -type d ! -type l -exec stat -c 'o %f %u %g %t %T %n' {} + || exit 1
    find . -type l -exec sh -c 'for l do printf "t %s -> %s\n" "$l" "$(readlink "$l")" || exit 1; done' sh {} + || exit 1
    find . -type f -exec sha256sum {} + || exit 1
  ) > "$work/$2.raw" || return 1
  LC_ALL=C sort -o "$work/$2" "$work/$2.raw" || return 1
  sha256sum < "$work/$2" > "$work/$2.sum" || return 1
  cut -c1-64 "$work/$2.sum"
}
entries() {
  (cd "$1" && find . > "$work/entries") || return 1
  wc -l < "$work/entries" | tr -d ' '
}
command -v rsync > /dev/null 2>&1 || fail "the image has no rsync"
[ -d "$src" ] || fail "source is not a directory"
[ -d "$dst" ] || fail "destination is not a directory"
`;

/** Copies `$SRC` to `$DST` once and checks the two manifests are equal. */
export const COPY_SCRIPT =
  'role=copy\n' +
  COMMON +
  String.raw`rsync -aHAX --numeric-ids -S --delete --stats "$src/" "$dst/" > "$work/stats"
code=$?
[ "$code" -eq 0 ] || fail "rsync exited with status $code"
bytes=$(sed -n 's/^Total transferred file size: \([0-9,.]*\).*/\1/p' "$work/stats" | tr -d ',.')
[ -n "$bytes" ] || bytes=0
srcsum=$(manifest "$src" source) || fail "could not compute the source manifest"
dstsum=$(manifest "$dst" copy) || fail "could not compute the copy manifest"
[ "$srcsum" = "$dstsum" ] || fail "the copy differs from the source (is something still writing to it?)"
files=$(entries "$src") || fail "could not count the source entries"
printf '{"ok":true,"role":"copy","bytes":%s,"files":%s,"digest":"%s"}' "$bytes" "$files" "$srcsum" > "$report"
rm -rf "$work"
`;

/**
 * Proves `$DST` equals `$SRC`: a checksum dry run itemizes nothing, and both manifests equal
 * `$EXPECTED_DIGEST` (the copy's).
 */
export const VERIFY_SCRIPT =
  'role=verify\n' +
  COMMON +
  String.raw`[ -n "${'$'}{EXPECTED_DIGEST:-}" ] || fail "no expected digest was given"
rsync -n -c -aHAX --numeric-ids --delete -i "$src/" "$dst/" > "$work/itemized"
code=$?
[ "$code" -eq 0 ] || fail "the checksum dry run exited with status $code"
if [ -s "$work/itemized" ]; then
  cat "$work/itemized" >&2
  count=$(wc -l < "$work/itemized" | tr -d ' ')
  fail "the checksum dry run found $count difference(s)"
fi
srcsum=$(manifest "$src" source) || fail "could not compute the source manifest"
dstsum=$(manifest "$dst" copy) || fail "could not compute the copy manifest"
[ "$srcsum" = "$EXPECTED_DIGEST" ] || fail "the source changed since it was copied"
[ "$dstsum" = "$EXPECTED_DIGEST" ] || fail "the copy differs from what was copied"
files=$(entries "$src") || fail "could not count the source entries"
bytes=$(awk '$1 == "f" { s += $5 } END { printf "%.0f", s }' "$work/source") || fail "could not sum the sizes"
printf '{"ok":true,"role":"verify","bytes":%s,"files":%s,"digest":"%s"}' "$bytes" "$files" "$srcsum" > "$report"
rm -rf "$work"
`;

/** What a script reported, or why its report cannot be used. */
export type ScriptOutcome =
  | { readonly ok: true; readonly report: CopyReport }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads a termination message. Anything but a well-formed success from the expected role is a
 * failure: a Job that "succeeded" without saying what it copied proves nothing.
 */
export function parseReport(text: string | undefined, role: 'copy' | 'verify'): ScriptOutcome {
  if (text === undefined || text.trim() === '') {
    return { ok: false, reason: `the ${role} pod wrote no report` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: `the ${role} pod wrote an unreadable report` };
  }
  if (!isPlainObject(value) || value.role !== role) {
    return { ok: false, reason: `the ${role} pod wrote a report of another kind` };
  }
  if (value.ok !== true) {
    const reason = typeof value.reason === 'string' ? value.reason : 'no reason given';
    return { ok: false, reason: `${role} failed: ${reason}` };
  }
  const { bytes, files, digest } = value;
  if (
    typeof bytes !== 'number' ||
    typeof files !== 'number' ||
    typeof digest !== 'string' ||
    !/^[0-9a-f]{64}$/.test(digest)
  ) {
    return { ok: false, reason: `the ${role} pod wrote an incomplete report` };
  }
  return { ok: true, report: { bytes, files, digest } };
}
