import { describe, expect, it } from '@jest/globals';
import { MemoryStream, Output, table } from '../../cli/output.js';

const ESC = String.fromCharCode(27);

describe('Output', () => {
  it('off a terminal: plain lines, progress as start/update/end lines, no escape codes', () => {
    const stream = new MemoryStream(false);
    const out = new Output({ stream, env: {} });
    const progress = out.progress('building');
    progress.update('step 1');
    progress.update('step 2'); // within 5 s of the last printed update: not printed
    progress.done('ok');
    out.line('after');
    expect(stream.text).not.toContain(ESC);
    const lines = stream.text.trim().split('\n');
    expect(lines[0]).toBe('building ...');
    expect(lines[1]).toBe('  building: step 1');
    expect(lines[2]).toMatch(/^building: done ok \(\d+\.\ds\)$/);
    expect(lines[3]).toBe('after');
  });

  it('on a terminal: one redrawn line, styled; CI, NO_COLOR and --plain turn that off', () => {
    const stream = new MemoryStream(true);
    const out = new Output({ stream, env: { TERM: 'xterm' } });
    expect(out.live).toBe(true);
    const progress = out.progress('waiting');
    progress.update('1/2 ready', 0.5);
    progress.done();
    expect(stream.text).toContain('\r');
    expect(stream.text).toContain('[##########----------]  50%');
    for (const env of [{ CI: 'true' }, { NO_COLOR: '1' }, { TERM: 'dumb' }]) {
      expect(new Output({ stream: new MemoryStream(true), env }).live).toBe(false);
    }
    expect(new Output({ stream: new MemoryStream(true), env: {}, plain: true }).live).toBe(false);
  });

  it('table aligns columns and right-aligns numbers', () => {
    expect(
      table(
        ['app', 'n'],
        [
          ['radarr', '2'],
          ['qbittorrent', '12'],
        ],
      ),
    ).toEqual(['app           n', '-----------  --', 'radarr        2', 'qbittorrent  12']);
  });
});
