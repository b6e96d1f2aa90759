// Shared pieces of the SMTP tests: a self-signed certificate made at test time,
// settings for a loopback server, and a helper that returns the error a send throws.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { expect } from 'vitest';
import { DeliveryError } from '../../../src/commons/index.js';
import type { SmtpConfig } from '../../../src/config/index.js';
import type { SmtpMessage, SmtpNotifier } from '../../../src/integrations/index.js';
import { tempDir } from '../../support/index.js';

export const FROM = 'alerts@site.example';
export const PASSWORD = 'pa55-w0rd!secret';

export interface SelfSigned {
  readonly key: string;
  readonly cert: string;
  /** The certificate as a PEM file, for `caFile` (until cleanup()). */
  readonly file: string;
  cleanup(): void;
}

/** A certificate for CN=localhost and IP 127.0.0.1, valid one day, made with openssl now. */
export function selfSignedCert(): SelfSigned {
  const { dir, cleanup } = tempDir('scadalink-smtp-cert-');
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8'), file: cert, cleanup };
}

/** SMTP settings as the project's config resolves them, for a loopback server. */
export function basicSettings(port: number, over: Partial<SmtpConfig> = {}): SmtpConfig {
  return {
    host: '127.0.0.1',
    port,
    tls: 'None',
    auth: { type: 'Basic', username: 'site-a', password: PASSWORD },
    fromAddress: FROM,
    connectionTimeoutMs: 5_000,
    maxConnections: 5,
    retry: { maxRetries: 0, retryIntervalMs: 1_000 },
    ...over,
  };
}

export function message(n = 1, recipients: readonly string[] = ['ops@plant.example', 'chief@plant.example']): SmtpMessage {
  return { subject: `Tank ${n} level high`, body: `Tank ${n} is at 97%.\nCheck the inlet valve.`, recipients };
}

/** The DeliveryError a send throws; fails the test when the send succeeds or throws anything else. */
export async function sendFailure(notifier: SmtpNotifier, msg: SmtpMessage = message()): Promise<DeliveryError> {
  const err: unknown = await notifier.send(msg).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeliveryError);
  return err as DeliveryError;
}

/** Asserts that no secret appears anywhere in the error: message, details or the cause chain. */
export function expectNoSecret(err: DeliveryError, secrets: readonly string[]): void {
  const everything = `${err.message}\n${JSON.stringify(err.details)}\n${inspect(err, { depth: 8 })}`;
  for (const s of secrets) expect(everything).not.toContain(s);
}
