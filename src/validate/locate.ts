// Places a configuration issue (a dotted path such as
// `instances.Pump1.triggers[0].alarm`) at its line and column in scadalink.yaml.

import { type Document, LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { PROJECT_FILE } from '../config/index.js';
import type { Problem } from './problem.js';

interface Issue {
  readonly path: string;
  readonly message: string;
  readonly code?: string;
}

/** `instances.Pump1.triggers[0]` → `['instances', 'Pump1', 'triggers', 0]`; `(root)` → `[]`. */
function keysOf(path: string): (string | number)[] {
  if (path === '(root)') return [];
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] === undefined ? m[1]! : Number(m[2])));
}

/** Offset of the key (or item) the path names, else of its nearest ancestor that exists. */
function offsetOf(doc: Document, keys: readonly (string | number)[]): number | undefined {
  for (let n = keys.length; n > 0; n--) {
    const parent = n === 1 ? doc.contents : doc.getIn(keys.slice(0, n - 1), true);
    const last = keys[n - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(last));
      const at = pair !== undefined && isScalar(pair.key) ? pair.key.range?.[0] : undefined;
      if (at !== undefined) return at;
    } else if (isSeq(parent) && typeof last === 'number') {
      const item = parent.items[last];
      const at = item !== null && typeof item === 'object' && 'range' in item ? (item.range as [number] | undefined)?.[0] : undefined;
      if (at !== undefined) return at;
    }
  }
  return undefined;
}

/** The issues of a project that did not load, each at its place in the project file. */
export function configProblems(issues: readonly Issue[], yamlText: string): Problem[] {
  let located: { doc: Document; lines: LineCounter } | undefined;
  const parsed = (): { doc: Document; lines: LineCounter } => {
    if (located !== undefined) return located;
    const lines = new LineCounter();
    located = { doc: parseDocument(yamlText, { lineCounter: lines, uniqueKeys: false }), lines };
    return located;
  };
  return issues.map((issue) => {
    const code = issue.code ?? 'CONFIG_INVALID';
    if (issue.path === PROJECT_FILE) {
      // A YAML error carries its position in its message already.
      const m = /^line (\d+), column (\d+): (.*)$/s.exec(issue.message);
      return m === null
        ? { file: PROJECT_FILE, line: 1, column: 1, code, message: issue.message }
        : { file: PROJECT_FILE, line: Number(m[1]), column: Number(m[2]), code, message: m[3]! };
    }
    const { doc, lines } = parsed();
    const at = offsetOf(doc, keysOf(issue.path));
    const pos = at === undefined ? { line: 1, col: 1 } : lines.linePos(at);
    return { file: PROJECT_FILE, line: pos.line, column: pos.col, code, message: `${issue.path}: ${issue.message}` };
  });
}
