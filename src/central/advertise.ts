// The URL other central nodes reach this one at, for the forwarded site
// commands (issue 11, point 6; docs/central.md "Several central nodes").
import { ConfigError } from '../commons/index.js';

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);

/**
 * Checks `advertiseUrl` (an http(s) URL with no path) at once and returns how
 * to make the URL once the HTTP port is known: the given one, else
 * http://host:port. A wildcard host on PostgreSQL (several nodes possible)
 * needs the option, since no other node can dial 0.0.0.0; on SQLite (one
 * node) the registry only ever points at itself, so loopback does.
 */
export function advertisedUrl(options: { readonly advertiseUrl?: string; readonly host?: string; readonly databaseUrl?: string }): (port: number) => string {
  if (options.advertiseUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(options.advertiseUrl);
    } catch {
      throw new ConfigError([{ path: '--advertise-url', message: 'must be an http:// or https:// URL' }]);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || url.pathname !== '/') {
      throw new ConfigError([{ path: '--advertise-url', message: 'must be an http:// or https:// URL of the node, with no path, query or credentials' }]);
    }
    const origin = url.origin;
    return () => origin;
  }
  const host = options.host ?? '127.0.0.1';
  const clustered = options.databaseUrl !== undefined && options.databaseUrl !== '';
  if (WILDCARDS.has(host)) {
    if (clustered) {
      throw new ConfigError([{ path: '--advertise-url', message: `is required with --host ${host || '(all)'} on PostgreSQL: the address other central nodes reach this one at` }]);
    }
    return (port) => `http://127.0.0.1:${port}`;
  }
  const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return (port) => `http://${shown}:${port}`;
}
