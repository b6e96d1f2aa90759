// The process-wide last resort of every node. By Node's default a promise
// rejected with nobody listening ends the process, and with it a site's
// operations in flight and central's ingest of every site, for what is at worst
// a lost log line. So an unhandled rejection is logged (error level, JSON) and
// counted, and the node keeps running. An uncaught exception is different: it
// was thrown out of a synchronous stack half-way through, leaving state no
// code can vouch for, so it is logged and the process exits non-zero for its
// supervisor to restart it (DESIGN §3: record before acting makes that safe).
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { describeError } from './errors.js';

let unhandledRejections = 0;
let installed = false;

/** pino's serializer describes an Error (type, message, stack, its own fields); anything else thrown gets a message. */
function described(err: unknown): unknown {
  return err instanceof Error ? err : { type: typeof err, message: describeError(err) };
}

/** Installs the process's handlers once (later calls do nothing). */
export function guardProcess(logger: Logger): void {
  if (installed) return;
  installed = true;
  process.on('unhandledRejection', (reason) => {
    unhandledRejections++;
    logger.error({ err: described(reason), unhandledRejections }, 'unhandled promise rejection; the node keeps running');
  });
  process.on('uncaughtException', (err, origin) => {
    logger.fatal({ err: described(err), origin }, 'uncaught exception; the node exits');
    process.exit(1);
  });
}

/** Adds `scadalink_unhandled_rejections_total` (this process's count) to a node's registry. */
export function registerProcessMetrics(registry: Registry): void {
  new Counter({
    name: 'scadalink_unhandled_rejections_total',
    help: 'Promise rejections nothing handled; each is logged at error level and the node kept running.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(unhandledRejections);
    },
  });
}
