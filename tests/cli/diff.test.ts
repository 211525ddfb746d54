import { describe, expect, it } from '@jest/globals';
import { hunks, lineDiff, objectDiff, toYaml } from '../../cli/diff.js';

describe('toYaml', () => {
  it('renders maps, lists and scalars, quoting what YAML would misread', () => {
    expect(
      toYaml({ a: 1, b: ['x', { c: 'on', d: '' }], e: {}, f: [], g: 'a b', h: null, i: true }),
    ).toEqual([
      'a: 1',
      'b:',
      '- x',
      '- c: "on"',
      '  d: ""',
      'e: {}',
      'f: []',
      'g: "a b"',
      'h: null',
      'i: true',
    ]);
  });
});

describe('lineDiff and hunks', () => {
  it('keeps common lines and marks the rest', () => {
    expect(lineDiff(['a', 'b', 'c'], ['a', 'x', 'c'])).toEqual([
      { op: ' ', text: 'a' },
      { op: '+', text: 'x' },
      { op: '-', text: 'b' },
      { op: ' ', text: 'c' },
    ]);
  });

  it('hunks keep context around changes and mark the gaps', () => {
    const before = ['1', '2', '3', '4', '5', '6', '7', '8'];
    const after = ['1', 'X', '3', '4', '5', '6', '7', 'Y'];
    const out = hunks(lineDiff(before, after), 1);
    expect(out.map((l) => (l === 'gap' ? '…' : `${l.op}${l.text}`))).toEqual([
      ' 1',
      '+X',
      '-2',
      ' 3',
      '…',
      ' 7',
      '+Y',
      '-8',
    ]);
  });

  it('equal objects give no diff; a new key is all additions', () => {
    expect(objectDiff({ a: [1, 2] }, { a: [1, 2] })).toEqual([]);
    expect(objectDiff(undefined, { a: 1 })).toEqual([{ op: '+', text: 'a: 1' }]);
  });
});
