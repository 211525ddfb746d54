/**
 * What `relation-set --file` does with its YAML, for the fake hook tools: Juju decodes the file
 * with gopkg.in/yaml.v2 (YAML 1.1) into a Go `map[string]string`. This decoder reproduces that
 * decoder's behaviour on the part of YAML that settings files use, written from the upstream
 * behaviour in our own code:
 *
 * - the reader refuses any character outside YAML 1.1's printable set (U+007F, the C1 controls
 *   except U+0085, U+FFFE, U+FFFF, C0 controls other than tab/LF/CR) anywhere in the input:
 *   `yaml: control characters are not allowed`;
 * - U+0085, U+2028 and U+2029 are line breaks; a raw break inside a quoted scalar is folded
 *   (a lone LF or NEL becomes a space, LS/PS are kept, blanks around a break are dropped);
 * - double-quoted escapes are YAML 1.1's (`\0 \a \b \t \n \v \f \r \e \  \" \' \\ \N \_ \L \P`,
 *   `\xXX`, `\uXXXX`, `\UXXXXXXXX`); an escaped surrogate (`\ud83d`) is an error, so a UTF-16
 *   surrogate pair written as two escapes is refused;
 * - an implicit key must end (its `:`) on its line, within 1024 characters of its start;
 * - a value decoded into a string keeps its source text (`yes`, `0x10`, `1e3` stay as written),
 *   and a null (`~`, `null`, empty) becomes the empty string.
 *
 * Supported structure: an empty document; a block mapping at column 0 whose entries are
 * `key: value` or `? key` / `: value` on single lines; a flow mapping `{...}` of quoted scalars
 * (so JSON text); keys and values as double-quoted, single-quoted or one-line plain scalars;
 * comments. Anything else throws `NotModelledError`, so a test can never pass on YAML this fake
 * only pretends to understand.
 */

/** The decoder refused the input, as Juju's would: the hook tool fails with this message. */
export class YamlError extends Error {
  override readonly name = 'YamlError';
}

/** The input uses YAML this fake does not model; the fake tool fails loudly rather than guess. */
export class NotModelledError extends Error {
  override readonly name = 'NotModelledError';
}

const BREAKS = new Set(['\r', '\n', '\u0085', '\u2028', '\u2029']);
const isBreak = (c: string | undefined): boolean => c !== undefined && BREAKS.has(c);
const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t';
const isBlankOrEnd = (c: string | undefined): boolean =>
  c === undefined || isBlank(c) || isBreak(c);
const HEX = /^[0-9A-Fa-f]$/;

/** YAML 1.1's printable characters: the reader accepts nothing else. */
export function isYamlPrintable(code: number): boolean {
  return (
    code === 0x09 ||
    code === 0x0a ||
    code === 0x0d ||
    (code >= 0x20 && code <= 0x7e) ||
    code === 0x85 ||
    (code >= 0xa0 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  '\t': '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  "'": "'",
  '\\': '\\',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
};
const HEX_ESCAPES: Readonly<Record<string, number>> = { x: 2, u: 4, U: 8 };
const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
/** Characters that cannot start a plain scalar (some only when a blank follows). */
const INDICATORS = new Set([...'-?:,[]{}#&*!|>\'"%@`']);

/** Decodes a settings file the way `relation-set --file` does; see the module comment. */
export function decodeSettingsYaml(input: Uint8Array | string): Record<string, string> {
  return new Parser(toText(input)).document();
}

function toText(input: Uint8Array | string): string {
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    let bytes = input;
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    else if ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe))
      throw new NotModelledError('UTF-16 input');
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      throw new YamlError('yaml: invalid UTF-8 octet sequence');
    }
  }
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    // A lone surrogate has no UTF-8 form: bytes could never have carried it here.
    if ((code >= 0xd800 && code <= 0xdfff) || !isYamlPrintable(code)) {
      throw new YamlError('yaml: control characters are not allowed');
    }
  }
  return text;
}

class Parser {
  private readonly chars: string[];
  private readonly lines: number[];
  private readonly columns: number[];
  private pos = 0;

  constructor(text: string) {
    this.chars = [...text];
    this.lines = [];
    this.columns = [];
    let line = 0;
    let column = 0;
    for (let i = 0; i <= this.chars.length; i++) {
      this.lines.push(line);
      this.columns.push(column);
      const c = this.chars[i];
      if (c === '\r' && this.chars[i + 1] === '\n') {
        column++;
      } else if (isBreak(c)) {
        line++;
        column = 0;
      } else {
        column++;
      }
    }
  }

  document(): Record<string, string> {
    this.skipSpace();
    const c = this.at();
    let result: Record<string, string>;
    if (c === undefined) return {};
    if (c === '{') result = this.flowMapping();
    else if (this.column() === 0) result = this.blockMapping();
    else throw new NotModelledError('an indented top-level node');
    this.skipSpace();
    if (this.at() !== undefined) {
      throw this.error('did not find expected <document start>');
    }
    return result;
  }

  // ---- structure -------------------------------------------------------------------------

  private blockMapping(): Record<string, string> {
    const map: Record<string, string> = {};
    while (this.at() !== undefined) {
      if (this.column() !== 0) throw new NotModelledError('nested or indented block content');
      let key: string;
      let value = '';
      if (this.at() === '?' && isBlankOrEnd(this.at(1))) {
        this.pos++;
        this.skipInline();
        if (isBreak(this.at()) || this.at() === undefined) {
          throw new NotModelledError('an explicit key on its own line');
        }
        key = this.scalar('block');
        this.endOfLine();
        if (this.at() === ':' && this.column() === 0 && isBlankOrEnd(this.at(1))) {
          this.pos++;
          this.skipInline();
          if (!isBreak(this.at()) && this.at() !== undefined) value = this.scalar('block');
          this.endOfLine();
        }
      } else {
        const start = this.pos;
        key = this.scalar('block-key');
        this.skipInline();
        if (this.at() !== ':' || !isBlankOrEnd(this.at(1)) || this.stale(start)) {
          throw this.error("could not find expected ':'", start);
        }
        this.pos++;
        this.skipInline();
        if (!isBreak(this.at()) && this.at() !== undefined && this.at() !== '#') {
          value = this.scalar('block');
        }
        this.endOfLine();
      }
      map[key] = value;
    }
    return map;
  }

  private flowMapping(): Record<string, string> {
    const map: Record<string, string> = {};
    this.pos++; // '{'
    this.skipSpace();
    while (this.at() !== '}') {
      if (this.at() === undefined) throw this.error("did not find expected ',' or '}'");
      const start = this.pos;
      const key = this.scalar('flow');
      this.skipSpace();
      let value = '';
      if (this.at() === ':') {
        if (this.stale(start)) throw this.error("did not find expected ',' or '}'");
        this.pos++;
        this.skipSpace();
        if (this.at() !== ',' && this.at() !== '}') value = this.scalar('flow');
        this.skipSpace();
      }
      map[key] = value;
      if (this.at() === ',') {
        this.pos++;
        this.skipSpace();
      } else if (this.at() !== '}') {
        throw this.error("did not find expected ',' or '}'");
      }
    }
    this.pos++; // '}'
    return map;
  }

  /** An implicit key is valid only if its `:` is on its line, within 1024 characters. */
  private stale(start: number): boolean {
    return this.lines[start] !== this.lines[this.pos] || start + 1024 < this.pos;
  }

  // ---- scalars ---------------------------------------------------------------------------

  private scalar(context: 'block' | 'block-key' | 'flow'): string {
    const c = this.at();
    if (c === '"' || c === "'") return this.quoted(c === "'");
    if (context === 'flow') throw new NotModelledError('a plain scalar in a flow mapping');
    return this.plain(context === 'block-key');
  }

  private plain(isKey: boolean): string {
    const first = this.at();
    if (
      first === undefined ||
      (INDICATORS.has(first) && !('-?:'.includes(first) && !isBlankOrEnd(this.at(1))))
    ) {
      throw new NotModelledError(`a node starting with ${JSON.stringify(first)}`);
    }
    let text = '';
    for (;;) {
      const c = this.at();
      if (c === undefined || isBreak(c)) break;
      if (c === ':' && isBlankOrEnd(this.at(1))) break;
      if (c === '#' && isBlank(this.chars[this.pos - 1])) break;
      text += c;
      this.pos++;
    }
    text = text.replace(/[ \t]+$/, '');
    if (!isKey) {
      // A plain scalar that continues on the next, indented line is not modelled.
      const save = this.pos;
      this.skipInline();
      this.skipComment();
      if (isBreak(this.at())) {
        this.breakChar();
        let indent = 0;
        while (isBlank(this.at())) {
          this.pos++;
          indent++;
        }
        if (indent > 0 && !isBreak(this.at()) && this.at() !== '#' && this.at() !== undefined) {
          throw new NotModelledError('a multi-line plain scalar');
        }
      }
      this.pos = save;
    }
    return NULLS.has(text) ? '' : text;
  }

  private quoted(single: boolean): string {
    const start = this.pos;
    this.pos++;
    let out = '';
    for (;;) {
      if (this.column() === 0 && this.documentIndicator()) {
        throw this.error('found unexpected document indicator', start);
      }
      if (this.at() === undefined) throw this.error('found unexpected end of stream', start);
      let leadingBlanks = false;
      while (!isBlankOrEnd(this.at())) {
        const c = this.at() as string;
        if (single && c === "'" && this.at(1) === "'") {
          out += "'";
          this.pos += 2;
        } else if (single && c === "'") {
          break;
        } else if (!single && c === '"') {
          break;
        } else if (!single && c === '\\' && isBreak(this.at(1))) {
          this.pos++;
          this.breakChar();
          leadingBlanks = true;
          break;
        } else if (!single && c === '\\') {
          out += this.escape(start);
        } else {
          out += c;
          this.pos++;
        }
      }
      if (this.at() === (single ? "'" : '"')) break;
      let whitespace = '';
      let leadingBreak = '';
      let trailingBreaks = '';
      while (isBlank(this.at()) || isBreak(this.at())) {
        if (isBlank(this.at())) {
          if (!leadingBlanks) whitespace += this.at();
          this.pos++;
        } else if (!leadingBlanks) {
          whitespace = '';
          leadingBreak = this.breakChar();
          leadingBlanks = true;
        } else {
          trailingBreaks += this.breakChar();
        }
      }
      if (leadingBlanks) {
        if (leadingBreak.startsWith('\n')) out += trailingBreaks === '' ? ' ' : trailingBreaks;
        else out += leadingBreak + trailingBreaks;
      } else {
        out += whitespace;
      }
    }
    this.pos++; // the closing quote
    return out;
  }

  private escape(start: number): string {
    const kind = this.at(1);
    this.pos += 2;
    if (kind !== undefined && Object.hasOwn(SIMPLE_ESCAPES, kind)) {
      return SIMPLE_ESCAPES[kind] as string;
    }
    const digits = kind === undefined ? undefined : HEX_ESCAPES[kind];
    if (digits === undefined) {
      throw this.error('found unknown escape character', start);
    }
    let hex = '';
    for (let i = 0; i < digits; i++) {
      const d = this.at(i);
      if (d === undefined || !HEX.test(d)) {
        throw this.error('did not find expected hexdecimal number', start);
      }
      hex += d;
    }
    const code = Number.parseInt(hex, 16);
    if ((code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) {
      throw this.error('found invalid Unicode character escape code', start);
    }
    this.pos += digits;
    return String.fromCodePoint(code);
  }

  // ---- characters ------------------------------------------------------------------------

  private at(offset = 0): string | undefined {
    return this.chars[this.pos + offset];
  }

  private column(): number {
    return this.columns[this.pos] ?? 0;
  }

  /** Consumes one line break; CR LF, CR, LF and NEL read as LF, LS and PS as themselves. */
  private breakChar(): string {
    const c = this.at();
    if (c === '\r' && this.at(1) === '\n') {
      this.pos += 2;
      return '\n';
    }
    this.pos++;
    return c === '\u2028' || c === '\u2029' ? c : '\n';
  }

  private documentIndicator(): boolean {
    const three = this.chars.slice(this.pos, this.pos + 3).join('');
    return (three === '---' || three === '...') && isBlankOrEnd(this.at(3));
  }

  private skipInline(): void {
    while (isBlank(this.at())) this.pos++;
  }

  private skipComment(): void {
    if (this.at() === '#') while (this.at() !== undefined && !isBreak(this.at())) this.pos++;
  }

  /** Skips blanks, comments and line breaks. */
  private skipSpace(): void {
    for (;;) {
      this.skipInline();
      this.skipComment();
      if (!isBreak(this.at())) return;
      this.breakChar();
    }
  }

  /** After an entry: only blanks and a comment may follow on its line. */
  private endOfLine(): void {
    this.skipInline();
    this.skipComment();
    if (this.at() === undefined) return;
    if (!isBreak(this.at())) throw this.error("could not find expected ':'");
    this.skipSpace();
  }

  private error(problem: string, at: number = this.pos): YamlError {
    const line = (this.lines[Math.min(at, this.lines.length - 1)] ?? 0) + 1;
    return new YamlError(`yaml: ${line > 1 ? `line ${line}: ` : ''}${problem}`);
  }
}
