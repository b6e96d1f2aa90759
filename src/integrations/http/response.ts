/**
 * The response body for the script: JSON when it parses as JSON (declared
 * JSON, or no content type at all), otherwise the text; `undefined` when empty.
 * A body declared as text stays text even when it looks like a number.
 */
export function parseResponseBody(text: string, contentType: string | string[] | undefined): unknown {
  if (text.length === 0) return undefined;
  const type = Array.isArray(contentType) ? contentType[0] : contentType;
  if (type !== undefined && !JSON_TYPE.test(type)) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

// application/json, application/problem+json, text/json, ...; parameters allowed.
const JSON_TYPE = /^[^;]*[/+]json\s*(;|$)/i;
