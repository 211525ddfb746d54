/**
 * The YAML that `relation-set --file -` receives must decode, in Juju's YAML 1.1 decoder, to
 * exactly the strings written. Every class of code point goes through the fake agent's decoder
 * (support/fake-juju/yaml11.ts, which models gopkg.in/yaml.v2's reader, escapes and folding).
 */
import { describe, expect, it } from '@jest/globals';
import { RelationDataTypeError } from '../../lib/relations/errors.js';
import { encodeSettingsYaml, isUnicodeText } from '../../lib/relations/settings-yaml.js';
import { decodeSettingsYaml, YamlError } from './support/fake-juju/yaml11.js';

const roundTrip = (changes: Record<string, string>) =>
  decodeSettingsYaml(new TextEncoder().encode(encodeSettingsYaml(changes)));

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => String.fromCodePoint(from + i));

const CLASSES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['C0 controls, tab, LF and CR included', range(0x00, 0x1f)],
  ['printable ASCII, quote and backslash included', range(0x20, 0x7e)],
  ['DEL', ['\u007f']],
  ['C1 controls, NEL included', range(0x80, 0x9f)],
  ['Latin-1 from NBSP', range(0xa0, 0xff)],
  ['letters and CJK', ['é', 'ж', 'ש', '中', 'ｱ']],
  ['combining marks', ['e\u0301', '\u0300']],
  [
    'line and paragraph separators, between blanks too',
    ['\u2028', '\u2029', 'a \u2028 b', ' \u2029 '],
  ],
  ['zero-width characters and the byte order mark', ['\u200b', '\u200d', '\ufeff']],
  ['the last code point before the surrogates', ['\ud7ff']],
  ['private use', ['\ue000', '\uf8ff']],
  ['specials and noncharacters', ['\ufffd', '\ufffe', '\uffff']],
  ['emoji, alone and in a ZWJ sequence', ['😀', '👩‍👩‍👧', '🇳🇱']],
  ['astral edges', ['\u{10000}', '\u{10ffff}', '\u{e0001}']],
  ['blanks at the edges', [' lead', 'trail ', '\ttab\t', ' ']],
  ['YAML-looking text', ['yes', '~', 'null', '- a', '? b', ': c', '#d', '&e', '*f', '"g"', "'h'"]],
];

describe('encodeSettingsYaml', () => {
  it('writes explicit-key double-quoted entries, and {} for no changes', () => {
    expect(encodeSettingsYaml({ 'pvc-name': 'shared', old: '' })).toBe(
      '? "pvc-name"\n: "shared"\n? "old"\n: ""\n',
    );
    expect(encodeSettingsYaml({})).toBe('{}\n');
    expect(roundTrip({})).toEqual({});
  });

  it.each(CLASSES)('round-trips %s, as keys and as values', (_, chars) => {
    const changes: Record<string, string> = {};
    for (const char of chars) {
      changes[`k${char}`] = `a${char}b`;
      changes[`${char}`] = `${char}`;
    }
    changes.all = chars.join('');
    expect(roundTrip(changes)).toEqual(changes);
  });

  it('round-trips every Unicode scalar value', () => {
    const bmp = [...range(0, 0xd7ff), ...range(0xe000, 0xffff)].join('');
    const astral = range(0x10000, 0x10ffff).join('');
    expect(roundTrip({ bmp, astral })).toEqual({ bmp, astral });
  });

  it('writes emoji and other printable text as itself, and escapes only what Juju would change', () => {
    const text = encodeSettingsYaml({ k: 'é😀\u2028\u0085\u007f\ufeff\uffff"\\' });
    expect(text).toBe('? "k"\n: "é😀\\u2028\\x85\\x7F\\uFEFF\\uFFFF\\"\\\\"\n');
  });

  it('round-trips keys and values of any length', () => {
    const changes = { ['k'.repeat(5000)]: 'v'.repeat(200_000), short: 'x' };
    expect(roundTrip(changes)).toEqual(changes);
  });

  it('refuses a lone surrogate, which has no UTF-8 form, with a typed error', () => {
    for (const bad of ['\ud800', 'a\udfff', '\ude00\ud83d']) {
      expect(isUnicodeText(bad)).toBe(false);
      expect(() => encodeSettingsYaml({ k: bad })).toThrow(RelationDataTypeError);
      expect(() => encodeSettingsYaml({ [bad]: 'v' })).toThrow(RelationDataTypeError);
    }
    expect(isUnicodeText('😀')).toBe(true);
  });

  it('fixes what JSON text (the previous encoding) got wrong in the same decoder', () => {
    const json = (changes: Record<string, string>) =>
      decodeSettingsYaml(new TextEncoder().encode(JSON.stringify(changes)));
    for (const char of ['\u007f', '\u0080', '\u009f', '\ufffe', '\uffff']) {
      expect(() => json({ k: char })).toThrow(YamlError);
      expect(roundTrip({ k: char })).toEqual({ k: char });
    }
    expect(json({ k: 'a\u0085b' })).toEqual({ k: 'a b' });
    expect(json({ k: 'a \u2028 b' })).toEqual({ k: 'a\u2028b' });
    expect(roundTrip({ k: 'a\u0085b', l: 'a \u2028 b' })).toEqual({
      k: 'a\u0085b',
      l: 'a \u2028 b',
    });
    // An encoder that escapes emoji as a UTF-16 pair (as Python's json.dumps does) breaks too.
    expect(() => decodeSettingsYaml('{"k": "\\ud83d\\ude00"}')).toThrow(YamlError);
  });
});
