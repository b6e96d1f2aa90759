// The thread of a ThreadedHttpGateway (threaded.ts): it runs an ordinary
// HttpGateway and answers each call with its result or its classified failure
// as data. Connecting, writing, parsing and building errors all cost CPU; here
// they use the second core instead of the event loop that runs the store,
// the engine and the scripts.
import { setMaxListeners } from 'node:events';
import { parentPort, workerData } from 'node:worker_threads';
import { DeliveryError } from '../../commons/index.js';
import type { ExternalSystemConfig } from '../../config/index.js';
import { HttpGateway } from './gateway.js';
import type { FromGatewayThread, GatewayFailure, GatewayWorkerData, ToGatewayThread } from './thread-protocol.js';

const port = parentPort;
if (port === null) throw new Error('gateway-worker runs only as a worker thread');
const { options } = workerData as GatewayWorkerData;

// Errors here travel to the main thread as data (message, code, class), never
// with a stack, and capturing one walks the whole await chain: on a refused
// connection that was a sixth of this thread's time.
Error.stackTraceLimit = 0;

const gateway = new HttpGateway(options);
const systems = new Map<number, ExternalSystemConfig>();
/** One controller per caller signal (see ToGatewayThread `signal`). */
const controllers = new Map<number, AbortController>();
const inFlight = new Set<Promise<void>>();
let replies: FromGatewayThread[] = [];
let flushScheduled = false;

function flush(): void {
  flushScheduled = false;
  const batch = replies;
  replies = [];
  if (batch.length > 0) port?.postMessage(batch);
}

function reply(r: FromGatewayThread): void {
  replies.push(r);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

function toFailure(err: unknown): GatewayFailure {
  if (err instanceof DeliveryError) {
    return {
      name: 'DeliveryError',
      message: err.message,
      code: err.code,
      classification: err.classification,
      httpStatus: err.httpStatus,
      details: err.details,
    };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  return {
    name: e.name,
    message: e.message,
    code: typeof code === 'string' ? code : undefined,
    classification: undefined,
    httpStatus: undefined,
    details: undefined,
  };
}

async function run(m: Extract<ToGatewayThread, { t: 'call' }>): Promise<void> {
  const system = systems.get(m.sid);
  let controller: AbortController | undefined;
  if (m.signal !== 0) {
    controller = controllers.get(m.signal);
    if (controller === undefined) {
      controller = new AbortController();
      // Every call made with the caller's signal listens on this one.
      setMaxListeners(0, controller.signal);
      controllers.set(m.signal, controller);
    }
  }
  try {
    if (system === undefined) throw new Error(`gateway thread: unknown system id ${m.sid}`);
    const res = await gateway.call(system, m.method, m.params, {
      idempotencyKey: m.idempotencyKey,
      signal: controller?.signal,
    });
    reply({ id: m.id, ok: true, status: res.status, body: res.body });
  } catch (err) {
    reply({ id: m.id, ok: false, failure: toFailure(err) });
  }
}

async function close(): Promise<void> {
  await Promise.all(inFlight);
  await gateway.close();
  flush();
  port?.close();
}

port.on('message', (batch: readonly ToGatewayThread[]) => {
  for (const m of batch) {
    if (m.t === 'call') {
      const p = run(m);
      inFlight.add(p);
      // `run` answers every call itself; this only untracks it, whichever way it settles.
      const untrack = (): void => void inFlight.delete(p);
      p.then(untrack, untrack);
    } else if (m.t === 'system') {
      systems.set(m.sid, m.config);
    } else if (m.t === 'abort') {
      controllers.get(m.signal)?.abort();
    } else if (m.t === 'release') {
      controllers.delete(m.signal);
    } else {
      void close();
    }
  }
});
