/**
 * Objects as YAML-like text and line diffs between two of them: how the CLI shows what a patch
 * changed (`demo`) or would change (`plan`). Our own small renderer: the output is for people, and
 * the CLI must not pull a YAML library into every hook bundle.
 */

/** Renders a JSON value as YAML (block style, keys in their stored order). */
export function toYaml(value: unknown, indent = 0): string[] {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return [`${pad}[]`];
    return value.flatMap((item) => {
      const lines =
        isObject(item) || Array.isArray(item)
          ? toYaml(item, indent + 2)
          : [`${pad}  ${scalar(item)}`];
      const first = lines[0] ?? '';
      return [`${pad}- ${first.slice(indent + 2)}`, ...lines.slice(1)];
    });
  }
  if (isObject(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return [`${pad}{}`];
    return entries.flatMap(([key, v]) => {
      const k = `${pad}${scalarKey(key)}:`;
      if (isObject(v) && Object.keys(v).length > 0) return [k, ...toYaml(v, indent + 2)];
      if (Array.isArray(v) && v.length > 0) return [k, ...toYaml(v, indent)];
      return [`${k} ${isObject(v) ? '{}' : Array.isArray(v) ? '[]' : scalar(v)}`];
    });
  }
  return [`${pad}${scalar(value)}`];
}

/** One line of a diff: kept (' '), removed ('-') or added ('+'). */
export interface DiffLine {
  readonly op: ' ' | '-' | '+';
  readonly text: string;
}

/** The shortest line diff of `before` → `after` (longest common subsequence). */
export function lineDiff(before: readonly string[], after: readonly string[]): DiffLine[] {
  const n = before.length;
  const m = after.length;
  // lcs[i][j]: length of the LCS of before[i..] and after[j..].
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] =
        before[i] === after[j]
          ? lcs[i + 1]![j + 1]! + 1
          : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) {
      out.push({ op: ' ', text: before[i]! });
      i++;
      j++;
    } else if (j < m && (i >= n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      out.push({ op: '+', text: after[j]! });
      j++;
    } else {
      out.push({ op: '-', text: before[i]! });
      i++;
    }
  }
  return out;
}

/**
 * The changed lines with `context` kept lines around each change, hunks separated by a `…` line
 * (kept lines have op ' '); empty when nothing changed.
 */
export function hunks(diff: readonly DiffLine[], context = 2): (DiffLine | 'gap')[] {
  const keep = new Array<boolean>(diff.length).fill(false);
  diff.forEach((line, index) => {
    if (line.op === ' ') return;
    for (
      let k = Math.max(0, index - context);
      k <= Math.min(diff.length - 1, index + context);
      k++
    ) {
      keep[k] = true;
    }
  });
  const out: (DiffLine | 'gap')[] = [];
  let skipped = false;
  diff.forEach((line, index) => {
    if (keep[index]) {
      if (skipped && out.length > 0) out.push('gap');
      skipped = false;
      out.push(line);
    } else skipped = true;
  });
  return out;
}

/** A YAML diff of two objects, ready to print: `+`/`-` lines with context; [] when equal. */
export function objectDiff(before: unknown, after: unknown, context = 2): (DiffLine | 'gap')[] {
  return hunks(lineDiff(before === undefined ? [] : toYaml(before), toYaml(after)), context);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const PLAIN = /^[A-Za-z_/][\w./:@-]*$/;
const RESERVED = /^(true|false|null|yes|no|on|off|~)$/i;

function scalarKey(key: string): string {
  return PLAIN.test(key) && !RESERVED.test(key) ? key : JSON.stringify(key);
}

function scalar(value: unknown): string {
  if (typeof value === 'string') {
    return PLAIN.test(value) && !RESERVED.test(value) ? value : JSON.stringify(value);
  }
  if (value === null || value === undefined) return 'null';
  return String(value);
}
