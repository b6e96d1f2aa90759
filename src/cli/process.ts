// What every long-running command shares: its port options, its last-resort
// error handlers and its graceful stop.
import pino from 'pino';
import { ScadaLinkError, guardProcess } from '../commons/index.js';

/** Before a node starts: unhandled rejections are logged and counted, not fatal (commons/process-guard.ts). */
export function guardNode(role: 'site' | 'central' | 'dev'): void {
  guardProcess(pino({ base: { role } }));
}

export function parsePort(option: string, text: string): number {
  // Plain digits only: Number() would also take '', ' 80', '0x50' and '1e3'.
  const port = Number(text);
  if (!/^\d{1,5}$/.test(text) || port > 65535) {
    throw new ScadaLinkError('INVALID_ARGUMENT', `${option} takes a port number from 0 to 65535, not ${text}`, { details: { option } });
  }
  return port;
}

/** SIGTERM or SIGINT runs `stop` once, then exits 0 (1 if stopping failed). */
export function stopOnSignals(what: string, stop: () => Promise<void>): void {
  const shutdown = (signal: string): void => {
    process.stderr.write(`${signal}: stopping ${what}\n`);
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
