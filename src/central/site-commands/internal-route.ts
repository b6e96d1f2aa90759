// The internal route another central node forwards a site command to (issue
// 11, point 6): POST /internal/site-commands?site=NAME, the command as the
// site link's protobuf bytes, the cluster secret in a header (compared in
// constant time; never logged). It runs the command on this node's own stream
// of the site only, never forwarding again, and answers the site's reply as
// bytes (200) or an error as JSON: SITE_UNREACHABLE (503) when the site is not
// connected here, whatever the registry said.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { type Query, ScadaLinkError, invalidQuery, onlyParams, queryText } from '../../commons/index.js';
import { MAX_BUNDLE_BYTES } from '../../config/index.js';
import { type SiteLinkServer, decodeCommand, encodeReply } from '../../transport/index.js';
import { CLUSTER_SECRET_HEADER, INTERNAL_COMMAND_PATH, TIMEOUT_HEADER } from './cluster.js';

/** Longest wait a forwarded command may ask for (a deployment's). */
const MAX_TIMEOUT_MS = 10 * 60_000;

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

export function internalSiteCommandRoute(link: SiteLinkServer, secret: string) {
  const expected = digest(secret);
  return async (app: FastifyInstance): Promise<void> => {
    app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: 2 * MAX_BUNDLE_BYTES + 64 * 1024 }, (_req, body, done) => done(null, body));
    app.addHook('onRequest', async (req, reply) => {
      const given = req.headers[CLUSTER_SECRET_HEADER];
      // Digests of equal length, compared in constant time: nothing about the secret leaks through timing.
      if (typeof given !== 'string' || !timingSafeEqual(digest(given), expected)) {
        return reply.code(401).send({ error: { code: 'CLUSTER_UNAUTHORIZED', message: 'this route is for central nodes of the same cluster only' } });
      }
      return undefined;
    });
    app.post<{ Querystring: Query }>(INTERNAL_COMMAND_PATH, async (req, reply) => {
      onlyParams(req.query, ['site']);
      const site = queryText(req.query, 'site');
      if (site === undefined || site === '') throw invalidQuery('site', 'is required');
      if (!Buffer.isBuffer(req.body)) throw new ScadaLinkError('FORWARD_MALFORMED', 'the body must be application/octet-stream');
      const timeoutMs = timeoutOf(req.headers[TIMEOUT_HEADER]);
      const body = decodeCommand(req.body);
      // `held: false` tells the sender the command was not sent (it may try a fresh registry read).
      if (link.session(site) === undefined) throw new ScadaLinkError('SITE_UNREACHABLE', `site ${site} is unreachable: it is not connected to this central node`, { details: { site, held: false } });
      const answer = await link.command(site, body, timeoutMs);
      return reply.type('application/octet-stream').send(encodeReply(answer));
    });
  };
}

function timeoutOf(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const ms = typeof header === 'string' && /^\d{1,9}$/.test(header) ? Number(header) : NaN;
  if (!(ms >= 1 && ms <= MAX_TIMEOUT_MS)) throw new ScadaLinkError('INVALID_REQUEST', `${TIMEOUT_HEADER} must be a whole number of ms from 1 to ${MAX_TIMEOUT_MS}`);
  return ms;
}
