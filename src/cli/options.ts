// Command-line options read as strictly as the admin APIs read their query
// strings: a bad value is INVALID_ARGUMENT naming the option, and main.ts
// turns it into exit status 2. Where a CLI option and an API parameter mean
// the same thing, the CLI runs the API's reader (commons/query.ts and the
// node's own readers) so that both accept exactly the same values.
import { accessSync, constants, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { type Query, ScadaLinkError, isTrackedOperationId, queryTime } from '../commons/index.js';
import { parseDuration } from '../config/index.js';

export function invalidOption(option: string, message: string): ScadaLinkError {
  return new ScadaLinkError('INVALID_ARGUMENT', `${option}: ${message}`, { details: { option } });
}

/**
 * Runs an admin-API query reader on options given as `{parameter: text}`
 * (absent ones left out); its INVALID_QUERY becomes INVALID_ARGUMENT naming
 * the option `--<parameter>`.
 */
export function readAsQuery<T>(given: Readonly<Record<string, string | undefined>>, read: (q: Query) => T): T {
  const q: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) if (value !== undefined) q[name] = value;
  try {
    return read(q);
  } catch (err) {
    if (!(err instanceof ScadaLinkError) || err.code !== 'INVALID_QUERY') throw err;
    const parameter = String(err.details['parameter']);
    throw invalidOption(`--${parameter}`, err.message.slice(parameter.length + 2));
  }
}

/** A whole number written in plain digits, from `min` to `max`. */
export function wholeOption(option: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d{1,16}$/.test(text) || n < min || n > max) throw invalidOption(option, `takes a whole number from ${min} to ${max}, not ${text}`);
  return n;
}

/** A duration (250ms, 10s, 2m, 1h) from 0 to `maxMs`. */
export function durationOption(option: string, text: string, maxMs: number): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms > maxMs) throw invalidOption(option, `takes a duration such as 10s (at most ${maxMs / 3_600_000}h), not ${text}`);
  return ms;
}

/** A duration back from now (2h) or an ISO time (checked by the API's reader), as an ISO time. */
export function agoOption(option: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms !== undefined) return new Date(Date.now() - ms).toISOString();
  try {
    return queryTime({ t: text }, 't');
  } catch {
    throw invalidOption(option, `takes a duration back from now (2h) or an ISO-8601 time such as 2026-11-29T08:00:00Z, not ${text}`);
  }
}

/** A path that is not empty (an empty one would silently mean the working directory). */
export function pathOption(option: string, text: string): string {
  if (text.trim().length === 0) throw invalidOption(option, 'takes a path, not an empty string');
  return text;
}

export function operationIdOption(text: string): string {
  if (!isTrackedOperationId(text)) throw invalidOption('<id>', `must be a TrackedOperationId (a UUID such as 0192f3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b), not ${text.slice(0, 100)}`);
  return text;
}

/** A name of 1 to `max` characters that is not only blanks. */
export function nameOption(option: string, text: string, max: number): string {
  if (text.trim().length === 0 || text.length > max) throw invalidOption(option, `takes a name of 1 to ${max} characters`);
  return text;
}

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** An IP address or a DNS name to listen on or dial. */
export function hostOption(option: string, text: string): string {
  if (isIP(text) === 0 && !HOST_NAME.test(text)) throw invalidOption(option, `takes an IP address or a host name, not ${text}`);
  return text;
}

/** `host:port` or `[ipv6]:port`, port 1 to 65535. */
export function hostPortOption(option: string, text: string): string {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  const hostOk = m?.[1] !== undefined ? isIP(m[1]) === 6 : host !== undefined && (isIP(host) === 4 || HOST_NAME.test(host));
  if (!m || !hostOk || port < 1 || port > 65535) throw invalidOption(option, `takes host:port (such as central.example:7443 or [::1]:7443), not ${text}`);
  return text;
}

/** A file that exists and can be read. */
export function readableFileOption(option: string, file: string): string {
  try {
    if (!statSync(file).isFile()) throw new Error('not a file');
    accessSync(file, constants.R_OK);
  } catch {
    throw invalidOption(option, `${file} is not a readable file`);
  }
  return file;
}

/** A directory that exists. */
export function directoryOption(option: string, dir: string): string {
  let ok = false;
  try {
    ok = statSync(dir).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok) throw invalidOption(option, `${dir} is not a directory`);
  return dir;
}
