/**
 * How the CLI talks to a person: styled lines and live progress on a terminal, plain text
 * everywhere else (a pipe, a CI log, `NO_COLOR`), so the same run reads well in both.
 *
 * Progress on a terminal is one line redrawn in place (a spinner, the step, the elapsed time and,
 * when the work knows its size, a bar); off a terminal it is one line when the work starts, one
 * per distinct update, and one when it ends, never a carriage return or an escape code.
 */

/** Where output goes and what it can do; tests pass a `MemoryStream`. */
export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** Options of `Output`. */
export interface OutputOptions {
  /** Default `process.stdout`. */
  readonly stream?: OutputStream;
  /** Default `process.env` (`NO_COLOR`, `TERM=dumb`, `CI` turn styling and redraws off). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Force plain output even on a terminal (`--plain`). */
  readonly plain?: boolean;
}

type Style = (text: string) => string;

const ANSI = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  cyan: [36, 39],
} as const;

/** Styled lines and progress; see the module comment. */
export class Output {
  /** True when lines may be redrawn and styled. */
  readonly live: boolean;
  readonly bold: Style;
  readonly dim: Style;
  readonly red: Style;
  readonly green: Style;
  readonly yellow: Style;
  readonly blue: Style;
  readonly cyan: Style;
  private readonly stream: OutputStream;
  private active: Progress | undefined;

  constructor(options: OutputOptions = {}) {
    this.stream = options.stream ?? process.stdout;
    const env = options.env ?? process.env;
    this.live =
      options.plain !== true &&
      this.stream.isTTY === true &&
      env.TERM !== 'dumb' &&
      env.NO_COLOR === undefined &&
      (env.CI === undefined || env.CI === '' || env.CI === 'false');
    const style = ([open, close]: readonly [number, number]): Style =>
      this.live ? (text) => `\x1b[${open}m${text}\x1b[${close}m` : (text) => text;
    this.bold = style(ANSI.bold);
    this.dim = style(ANSI.dim);
    this.red = style(ANSI.red);
    this.green = style(ANSI.green);
    this.yellow = style(ANSI.yellow);
    this.blue = style(ANSI.blue);
    this.cyan = style(ANSI.cyan);
  }

  /** Writes one line (clearing a live progress line first, then redrawing it). */
  line(text = ''): void {
    const progress = this.active;
    if (progress && this.live) this.stream.write('\r\x1b[K');
    this.stream.write(`${text}\n`);
    if (progress && this.live) progress.redraw();
  }

  /**
   * Starts progress on a long step. Call `update` as it advances and `done`/`fail` at the end; the
   * returned object is also disposable, so `using` ends it.
   */
  progress(label: string): Progress {
    this.active?.done();
    const progress = new Progress(this, this.stream, label, () => {
      if (this.active === progress) this.active = undefined;
    });
    this.active = progress;
    return progress;
  }
}

/** Off a terminal, progress updates are printed at most this often (a build has thousands). */
const PLAIN_UPDATE_MS = 5000;

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** One long step in progress; see `Output.progress`. */
export class Progress {
  private readonly started = Date.now();
  private text = '';
  private fraction: number | undefined;
  private frame = 0;
  private readonly timer: ReturnType<typeof setInterval> | undefined;
  private ended = false;
  /** When a plain update line was last printed (plain output prints at most one every 5 s). */
  private printedAt = 0;

  constructor(
    private readonly output: Output,
    private readonly stream: OutputStream,
    private readonly label: string,
    private readonly onEnd: () => void,
  ) {
    if (output.live) {
      this.timer = setInterval(() => {
        this.frame++;
        this.redraw();
      }, 100);
      this.timer.unref?.();
      this.redraw();
    } else {
      stream.write(`${label} ...\n`);
    }
  }

  /** Seconds since the step started. */
  get seconds(): number {
    return (Date.now() - this.started) / 1000;
  }

  /** Says where the step is; `fraction` (0..1) draws a bar on a terminal and a percentage off it. */
  update(text: string, fraction?: number): void {
    if (this.ended) return;
    const changed = text !== this.text || fraction !== this.fraction;
    this.text = text;
    this.fraction = fraction === undefined ? undefined : Math.min(1, Math.max(0, fraction));
    if (this.output.live) this.redraw();
    else if (changed && text.length > 0 && Date.now() - this.printedAt >= PLAIN_UPDATE_MS) {
      this.printedAt = Date.now();
      const percent = this.fraction === undefined ? '' : ` [${Math.round(this.fraction * 100)}%]`;
      this.stream.write(`  ${this.label}: ${text}${percent}\n`);
    }
  }

  /** Ends the step successfully. */
  done(summary?: string): void {
    this.end(this.output.green('✓'), summary);
  }

  /** Ends the step as failed. */
  fail(summary?: string): void {
    this.end(this.output.red('✗'), summary);
  }

  /** Redraws the live line (terminal only). */
  redraw(): void {
    if (!this.output.live || this.ended) return;
    const spinner = this.output.cyan(SPINNER[this.frame % SPINNER.length]!);
    const bar = this.fraction === undefined ? '' : ` ${bar20(this.fraction)}`;
    const text = this.text ? ` ${this.output.dim(this.text)}` : '';
    const columns = (this.stream as { columns?: number }).columns ?? 100;
    const line = `${spinner} ${this.label}${bar}${text} ${this.output.dim(`${this.seconds.toFixed(1)}s`)}`;
    this.stream.write(`\r\x1b[K${truncate(line, columns + 40)}`);
  }

  [Symbol.dispose](): void {
    if (!this.ended) this.done();
  }

  private end(mark: string, summary: string | undefined): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearInterval(this.timer);
    const tail = `${summary ? ` ${summary}` : ''} (${this.seconds.toFixed(1)}s)`;
    if (this.output.live) this.stream.write(`\r\x1b[K${mark} ${this.label}${tail}\n`);
    else
      this.stream.write(
        `${this.label}:${mark === this.output.green('✓') ? ' done' : ' failed'}${tail}\n`,
      );
    this.onEnd();
  }
}

function bar20(fraction: number): string {
  const filled = Math.round(fraction * 20);
  return `[${'#'.repeat(filled)}${'-'.repeat(20 - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}%`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** An in-memory stream for tests: collects everything written. */
export class MemoryStream implements OutputStream {
  text = '';
  constructor(readonly isTTY = false) {}
  write(text: string): boolean {
    this.text += text;
    return true;
  }
}

/** Renders rows as a left-aligned table (numbers right-aligned), for the closing summaries. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map(
    (_, i) => rows.length > 0 && rows.every((r) => /^[\d.,]+( \w+)?$/.test(r[i] ?? '')),
  );
  const render = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [render(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(render)];
}
