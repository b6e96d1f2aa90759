// Issue 11, point 6: the options of several central nodes are checked before
// anything starts, each bad one exiting with status 2 and naming itself.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/index.js';
import { runCli } from '../support/process.js';

describe('issue 11 point 6: the options of several central nodes', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tmp = tempDir();
  });
  afterAll(() => tmp.cleanup());

  it('issue 11 point 6: site --central refuses an address given twice or a bad one in the list (exit 2 naming --central)', () => {
    for (const list of ['127.0.0.1:7443,127.0.0.1:7443', '127.0.0.1:7443,nonsense', '127.0.0.1:7443,', '']) {
      const r = runCli(['site', '--data', join(tmp.dir, 'site'), '--central', list], { SCADALINK_SITE_SECRET: 'x'.repeat(32) });
      expect({ list, status: r.status }).toEqual({ list, status: 2 });
      expect(r.stderr).toContain('--central');
    }
  });

  it('issue 11 point 6: central refuses a bad --advertise-url, and a wildcard --host on PostgreSQL without one (exit 2 naming --advertise-url)', () => {
    const data = join(tmp.dir, 'central');
    for (const url of ['ftp://central-a:8080', 'http://central-a:8080/path', 'http://user:pw@central-a:8080', 'not a url']) {
      const r = runCli(['central', '--data', data, '--advertise-url', url]);
      expect({ url, status: r.status }).toEqual({ url, status: 2 });
      expect(r.stderr).toContain('--advertise-url');
      // The bad value may carry a password: it is not echoed.
      expect(r.stderr).not.toContain('pw@');
    }
    // Port 1 would never answer: the refusal comes before any connection is tried.
    const r = runCli(['central', '--data', data, '--host', '0.0.0.0', '--database-url', 'postgres://postgres@127.0.0.1:1/none']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--advertise-url: is required with --host 0.0.0.0 on PostgreSQL');
  });
});
