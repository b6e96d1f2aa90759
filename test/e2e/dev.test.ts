// `scadalink dev` (central issue, point 11): central, the demo site and a demo
// ERP that fails a share of calls, in one process on SQLite under --data. A
// reading the demo site reports reaches central's mirror.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/index.js';
import { closedPort } from '../support/net.js';
import { SiteProcess } from '../support/process.js';

describe('scadalink dev', () => {
  const tmp = tempDir();
  let dev: SiteProcess | undefined;

  afterAll(async () => {
    await dev?.terminate();
    tmp.cleanup();
  });

  it('issue 12 point 1 (and central point 11): runs central with its UI, the demo site and the demo ERP; a reported reading reaches SiteCalls with its audit trail; each log line names its role once; SIGTERM stops all', async () => {
    const erpPort = await closedPort();
    dev = await SiteProcess.dev(['--data', join(tmp.dir, 'data'), '--port', '0', '--central-port', '0', '--erp-port', String(erpPort)]);
    const ready = JSON.parse(await dev.line('"dev ready"')) as { site: string; central: string; ui: string; uiUser: string; erp: string; adminTokenFile: string; adminPasswordFile: string };
    expect(dev.output).not.toMatch(/slk_/);
    const token = readFileSync(ready.adminTokenFile, 'utf8').trim();
    expect(statSync(ready.adminTokenFile).mode & 0o777).toBe(0o600);
    // Issue 12 point 1: an Admin UI user with a generated password next to the token; the ready line gives the UI's address.
    expect(ready.ui).toBe(`${ready.central}/ui/`);
    expect(ready.adminPasswordFile).toBe(join(tmp.dir, 'data', 'central', 'admin-password'));
    expect(statSync(ready.adminPasswordFile).mode & 0o777).toBe(0o600);
    const password = readFileSync(ready.adminPasswordFile, 'utf8').trim();
    expect(dev.output).not.toContain(password);
    const signIn = await fetch(`${ready.central}/ui/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name: ready.uiUser, password }).toString(),
      redirect: 'manual',
    });
    expect(signIn.status).toBe(303);
    const home = await fetch(ready.ui, { headers: { cookie: signIn.headers.get('set-cookie')!.split(';')[0]! } });
    expect(await home.text()).toContain('signed in as admin (Admin)');
    expect(ready.erp).toBe(`http://127.0.0.1:${erpPort}/api`);
    await dev.line('central link open');

    const res = await fetch(`${ready.site}/admin/api/instances/Pump1/scripts/report/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const id = ((await res.json()) as { result: string }).result;
    let row: { sourceSite: string; status: string; audit: { kind: string }[] } | undefined;
    while (row === undefined) {
      const r = await fetch(`${ready.central}/admin/api/site-calls/${id}`, { headers: { authorization: `Bearer ${token}` } });
      if (r.status === 200) row = (await r.json()) as typeof row;
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(row.sourceSite).toBe('plant1');
    expect(row.audit[0]?.kind).toBe('CachedSubmit');
    expect(['Delivered', 'Forwarded', 'Attempted', 'Parked', 'Submitted']).toContain(row.status);

    // Issue 9: each line names its role once; the pull on the first connect, before the site had a deployment, is not a failure.
    expect(dev.lines.filter((l) => (l.match(/"role":/g) ?? []).length !== 1)).toEqual([]);
    expect(dev.lines.filter((l) => l.includes('reconciliation failed'))).toEqual([]);
    expect(await dev.terminate()).toEqual({ code: 0, signal: null });
  });
});
