// A real OAuth2 token endpoint on loopback (node:http) for the client-credentials
// grant: checks the form, issues numbered tokens, and can be told to fail.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenRequest {
  readonly path: string;
  readonly contentType: string | undefined;
  readonly form: Readonly<Record<string, string>>;
}

export interface TokenServer {
  /** Token endpoint URL (path /{tenant}/oauth2/v2.0/token). */
  readonly url: string;
  readonly requests: TokenRequest[];
  /** Every token issued, in order. */
  readonly issued: string[];
  /** Lifetime sent as expires_in for the next tokens. */
  setExpiresIn(seconds: number): void;
  /** From now on answer with this status and JSON body (undefined: issue tokens again). */
  failWith(status: number | undefined, body?: unknown): void;
  close(): Promise<void>;
}

export const CLIENT = { tenantId: 'tenant-1', clientId: 'client-1', clientSecret: 'S3cr3t+client/secret==' } as const;

export async function startTokenServer(): Promise<TokenServer> {
  const requests: TokenRequest[] = [];
  const issued: string[] = [];
  let expiresIn = 3600;
  let failure: { status: number; body: unknown } | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      requests.push({ path: req.url ?? '', contentType: req.headers['content-type'], form });
      const send = (status: number, body: unknown): void => {
        const text = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(text);
      };
      if (failure !== undefined) return send(failure.status, failure.body);
      if (form['client_id'] !== CLIENT.clientId || form['client_secret'] !== CLIENT.clientSecret) {
        return send(401, { error: 'invalid_client', error_description: 'bad client credentials' });
      }
      if (form['grant_type'] !== 'client_credentials') return send(400, { error: 'unsupported_grant_type' });
      const token = `tok-${issued.length + 1}`;
      issued.push(token);
      send(200, { token_type: 'Bearer', access_token: token, expires_in: expiresIn });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/${CLIENT.tenantId}/oauth2/v2.0/token`,
    requests,
    issued,
    setExpiresIn: (s) => {
      expiresIn = s;
    },
    failWith: (status, body = {}) => {
      failure = status === undefined ? undefined : { status, body };
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
