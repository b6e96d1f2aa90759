// What a site does with central's commands (central issue, points 6 and 7):
// Retry and Discard of parked operations through the engine (so they are
// audited and emit telemetry like a local operator action), and pages of
// tracking rows for reconciliation.
import { ScadaLinkError } from '../../commons/index.js';
import { type SiteCommand, type SiteCommandReply, snapshotMsg } from '../../transport/index.js';
import type { StoreAndForwardEngine } from '../engine/engine.js';
import type { SiteStore } from '../store/site-store.js';

/** Most tracking rows one reconciliation page carries. */
export const MAX_PULL_PAGE = 1_000;

export type CommandHandler = (command: SiteCommand) => Promise<Omit<SiteCommandReply, 'correlationId'>>;

export function siteCommandHandler(engine: StoreAndForwardEngine, store: SiteStore): CommandHandler {
  return async (command) => {
    if (command.retryParked) {
      const { trackedOperationId, operator } = command.retryParked;
      await engine.retryParked(trackedOperationId, operator || 'central');
      return { ok: true };
    }
    if (command.discardParked) {
      const { trackedOperationId, operator } = command.discardParked;
      await engine.discardParked(trackedOperationId, operator || 'central');
      return { ok: true };
    }
    if (command.pullTracking) {
      const limit = Math.min(MAX_PULL_PAGE, Math.max(1, command.pullTracking.limit || MAX_PULL_PAGE));
      // Durable rows only: none of a batch whose sync has not returned.
      const rows = store.tracking.changedSince(Number(command.pullTracking.afterVersion), limit + 1, store.durableVersion());
      return { ok: true, trackingPage: { rows: rows.slice(0, limit).map(snapshotMsg), more: rows.length > limit } };
    }
    throw new ScadaLinkError('UNKNOWN_COMMAND', 'this site does not know the command');
  };
}
