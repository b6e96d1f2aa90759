export { SiteLinkServer, MAX_SITE_MESSAGE_BYTES, type SiteLinkServerOptions, type IngestAnswer } from './server.js';
export { SiteSession, type CommandBody } from './session.js';
export { type SiteAccess, type SiteSecrets } from './auth.js';
export { SiteLinkClient, type SiteLinkClientOptions, type TelemetryAnswer } from './client.js';
export { SITE_HEADER, SECRET_HEADER } from './proto.js';
export { auditEventOf, auditEventMsg, snapshotOf, snapshotMsg } from './convert.js';
export type { Command__Output as SiteCommand } from './generated/scadalink/v1/Command.js';
export type { CommandReply as SiteCommandReply, CommandReply__Output as SiteCommandReplyOutput } from './generated/scadalink/v1/CommandReply.js';
export { ingestEventsOf, trackingPageOf, type CheckedBatch, type CheckedPage, type RejectedItem } from './schema.js';
