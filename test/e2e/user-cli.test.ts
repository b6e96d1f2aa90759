// Issue 12, point 1: `scadalink central user …` as real CLI processes against
// a SQLite central database, then a central node on that database signing
// the users in (docs/ui.md "Users").
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/commons/index.js';
import { startCentralNode } from '../../src/central/index.js';
import { tempDir } from '../support/index.js';

const BIN = join(packageRoot(), 'bin', 'scadalink.js');

/** Runs the CLI with `input` on its stdin (closed at once when none). */
function cli(args: readonly string[], input = ''): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--no-node-snapshot', BIN, ...args], { encoding: 'utf8', timeout: 30_000, input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('issue 12 point 1: UI users from the CLI', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('issue 12 point 1: user add (stdin and generated), list, disable, enable, set-password, all audited; the users then sign in', async () => {
    const data = join(tmp.dir, 'central');
    const d = ['--data', data, '--operator', 'ops'];
    const refused = cli(['central', 'user', 'add', 'alice', '--role', 'Admin', '--data', data], 'a long enough password\n');
    expect(refused.stderr).toContain('NO_CENTRAL_STORE');

    const added = cli(['central', 'user', 'add', 'alice', '--role', 'Admin', '--create', ...d], 'a long enough password\n');
    expect(added.status, added.stderr).toBe(0);
    expect(added.stdout).toBe('');
    expect(added.stderr).toContain('Admin user alice added');

    const generated = cli(['central', 'user', 'add', 'victor', '--role', 'Viewer', ...d]);
    expect(generated.status, generated.stderr).toBe(0);
    const victorPassword = generated.stdout.trim();
    expect(victorPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(generated.stderr).toContain('shown only this once');

    expect(cli(['central', 'user', 'add', 'alice', '--role', 'Viewer', ...d], 'another long password\n').stderr).toContain('USER_EXISTS');
    expect(cli(['central', 'user', 'add', 'bob', '--role', 'Boss', ...d], 'another long password\n').stderr).toContain('INVALID_ARGUMENT');
    const short = cli(['central', 'user', 'add', 'bob', '--role', 'Viewer', ...d], 'short1\n');
    expect(short.stderr).toContain('INVALID_PASSWORD');
    expect(short.stderr).not.toContain('short1');
    expect(cli(['central', 'user', 'add', 'no spaces', '--role', 'Viewer', ...d], 'another long password\n').stderr).toContain('INVALID_ARGUMENT');
    expect(cli(['central', 'user', 'disable', 'ghost', ...d]).stderr).toContain('USER_NOT_FOUND');

    expect(cli(['central', 'user', 'disable', 'victor', ...d]).stdout).toBe('user victor disabled\n');
    expect(cli(['central', 'user', 'disable', 'victor', ...d]).stdout).toBe('user victor was already disabled\n');
    const listed = cli(['central', 'user', 'list', '--json', '--data', data]);
    const rows = listed.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => [r.name, r.role, r.enabled])).toEqual([['alice', 'Admin', true], ['victor', 'Viewer', false]]);
    expect(listed.stdout).not.toMatch(/scrypt|password/i);
    expect(cli(['central', 'user', 'enable', 'victor', ...d]).stdout).toBe('user victor enabled\n');
    const reset = cli(['central', 'user', 'set-password', 'alice', ...d], 'the second password\n');
    expect(reset.status, reset.stderr).toBe(0);
    expect(reset.stdout).toBe('');

    const audit = cli(['central', 'audit', 'list', '--json', '--data', data]);
    const actions = audit.stdout.trim().split('\n').map((l) => JSON.parse(l) as { operator: string; action: string; target: string });
    expect(actions.map((a) => `${a.operator} ${a.action} ${a.target}`).reverse()).toEqual([
      'ops user.add alice',
      'ops user.add victor',
      'ops user.disable victor',
      'ops user.enable victor',
      'ops user.set-password alice',
    ]);
    for (const file of ['central.db', 'central.db-wal']) {
      const bytes = (() => { try { return readFileSync(join(data, file)); } catch { return Buffer.alloc(0); } })();
      expect(bytes.includes('the second password')).toBe(false);
      expect(bytes.includes(victorPassword)).toBe(false);
    }

    const node = await startCentralNode({ dataDir: data, port: 0, grpcPort: 0, logger: pino({ level: 'silent' }), maintenanceOnStart: false });
    try {
      const signIn = (name: string, password: string): Promise<Response> =>
        fetch(`${node.url}/ui/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ name, password }).toString(), redirect: 'manual' });
      expect((await signIn('alice', 'a long enough password')).status).toBe(401);
      expect((await signIn('alice', 'the second password')).status).toBe(303);
      expect((await signIn('victor', victorPassword)).status).toBe(303);
    } finally {
      await node.stop();
    }
  }, 120_000);

  it('issue 12 point 1: central refuses a bad --ui-idle-timeout with exit 2 naming the option, before opening anything', () => {
    const data = join(tmp.dir, 'central');
    for (const bad of ['0s', 'soon', '13h']) {
      const r = cli(['central', '--data', data, '--port', '0', '--grpc-port', '0', '--ui-idle-timeout', bad]);
      expect(r.status, bad).toBe(2);
      expect(r.stderr).toContain('INVALID_ARGUMENT: --ui-idle-timeout');
    }
    expect(existsSync(data)).toBe(false);
  });
});
