// Runs the real CLI (bin/scadalink.js → dist/, built by `pretest`) as a child process.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/commons/index.js';

const BIN = join(packageRoot(), 'bin', 'scadalink.js');

export interface RunningSite {
  readonly child: ChildProcess;
  readonly url: string;
  /** Every line the process printed so far (JSON log lines and stderr). */
  readonly output: string[];
  readonly exited: Promise<number | null>;
  /** Resolves with the first line (already printed or still to come) that contains `text`. */
  line(text: string): Promise<string>;
}

/** Starts `scadalink site …` and resolves once it logs that it is listening. */
export function startSiteProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<RunningSite> {
  const child = spawn(process.execPath, ['--no-node-snapshot', BIN, 'site', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const output: string[] = [];
  const watchers: { text: string; resolve: (line: string) => void }[] = [];
  const line = (text: string): Promise<string> => {
    const seen = output.find((l) => l.includes(text));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => watchers.push({ text, resolve }));
  };
  const record = (l: string): void => {
    output.push(l);
    for (let i = watchers.length - 1; i >= 0; i--) {
      if (l.includes(watchers[i]!.text)) watchers.splice(i, 1)[0]!.resolve(l);
    }
  };
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const l of lines) {
        record(l);
        if (l.includes('"site node listening"')) {
          resolve({ child, url: (JSON.parse(l) as { url: string }).url, output, exited, line });
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => c.toString().split('\n').filter(Boolean).forEach(record));
    void exited.then((code) => reject(new Error(`site exited (${code}) before listening:\n${output.join('\n')}`)));
  });
}

/** Runs a CLI command to completion. */
export function runCli(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--no-node-snapshot', BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
