/**
 * `charmkit demo` on the embedded cluster, as a reader sees it: the whole media stack wired, each
 * hook's status, requests and patch diff, the closing table, Active everywhere, and plain text off
 * a terminal.
 */
import { describe, expect, it } from '@jest/globals';
import { main } from '../../cli/main.js';
import { MemoryStream } from '../../cli/output.js';

const ESC = String.fromCharCode(27);

async function demo(args: string[] = [], tty = false) {
  const stdout = new MemoryStream(tty);
  const stderr = new MemoryStream(tty);
  const code = await main(['demo', ...args], { stdout, stderr, env: { TERM: 'xterm' } });
  return { code, text: stdout.text, err: stderr.text };
}

describe('charmkit demo (embedded FakeCluster)', () => {
  it('wires the stack, ends with every application Active, and exits 0', async () => {
    const { code, text } = await demo();
    expect(code).toBe(0);
    for (const heading of [
      'deploy: storage, gluetun, qbittorrent, radarr',
      'relate storage:storage ↔ radarr:storage',
      'relate gluetun:vpn-gateway ↔ qbittorrent:vpn-gateway',
      'relate storage:storage ↔ qbittorrent:storage',
      'update-status',
    ]) {
      expect(text).toContain(heading);
    }
    // Relation events and what they carried.
    expect(text).toMatch(/radarr\s+storage-relation-changed/);
    expect(text).toContain('relation data: app bag of relation 0: pvc-name=media-shared');
    // Statuses as the units set them, from Blocked to Active.
    expect(text).toContain('blocked: a VPN gateway is required');
    expect(text).toContain('active: routed through VPN gateway gluetun (exit 203.0.113.7)');
    // Each patch as a diff of the pod template.
    expect(text).toContain('patch StatefulSet radarr (pod template)');
    expect(text).toMatch(/\+ +claimName: media-shared/);
    expect(text).toMatch(/\+ +- name: vpn-route-sidecar/);
    // The kill switch exists before the routing patch in the same hook.
    const routing = text.slice(text.indexOf('qbittorrent vpn-gateway-relation-changed'));
    expect(routing.indexOf('NetworkPolicy')).toBeLessThan(routing.indexOf('PATCH StatefulSet'));
  });

  it('closes with a table whose no-op column shows the request counts of a reconcile with nothing to do', async () => {
    const { text } = await demo();
    const tableAt = text.indexOf('app          status');
    expect(tableAt).toBeGreaterThan(0);
    const rows = text.slice(tableAt).split('\n');
    const row = (app: string) => rows.find((r) => r.startsWith(app)) ?? '';
    expect(row('radarr')).toMatch(
      /active: shared storage media-shared mounted at \/data.*2 reads, 0 writes$/,
    );
    expect(row('qbittorrent')).toMatch(/^qbittorrent\s+active: .*6 reads, 0 writes$/);
    expect(row('storage')).toMatch(/0 writes$/);
    expect(row('gluetun')).toMatch(/0 writes$/);
    expect(text).toContain(
      'every application is Active; a reconcile with nothing to do wrote nothing.',
    );
  });

  it('off a terminal the output is plain; on one it is styled', async () => {
    const plain = await demo();
    expect(plain.text).not.toContain(ESC);
    const styled = await demo([], true);
    expect(styled.text).toContain(`${ESC}[32m`);
    const forced = await demo(['--plain'], true);
    expect(forced.text).not.toContain(ESC);
  });
});
