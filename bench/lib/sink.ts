import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Sink {
  readonly url: string;
  requests(): Promise<number>;
  close(): Promise<void>;
}

/** The child's next message of this type (rejects if the child exits first). */
export function next<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (msg: { type: string } & T): void => {
      if (msg.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(msg);
    };
    const onExit = (code: number | null): void => reject(new Error(`sink exited (${code}) before "${type}"`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Starts the 200-JSON sink in a separate Node process (see sink-child.ts). */
export async function startSink(): Promise<Sink> {
  // execArgv: [] so a --cpu-prof of the engine process does not profile the sink too.
  const child = fork(fileURLToPath(new URL('./sink-child.js', import.meta.url)), [], { execArgv: [], stdio: 'inherit' });
  const { port } = await next<{ port: number }>(child, 'listening');
  return {
    url: `http://127.0.0.1:${port}`,
    requests: async () => {
      child.send({ type: 'stats' });
      return (await next<{ requests: number }>(child, 'stats')).requests;
    },
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'close' });
      await exited;
    },
  };
}
