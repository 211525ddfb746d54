/**
 * The text `relation-set --file -` reads: relation settings as a YAML map that Juju's decoder
 * (YAML 1.1, gopkg.in/yaml.v2, into a map of strings) turns back into exactly the strings given.
 *
 * JSON is valid YAML, but JSON text is not safe to hand to that decoder: it rejects a raw U+007F,
 * a raw C1 control or a raw U+FFFE/U+FFFF anywhere in the document ("control characters are not
 * allowed"), folds a raw U+0085, U+2028 or U+2029 as a line break, and refuses the UTF-16
 * surrogate-pair escapes (`\ud83d\ude00`) some JSON encoders write for emoji. So every key and value
 * is written as a double-quoted YAML scalar whose escapes cover exactly those characters, and
 * everything else (emoji included) is written as itself in UTF-8.
 *
 * Each entry uses an explicit key (`? "key"` then `: "value"`): YAML limits an implicit key to 1024
 * characters, and an explicit one has no limit, so one form serves every key. See
 * docs/relations.md (the hook-tool table) for where this text goes.
 */
import { RelationDataTypeError } from './errors.js';

/** A lone UTF-16 surrogate: a JavaScript string that is not Unicode text and has no UTF-8 form. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `text` can be written as UTF-8, i.e. holds no lone surrogate. */
export function isUnicodeText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/** Short escapes the decoder knows, for the characters that have one. */
const SHORT_ESCAPES: Readonly<Record<number, string>> = {
  0x09: '\\t',
  0x0a: '\\n',
  0x0d: '\\r',
  0x22: '\\"',
  0x5c: '\\\\',
};

/**
 * Whether a code point may appear raw inside a double-quoted scalar and come back unchanged:
 * printable ASCII (quote and backslash are escaped separately), and the printable ranges of
 * YAML 1.1 minus the three characters it treats as line breaks and the byte order mark.
 */
function isRaw(code: number): boolean {
  if (code >= 0x20 && code <= 0x7e) return true;
  if (code === 0x2028 || code === 0x2029 || code === 0xfeff) return false;
  if (code >= 0xa0 && code <= 0xd7ff) return true;
  if (code >= 0xe000 && code <= 0xfffd) return true;
  return code >= 0x10000 && code <= 0x10ffff;
}

function hex(code: number, digits: number): string {
  return code.toString(16).toUpperCase().padStart(digits, '0');
}

/** One string as a double-quoted YAML 1.1 scalar that decodes to exactly `text`. */
export function quoteYamlString(text: string, what: string): string {
  if (!isUnicodeText(text)) {
    throw new RelationDataTypeError(
      `${what} is not Unicode text (it holds a lone UTF-16 surrogate), so Juju cannot store it`,
    );
  }
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const short = SHORT_ESCAPES[code];
    if (short !== undefined) out += short;
    else if (isRaw(code)) out += char;
    else if (code <= 0xff) out += `\\x${hex(code, 2)}`;
    else out += `\\u${hex(code, 4)}`;
  }
  return `${out}"`;
}

/**
 * The YAML document for `relation-set --file -`: one explicit-key entry per change, in the order
 * given, or `{}` for no changes. Throws `RelationDataTypeError` for a string with no UTF-8 form.
 */
export function encodeSettingsYaml(changes: Readonly<Record<string, string>>): string {
  const entries = Object.entries(changes);
  if (entries.length === 0) return '{}\n';
  return entries
    .map(
      ([key, value]) =>
        `? ${quoteYamlString(key, 'A relation data key')}\n` +
        `: ${quoteYamlString(value, `The value of "${key}"`)}\n`,
    )
    .join('');
}
