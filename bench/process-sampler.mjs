// Measuring fresh processes, shared by the cold-start benchmarks (kube-cold-start.mjs,
// hook-cold-start.mjs): spawn a command under GNU time, read its wall time (spawn to exit, measured
// here) and its peak RSS (the kernel's %M), take medians, print aligned tables. Nothing here
// asserts a time.
import { spawn } from 'node:child_process';
import fs from 'node:fs';

export const TIME = '/usr/bin/time';

/** Fails early, naming the package, when GNU time is missing. */
export function requireGnuTime() {
  if (!fs.existsSync(TIME)) {
    console.error(`${TIME} (GNU time) is needed to read a child's peak RSS: apt-get install time`);
    process.exit(1);
  }
}

/**
 * Runs `command args` once under GNU time; resolves { wallMs, rssKiB, stdout, stderr }. A non-zero
 * exit rejects with the child's stderr.
 */
export function measureOnce(command, args, { cwd, env, wrap } = {}) {
  return new Promise((resolve, reject) => {
    // `wrap` turns the timed command line into another (e.g. a private mount namespace around it).
    const [file, argv] = wrap
      ? wrap([TIME, '-f', '%M', command, ...args])
      : [TIME, ['-f', '%M', command, ...args]];
    const started = process.hrtime.bigint();
    const child = spawn(file, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      const lines = stderr.trim().split('\n');
      const rssKiB = Number(lines.at(-1));
      if (status !== 0 || !Number.isFinite(rssKiB)) {
        reject(new Error(`exit ${status}: ${stderr.trim()}`));
      } else {
        resolve({ wallMs, rssKiB, stdout, stderr: lines.slice(0, -1).join('\n') });
      }
    });
  });
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Rows as an aligned table: the first column left-aligned, the rest right-aligned. */
export function renderTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    cells
      .map((cell, i) =>
        i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]),
      )
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
