/** The command line itself: help on every command, exit codes for wrong input. */
import { describe, expect, it } from '@jest/globals';
import { COMMANDS, main } from '../../cli/main.js';
import { MemoryStream } from '../../cli/output.js';

async function run(argv: string[]) {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const code = await main(argv, { stdout, stderr, env: {} });
  return { code, out: stdout.text, err: stderr.text };
}

describe('charmkit', () => {
  it('--help lists every command and the exit codes', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    for (const command of COMMANDS) expect(out).toContain(`  ${command.name}`);
    expect(out).toContain(
      'Exit codes: 0 done; 1 the command ran and found a problem; 2 wrong command line;',
    );
  });

  it.each(COMMANDS.map((c) => c.name))(
    '%s --help shows its usage, every option and the exit codes',
    async (name) => {
      const command = COMMANDS.find((c) => c.name === name)!;
      const { code, out } = await run([name, '--help']);
      expect(code).toBe(0);
      expect(out).toContain(`Usage: charmkit ${name}`);
      for (const option of Object.keys(command.options)) expect(out).toContain(`--${option}`);
      expect(out).toContain('--plain');
      expect(out).toContain('Exit codes:');
      expect((await run(['help', name])).out).toBe(out);
    },
  );

  it('an unknown command or option exits 2 and says where to look', async () => {
    const unknown = await run(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command "frobnicate"; run \'charmkit --help\'');
    const badOption = await run(['demo', '--frob']);
    expect(badOption.code).toBe(2);
    expect(badOption.err).toContain("run 'charmkit demo --help'");
    const badValue = await run(['demo', '--cluster', 'remote']);
    expect(badValue.code).toBe(2);
    expect(badValue.err).toContain('--cluster takes only "local"');
  });

  it('--version names the package', async () => {
    expect((await run(['--version'])).out).toMatch(/^charmkit \d+\.\d+\.\d+/);
  });
});
