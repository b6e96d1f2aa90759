// Script text → the JavaScript an isolate compiles, cached by content hash.
//
// A script file is the BODY of an async function (DESIGN §7): top-level
// `await` and `return` work, `import`/`export` do not. The body is wrapped in a
// call to the core's invoke wrapper; the wrapper sits on its own line so that
// the author's line N is line N of the script (JS: via a -1 line offset; TS:
// via the transpiler's source map).

import { createHash } from 'node:crypto';
import type ts from 'typescript';
import { ScadaLinkError } from '../commons/index.js';
import { ScriptErrorCode, WIRE } from './protocol.js';
import { positionMapper, type PositionMapper } from './source-map.js';

export type ScriptLanguage = 'js' | 'ts';

export interface ScriptSource {
  readonly source: string;
  /** Default 'js'. */
  readonly language?: ScriptLanguage;
  /** Shown in stack lines; default `script.js` / `script.ts`. */
  readonly filename?: string;
}

export interface CompiledScript {
  /** Content hash of language, filename and source: the cache key everywhere. */
  readonly key: string;
  readonly code: string;
  readonly filename: string;
  /** Passed to the isolate compiler as the script origin's line offset. */
  readonly lineOffset: number;
  /** Maps a position in `code` to the author's source; absent when they coincide. */
  readonly mapPosition?: PositionMapper;
  /**
   * Set when the body does not parse as an async function body on its own
   * (see checkBody). The isolate's compile error, which has a position, is
   * preferred when there is one; this is the fallback.
   */
  readonly bodyError?: string;
}

const PREFIX = `${WIRE.invoke}(async function () {\n`;
const SUFFIX = '\n});\n';

/** A script body as the isolate compiles it: line N of the body is line N + 1 of the result. */
export function wrapScript(source: string): string {
  return PREFIX + source + SUFFIX;
}

type TypeScript = typeof ts;
let typescript: Promise<TypeScript> | undefined;

// typescript is large (~9 MB of JS); load it only when a TS script shows up.
export function loadTypeScript(): Promise<TypeScript> {
  typescript ??= import('typescript').then((m) => (m as { default?: TypeScript }).default ?? m);
  return typescript;
}

// Text such as `}); ("..." || function () {` would close the wrapper early and
// run code outside it, where it could forge the run's outcome. The body is
// therefore also parsed as the body of a lone async function, exactly as V8's
// AsyncFunction constructor does (which requires a single function literal).
// The host's V8 only parses it: the function is never called.
const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (body: string) => unknown;

function checkBody(body: string): string | undefined {
  try {
    new AsyncFunction(body);
    return undefined;
  } catch (err) {
    return err instanceof SyntaxError ? err.message : String(err);
  }
}

/** The body inside a wrapped script, or undefined when the wrapper is not intact. */
function bodyOf(code: string): string | undefined {
  const end = code.lastIndexOf('\n});');
  return code.startsWith(PREFIX) && end >= PREFIX.length - 1 ? code.slice(PREFIX.length, end) : undefined;
}

function withBodyCheck(compiled: CompiledScript): CompiledScript {
  const body = bodyOf(compiled.code);
  const bodyError = body === undefined ? 'the script closes the function it runs in' : checkBody(body);
  return bodyError === undefined ? compiled : { ...compiled, bodyError };
}

function compileError(filename: string, message: string, line?: number, column?: number): ScadaLinkError {
  const at = line === undefined ? filename : `${filename}:${line}:${column ?? 1}`;
  return new ScadaLinkError(ScriptErrorCode.Compile, `${at}: ${message}`, {
    details: { filename, ...(line === undefined ? {} : { line, column }) },
  });
}

async function transpile(key: string, source: string, filename: string): Promise<CompiledScript> {
  const tsc = await loadTypeScript();
  const out = tsc.transpileModule(wrapScript(source), {
    fileName: filename,
    reportDiagnostics: true,
    compilerOptions: {
      target: tsc.ScriptTarget.ES2022,
      module: tsc.ModuleKind.ESNext,
      sourceMap: true,
      inlineSources: false,
      alwaysStrict: false,
    },
  });
  const first = out.diagnostics?.[0];
  if (first !== undefined) {
    const text = tsc.flattenDiagnosticMessageText(first.messageText, '\n');
    if (first.file === undefined || first.start === undefined) throw compileError(filename, text);
    const pos = tsc.getLineAndCharacterOfPosition(first.file, first.start);
    throw compileError(filename, text, pos.line, pos.character + 1);
  }
  const code = out.outputText.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
  const mapPosition = out.sourceMapText === undefined ? undefined : positionMapper(out.sourceMapText, 1);
  return withBodyCheck({ key, code, filename, lineOffset: 0, ...(mapPosition === undefined ? {} : { mapPosition }) });
}

/** Compiles each distinct source once; keeps the most recently used `capacity` results. */
export class ScriptCompiler {
  readonly #cache = new Map<string, Promise<CompiledScript>>();
  /** Source text → language and file name → cache key; cleared when it holds more than `capacity` sources. */
  readonly #keys = new Map<string, Map<string, string>>();

  constructor(private readonly capacity = 1000) {}

  compile(src: ScriptSource): Promise<CompiledScript> {
    const language = src.language ?? 'js';
    const filename = src.filename ?? `script.${language}`;
    // The same source text (usually the very same string, whose hash V8 keeps) skips the SHA-256 of every run.
    const known = this.#keys.get(src.source)?.get(`${language}\0${filename}`);
    const key = known ?? createHash('sha256').update(`${language}\0${filename}\0${src.source}`).digest('base64url');
    if (known === undefined) this.#remember(src.source, `${language}\0${filename}`, key);
    const cached = this.#cache.get(key);
    if (cached !== undefined) {
      this.#cache.delete(key);
      this.#cache.set(key, cached);
      return cached;
    }
    // A failed compile is cached too: the same text fails the same way.
    const compiled =
      language === 'ts'
        ? transpile(key, src.source, filename)
        : Promise.resolve(withBodyCheck({ key, code: wrapScript(src.source), filename, lineOffset: -1 }));
    this.#cache.set(key, compiled);
    if (this.#cache.size > this.capacity) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    return compiled;
  }

  #remember(source: string, where: string, key: string): void {
    if (this.#keys.size >= this.capacity) this.#keys.clear();
    let keys = this.#keys.get(source);
    if (keys === undefined) {
      keys = new Map();
      this.#keys.set(source, keys);
    }
    keys.set(where, key);
  }
}
