// Runs the real CLI (bin/scadalink.js → dist/, built by `pretest`) as a child process.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/commons/index.js';

const BIN = join(packageRoot(), 'bin', 'scadalink.js');
const KEEP_LINES = 5000;

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A `scadalink site …` process: its output lines, its exit, and ways to stop it. */
export class SiteProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  /** The last lines the process printed (JSON log lines and stderr). */
  readonly lines: string[] = [];
  url = '';
  /** A central's site-link port (0 for a site). */
  grpcPort = 0;
  private exit: Exit | undefined;
  private readonly watchers: { text: string; resolve: (line: string) => void }[] = [];

  private constructor(command: string, args: readonly string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, ['--no-node-snapshot', BIN, command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      let partial = '';
      stream.on('data', (chunk: Buffer) => {
        const parts = (partial + chunk.toString()).split('\n');
        partial = parts.pop()!;
        for (const l of parts) this.record(l);
      });
    }
  }

  /**
   * Starts a site and resolves once it logged that it listens, which it does
   * right after it turned ready.
   */
  static start(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<SiteProcess> {
    return SiteProcess.command('site', args, env);
  }

  /** `scadalink central …`, resolved once it logged `central node listening`. */
  static central(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<SiteProcess> {
    return SiteProcess.command('central', args, env);
  }

  /** `scadalink dev …`, resolved once it logged `dev ready` (its `url` is the site's; see the line for the rest). */
  static dev(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<SiteProcess> {
    return SiteProcess.command('dev', args, env, '"dev ready"');
  }

  private static async command(
    command: 'site' | 'central' | 'dev',
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    readyText = `"${command} node listening"`,
  ): Promise<SiteProcess> {
    const site = new SiteProcess(command, args, env);
    const listening = site.line(readyText);
    const died = site.exited.then((e) => {
      throw new Error(`site exited before listening (code ${e.code}, signal ${e.signal})\n${site.output}`);
    });
    const ready = JSON.parse(await Promise.race([listening, died])) as { url?: string; site?: string; grpcPort?: number };
    site.url = ready.url ?? ready.site ?? '';
    site.grpcPort = ready.grpcPort ?? 0;
    return site;
  }

  private record(line: string): void {
    if (line === '') return;
    this.lines.push(line);
    if (this.lines.length > KEEP_LINES) this.lines.splice(0, this.lines.length - KEEP_LINES);
    for (let i = this.watchers.length - 1; i >= 0; i--) {
      if (line.includes(this.watchers[i]!.text)) this.watchers.splice(i, 1)[0]!.resolve(line);
    }
  }

  /** Resolves with the first line (already printed or still to come) that contains `text`. */
  line(text: string): Promise<string> {
    const seen = this.lines.find((l) => l.includes(text));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.watchers.push({ text, resolve }));
  }

  get output(): string {
    return this.lines.join('\n');
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** SIGKILL: no shutdown code runs. Resolves once the process is gone. */
  kill(): Promise<Exit> {
    if (this.alive) this.child.kill('SIGKILL');
    return this.exited;
  }

  /** SIGTERM: the graceful stop. */
  terminate(): Promise<Exit> {
    if (this.alive) this.child.kill('SIGTERM');
    return this.exited;
  }
}

/** Runs a CLI command to completion. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--no-node-snapshot', BIN, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
