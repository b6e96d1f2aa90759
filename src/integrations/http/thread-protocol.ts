// Messages between ThreadedHttpGateway (threaded.ts) and its thread
// (gateway-worker.ts). Both directions send arrays: one postMessage carries
// every request (or reply) of an event-loop turn, so the cost of crossing
// threads is paid per batch, not per call.
import type { FailureClass } from '../../commons/index.js';
import type { ExternalSystemConfig } from '../../config/index.js';
import type { HttpGatewayOptions } from './gateway.js';

export interface GatewayWorkerData {
  readonly options: HttpGatewayOptions;
}

export type ToGatewayThread =
  /** Sent once per configuration object, before the first call that names it. */
  | { readonly t: 'system'; readonly sid: number; readonly config: ExternalSystemConfig }
  | {
      readonly t: 'call';
      readonly id: number;
      readonly sid: number;
      readonly method: string;
      readonly params: Readonly<Record<string, unknown>>;
      readonly idempotencyKey: string | undefined;
      /**
       * The caller's AbortSignal as a number: every call that shares a signal
       * (the engine passes one to all its attempts) shares one controller in
       * the thread. 0: no signal.
       */
      readonly signal: number;
    }
  /** The caller's signal fired: abort every call made with it. */
  | { readonly t: 'abort'; readonly signal: number }
  /** No call with this signal is in flight any more: forget it. */
  | { readonly t: 'release'; readonly signal: number }
  /** Finish the calls in flight, close the pools and end the thread. */
  | { readonly t: 'close' };

/** A thrown error as data; the main thread rebuilds it. */
export interface GatewayFailure {
  /** 'DeliveryError' for the gateway's classified failures, else the thrown error's name. */
  readonly name: string;
  readonly message: string;
  readonly code: string | undefined;
  readonly classification: FailureClass | undefined;
  readonly httpStatus: number | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;
}

export type FromGatewayThread =
  | { readonly id: number; readonly ok: true; readonly status: number; readonly body: unknown }
  | { readonly id: number; readonly ok: false; readonly failure: GatewayFailure };
