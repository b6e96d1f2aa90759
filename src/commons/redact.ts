// One redactor for every configured secret (issue 8): a remote that echoes a
// request (its URL, headers or form body) into an error puts the secret in
// the text in whatever encoding the request carried it, so each secret is
// matched in its raw and its encoded forms.

export const REDACTED = '***';

// What the WHATWG URL parser percent-encodes in a query and in a path: a
// secret written into a base URL is sent, and echoed, in that form.
const QUERY_SET = /[\0-\x20"#<>'\x7f-\u{10ffff}]/u;
const PATH_SET = /[\0-\x20"#<>?`{}\x7f-\u{10ffff}]/u;

function percentEncoded(secret: string, set: RegExp): string {
  let out = '';
  for (const ch of secret) out += set.test(ch) ? encodeURIComponent(ch) : ch;
  return out;
}

/** The forms a secret takes in a URL, a form body or a JSON text. */
export function secretForms(secret: string): string[] {
  const forms = [secret, JSON.stringify(secret).slice(1, -1)];
  try {
    const uri = encodeURIComponent(secret);
    forms.push(
      uri,
      // Percent-escapes are case-insensitive; some servers echo them in lower case.
      uri.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
      encodeURI(secret),
      new URLSearchParams({ s: secret }).toString().slice(2),
      percentEncoded(secret, QUERY_SET),
      percentEncoded(secret, PATH_SET),
    );
  } catch {
    // A lone surrogate cannot be percent-encoded, so it cannot be sent that way either.
  }
  return forms;
}

export interface Redactor {
  /** The text with every form of every secret replaced by `***`. */
  text(text: string): string;
  /**
   * A copy of an error (same class, same own fields) with every string in
   * its message, stack, details and causes redacted; the error itself when
   * it holds no secret, and any other value as it is.
   */
  error<T>(err: T): T;
}

const MAX_DEPTH = 4;

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Empty values are ignored; longer forms win over shorter ones they contain. */
export function createRedactor(secrets: Iterable<string | undefined>): Redactor {
  const forms = new Set<string>();
  for (const s of secrets) if (s !== undefined && s.length > 0) for (const f of secretForms(s)) forms.add(f);
  if (forms.size === 0) return NO_REDACTION;
  const pattern = new RegExp([...forms].sort((a, b) => b.length - a.length).map(escape).join('|'), 'g');
  const text = (t: string): string => t.replace(pattern, REDACTED);

  // Returns `undefined` when nothing in `value` needed redacting, so untouched
  // values (and errors) keep their identity.
  const redact = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') {
      const out = text(value);
      return out === value ? undefined : out;
    }
    if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return undefined;
    if (Array.isArray(value)) {
      const items = value.map((v: unknown) => redact(v, depth + 1));
      return items.every((v) => v === undefined) ? undefined : value.map((v: unknown, i) => items[i] ?? v);
    }
    const proto = Object.getPrototypeOf(value) as object | null;
    if (!(value instanceof Error) && proto !== Object.prototype && proto !== null) return undefined;
    let copy: object | undefined;
    for (const key of Reflect.ownKeys(value)) {
      const desc = Object.getOwnPropertyDescriptor(value, key)!;
      if (!('value' in desc)) continue;
      const out = redact(desc.value, depth + 1);
      if (out === undefined) continue;
      copy ??= cloneOwn(value, proto);
      Object.defineProperty(copy, key, { ...desc, value: out });
    }
    return copy;
  };

  return {
    text,
    error: <T>(err: T): T => (redact(err, 0) as T | undefined) ?? err,
  };
}

// A frozen original (details often are) gives a copy whose fields can still be replaced.
function cloneOwn(value: object, proto: object | null): object {
  const descriptors = Object.getOwnPropertyDescriptors(value) as Record<PropertyKey, PropertyDescriptor>;
  for (const key of Reflect.ownKeys(descriptors)) {
    const desc = descriptors[key as string]!;
    if ('value' in desc) Object.assign(desc, { writable: true, configurable: true });
  }
  return Object.create(proto, descriptors) as object;
}

/** The redactor of a configuration without secrets. */
export const NO_REDACTION: Redactor = { text: (t) => t, error: (e) => e };
