// Issue 9, point 3, with real processes: the TLS guide of docs/deployment.md
// works as written. Its openssl command and its two start commands are read
// from the doc (so the doc cannot drift from what is tested), run in a
// temporary directory, and a real site dials a real central over TLS at
// 127.0.0.1. A certificate naming only the DNS name (the guide before issue
// 9) is refused at the site with TLS_NAME_MISMATCH, and a wrong secret is
// refused with a warn line and never reported as an open link.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/index.js';
import { SiteProcess, runCli } from '../support/process.js';
import { writeProject } from '../support/project.js';

const guide = readFileSync(new URL('../../docs/deployment.md', import.meta.url), 'utf8');

/** The sh blocks of the guide's "A self-signed certificate for the site link" section, in order. */
function guideBlocks(): string[] {
  const section = guide.split('### A self-signed certificate for the site link')[1]!.split('\n## ')[0]!.split('\n### ')[0]!;
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** A doc command line `npx scadalink <command> …` as that command's arguments. */
function cliArgs(line: string, command: 'central' | 'site'): string[] {
  const words = line.trim().split(/\s+/);
  expect(words.slice(0, 3)).toEqual(['npx', 'scadalink', command]);
  return words.slice(3);
}

interface LinkInfo {
  state: string;
  lastError: { code: string; message: string } | null;
  lastContactUtc: string | null;
  failures: Record<string, number>;
}

const linkOf = async (site: SiteProcess): Promise<LinkInfo> => ((await (await fetch(`${site.url}/info`)).json()) as { link: LinkInfo }).link;

async function linkUntil(site: SiteProcess, check: (l: LinkInfo) => boolean): Promise<LinkInfo> {
  const end = Date.now() + 20_000;
  for (;;) {
    const l = await linkOf(site);
    if (check(l)) return l;
    if (Date.now() > end) throw new Error(`link stayed ${JSON.stringify(l)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('issue 9 point 3: the TLS guide, with real processes', () => {
  let tmp: ReturnType<typeof tempDir>;
  let procs: SiteProcess[] = [];
  let secret: string;

  beforeEach(() => {
    tmp = tempDir();
    const added = runCli(['central', 'site', 'add', 'plant1', '--data', join(tmp.dir, 'central-data'), '--create']);
    expect(added.status).toBe(0);
    secret = added.stdout.trim();
    // The guide's `--project ./project`.
    writeProject(join(tmp.dir, 'project'), { sites: { plant1: {} }, instances: {} }, {});
  });
  afterEach(async () => {
    await Promise.all(procs.map((p) => p.terminate()));
    procs = [];
    tmp.cleanup();
  });

  /** Runs the guide's start commands in tmp (ports chosen free), the site with `secret`. */
  async function startAsGuided(siteSecret: string): Promise<{ central: SiteProcess; site: SiteProcess }> {
    const [centralLine, siteLine] = guideBlocks()[1]!.trim().split('\n');
    const central = await SiteProcess.central([...cliArgs(centralLine!, 'central'), '--port', '0', '--grpc-port', '0'].map((a) => inTmp(a)));
    procs.push(central);
    const siteArgs = cliArgs(siteLine!, 'site').map((a) => (a === '127.0.0.1:7443' ? `127.0.0.1:${central.grpcPort}` : inTmp(a)));
    const site = await SiteProcess.start([...siteArgs, '--port', '0'], { SCADALINK_SITE_SECRET: siteSecret });
    procs.push(site);
    return { central, site };
  }
  const inTmp = (arg: string): string => (arg.startsWith('./') || arg.endsWith('.pem') ? join(tmp.dir, arg) : arg);

  it("the guide's certificate (DNS name and 127.0.0.1) lets a real site connect to a real central over TLS at 127.0.0.1", async () => {
    const [openssl] = guideBlocks();
    expect(openssl).toMatch(/IP:127\.0\.0\.1/);
    execFileSync('sh', ['-c', openssl!], { cwd: tmp.dir, stdio: 'ignore' });
    const before = Date.now();
    const { site } = await startAsGuided(secret);
    await site.line('central link open');
    const link = await linkUntil(site, (l) => l.state === 'connected');
    expect(link.lastError).toBeNull();
    expect(Date.parse(link.lastContactUtc!)).toBeGreaterThanOrEqual(before);
    const metrics = await (await fetch(`${site.url}/metrics`)).text();
    expect(metrics).toMatch(/^scadalink_central_link_state\{state="connected",site="plant1"\} 1$/m);
    expect(metrics).toMatch(/^scadalink_central_link_last_contact_timestamp_seconds\{site="plant1"\} [1-9]/m);
  }, 60_000);

  it('TLS name mismatch: a certificate with only the DNS name is refused at the site with a warn line, TLS_NAME_MISMATCH in /info, and no `central link open`', async () => {
    const [openssl] = guideBlocks();
    // The guide's command as it was before issue 9: no IP entry.
    execFileSync('sh', ['-c', openssl!.replace(',IP:127.0.0.1', '')], { cwd: tmp.dir, stdio: 'ignore' });
    const { site } = await startAsGuided(secret);
    const warn = JSON.parse(await site.line('central refused the link')) as { level: number; code: string; reason: string };
    expect(warn).toMatchObject({ level: 40, code: 'TLS_NAME_MISMATCH' });
    const link = await linkUntil(site, (l) => l.state === 'refused');
    expect(link.lastError).toMatchObject({ code: 'TLS_NAME_MISMATCH' });
    expect(link.lastContactUtc).toBeNull();
    expect(site.output).not.toContain('central link open');
  }, 60_000);

  it('wrong secret: the site logs the refusal at warn with its reason, /info shows refused with the last error, and it never logs `central link open`', async () => {
    const [openssl] = guideBlocks();
    execFileSync('sh', ['-c', openssl!], { cwd: tmp.dir, stdio: 'ignore' });
    const { site } = await startAsGuided('wrong-secret-wrong-secret-wrong-s');
    const warn = JSON.parse(await site.line('central refused the link')) as { level: number; code: string; reason: string };
    expect(warn).toMatchObject({ level: 40, code: 'CREDENTIALS_REFUSED', reason: 'unknown site or wrong secret' });
    const link = await linkUntil(site, (l) => l.state === 'refused');
    expect(link.lastError?.code).toMatch(/^(CREDENTIALS_REFUSED|AUTH_THROTTLED)$/);
    expect(link.lastContactUtc).toBeNull();
    // Several reconnects later, still refused and still never called open.
    await linkUntil(site, (l) => (l.failures.CREDENTIALS_REFUSED ?? 0) >= 3);
    expect(site.output).not.toContain('central link open');
    expect(site.output).not.toContain('wrong-secret-wrong-secret-wrong-s');
    const metrics = await (await fetch(`${site.url}/metrics`)).text();
    expect(metrics).toMatch(/^scadalink_central_link_state\{state="refused",site="plant1"\} 1$/m);
    expect(metrics).toMatch(/^scadalink_central_link_failures_total\{code="CREDENTIALS_REFUSED",site="plant1"\} [3-9]/m);
  }, 60_000);
});
