// A site node as a real child process: `node --no-node-snapshot bin/scadalink.js site ...`.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/scadalink.js', import.meta.url));
const KEEP_OUTPUT = 256 * 1024;

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class SiteProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  private out = '';
  private lineBuf = '';
  private exit: Exit | undefined;

  private constructor(args: readonly string[]) {
    this.child = spawn(process.execPath, ['--no-node-snapshot', BIN, 'site', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
    this.child.stderr!.on('data', (c: Buffer) => this.keep(c.toString()));
  }

  private keep(text: string): void {
    this.out += text;
    if (this.out.length > KEEP_OUTPUT) this.out = this.out.slice(-KEEP_OUTPUT);
  }

  /** The last part of what the process wrote to stdout and stderr. */
  get output(): string {
    return this.out;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /**
   * Starts a site and resolves with its base URL once it logged that it listens
   * (it sets itself ready just before) and /ready answers 200.
   */
  static async start(projectDir: string, dataDir: string, timeoutMs = 15_000): Promise<{ site: SiteProcess; url: string }> {
    const site = new SiteProcess(['--project', projectDir, '--data', dataDir, '--port', '0', '--shutdown-deadline', '10s']);
    const listening = new Promise<string>((resolve, reject) => {
      site.child.stdout!.on('data', (c: Buffer) => {
        const text = c.toString();
        site.keep(text);
        site.lineBuf += text;
        let nl: number;
        while ((nl = site.lineBuf.indexOf('\n')) >= 0) {
          const line = site.lineBuf.slice(0, nl);
          site.lineBuf = site.lineBuf.slice(nl + 1);
          if (!line.includes('site node listening')) continue;
          try {
            resolve((JSON.parse(line) as { url: string }).url);
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        }
      });
      void site.exited.then((e) => reject(new Error(`site exited before listening (code ${e.code}, signal ${e.signal})\n${site.output}`)));
    });
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`site not listening after ${timeoutMs} ms\n${site.output}`)), timeoutMs);
    });
    try {
      const url = await Promise.race([listening, expired]);
      // No event says "ready"; the log line comes right after, so this normally succeeds at once.
      const deadline = Date.now() + 5_000;
      for (;;) {
        const res = await fetch(`${url}/ready`).catch(() => undefined);
        if (res?.status === 200) break;
        if (!site.alive || Date.now() > deadline) throw new Error(`site at ${url} never became ready\n${site.output}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return { site, url };
    } catch (err) {
      site.child.kill('SIGKILL');
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL: no shutdown code runs. Resolves once the process is gone. */
  async kill(): Promise<Exit> {
    if (this.alive) this.child.kill('SIGKILL');
    return this.exited;
  }

  /** SIGTERM: the graceful stop. */
  async terminate(): Promise<Exit> {
    if (this.alive) this.child.kill('SIGTERM');
    return this.exited;
  }
}
