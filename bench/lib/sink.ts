import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Sink {
  readonly url: string;
  requests(): Promise<number>;
  close(): Promise<void>;
}

/** The child's next message of this type, and with this `seq` if given (rejects if the child exits first). */
export function next<T>(child: ChildProcess, type: string, seq?: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (msg: { type: string; seq?: number } & T): void => {
      if (msg.type !== type || (seq !== undefined && msg.seq !== seq)) return;
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
  let asked = 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: async () => {
      // Numbered: two requests outstanding at once (a busy event loop reads replies late) each get their own answer.
      const seq = ++asked;
      child.send({ type: 'stats', seq });
      return (await next<{ requests: number }>(child, 'stats', seq)).requests;
    },
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'close' });
      await exited;
    },
  };
}
