// Checks every script of a resolved project without running it (issue 9):
// the TypeScript parser's syntax errors (all of them, for .js and .ts), V8's
// own early errors for JavaScript, and references BY LITERAL NAME to what the
// project does not define. A name that is not a string literal (a variable, a
// template with substitutions) is not checked; the run reports it (UNKNOWN_*).

import { Script } from 'node:vm';
import type ts from 'typescript';
import type { ProjectConfig, ScriptLanguage } from '../config/index.js';
import { SCRIPTS_DIR } from '../config/index.js';
import { ScriptCompiler, ScriptErrorCode, loadTypeScript, wrapScript } from '../scripts/index.js';
import type { Problem } from './problem.js';

type TypeScript = typeof ts;

interface ScriptUnit {
  /** Relative to the project directory: `scripts/...`. */
  readonly file: string;
  readonly source: string;
  readonly language: ScriptLanguage;
  /** The instance whose attributes `Instance.*` act on; absent for a shared script (it acts on its caller's). */
  readonly instance?: { readonly code: string; readonly attributes: ReadonlySet<string> };
  /** An Inbound API method's script, run at central: no shared scripts, no own instance. */
  readonly central?: boolean;
}

/** A site-only API called from a method script (central has no shared scripts and no own instance). */
export const SITE_ONLY_API = 'SITE_ONLY_API';

/** Where a script's author wrote something, from an offset in the wrapped text (one line of wrapper first). */
function position(sf: ts.SourceFile, offset: number, source: string): { line: number; column: number } {
  const { line, character } = sf.getLineAndCharacterOfPosition(offset);
  const lines = source.split('\n').length;
  if (line < 1) return { line: 1, column: 1 };
  // Past the body (an unclosed brace is reported at the wrapper's end): the last line of the script.
  if (line > lines) return { line: lines, column: (source.split('\n').at(-1)?.length ?? 0) + 1 };
  return { line, column: character + 1 };
}

function syntaxProblems(tsc: TypeScript, unit: ScriptUnit, wrapped: string): Problem[] {
  const out = tsc.transpileModule(wrapped, {
    fileName: unit.language === 'ts' ? 'script.ts' : 'script.js',
    reportDiagnostics: true,
    compilerOptions: { target: tsc.ScriptTarget.ES2022, module: tsc.ModuleKind.ESNext, alwaysStrict: false },
  });
  return (out.diagnostics ?? []).map((d) => {
    const at = d.file === undefined || d.start === undefined ? { line: 1, column: 1 } : position(d.file, d.start, unit.source);
    return { file: unit.file, ...at, code: ScriptErrorCode.Compile, message: tsc.flattenDiagnosticMessageText(d.messageText, ' ') };
  });
}

/** V8's early errors the TypeScript parser lets through (`let a; let a;`), with V8's position. */
function v8Problem(unit: ScriptUnit, wrapped: string): Problem | undefined {
  try {
    new Script(wrapped, { filename: unit.file }); // compiled, never run
    return undefined;
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    // The stack starts `file:LINE`, the source line, then a caret under the column.
    const [where, , caret] = (err.stack ?? '').split('\n');
    const line = Number(where?.slice(where.lastIndexOf(':') + 1));
    const column = (caret?.indexOf('^') ?? -1) + 1;
    return { file: unit.file, line: Number.isInteger(line) && line > 1 ? line - 1 : 1, column: column > 0 ? column : 1, code: ScriptErrorCode.Compile, message: err.message };
  }
}

interface Names {
  readonly systems: ReadonlyMap<string, ReadonlySet<string>>;
  readonly databases: ReadonlySet<string>;
  /** Central's databases (`inboundApi.databases`), for method scripts. */
  readonly centralDatabases: ReadonlySet<string>;
  readonly lists: ReadonlySet<string>;
  readonly shared: ReadonlySet<string>;
}

function namesOf(project: ProjectConfig): Names {
  return {
    systems: new Map(Object.values(project.externalSystems).map((s) => [s.name, new Set(Object.keys(s.methods))])),
    databases: new Set(Object.keys(project.databases)),
    centralDatabases: new Set(Object.keys(project.inboundApi.databases)),
    lists: new Set(Object.keys(project.notificationLists)),
    shared: new Set(Object.keys(project.sharedScripts)),
  };
}

function literal(node: ts.Expression | undefined, tsc: TypeScript): string | undefined {
  if (node === undefined) return undefined;
  return tsc.isStringLiteral(node) || tsc.isNoSubstitutionTemplateLiteral(node) ? node.text : undefined;
}

function parse(tsc: TypeScript, unit: ScriptUnit, wrapped: string): ts.SourceFile {
  return tsc.createSourceFile('script', wrapped, tsc.ScriptTarget.ES2022, true, unit.language === 'ts' ? tsc.ScriptKind.TS : tsc.ScriptKind.JS);
}

function referenceProblems(tsc: TypeScript, unit: ScriptUnit, sf: ts.SourceFile, names: Names): Problem[] {
  const problems: Problem[] = [];
  const report = (node: ts.Node, code: string, message: string): void => {
    problems.push({ file: unit.file, ...position(sf, node.getStart(sf), unit.source), code, message });
  };
  const check = (call: ts.CallExpression): void => {
    const callee = call.expression;
    if (!tsc.isPropertyAccessExpression(callee) || !tsc.isIdentifier(callee.expression)) return;
    const api = `${callee.expression.text}.${callee.name.text}`;
    if (unit.central === true && (api === 'Scripts.Call' || api.startsWith('Instance.'))) {
      const why = api === 'Scripts.Call' ? 'where there are no shared scripts' : 'with no instance of its own';
      return report(call, SITE_ONLY_API, `${api} is site-only: an Inbound API method script runs at central, ${why}`);
    }
    const [first, second] = call.arguments;
    const name = literal(first, tsc);
    if (name === undefined || first === undefined) return;
    switch (api) {
      case 'ExternalSystem.Call':
      case 'ExternalSystem.CachedCall': {
        const methods = names.systems.get(name);
        if (methods === undefined) return report(first, 'UNKNOWN_SYSTEM', `external system ${name} is not defined in externalSystems`);
        const method = literal(second, tsc);
        if (second !== undefined && method !== undefined && !methods.has(method)) {
          report(second, 'UNKNOWN_METHOD', `method ${method} is not defined on external system ${name}`);
        }
        return;
      }
      case 'Database.Connection':
      case 'Database.CachedWrite':
        // A method script runs at central: its databases are central's own, `inboundApi.databases`.
        if (unit.central === true) {
          if (!names.centralDatabases.has(name)) report(first, 'UNKNOWN_CONNECTION', `database ${name} is not defined in inboundApi.databases`);
        } else if (!names.databases.has(name)) report(first, 'UNKNOWN_CONNECTION', `database ${name} is not defined in databases`);
        return;
      case 'Notify.To':
        if (!names.lists.has(name)) report(first, 'UNKNOWN_NOTIFICATION_LIST', `notification list ${name} is not defined in notificationLists`);
        return;
      case 'Scripts.Call':
        if (!names.shared.has(name)) report(first, 'UNKNOWN_SCRIPT', `shared script ${name} is not defined in sharedScripts`);
        return;
      case 'Instance.GetAttribute':
      case 'Instance.SetAttribute':
        if (unit.instance !== undefined && !unit.instance.attributes.has(name)) {
          report(first, 'UNKNOWN_ATTRIBUTE', `attribute ${name} is not defined on instance ${unit.instance.code}`);
        }
        return;
      default:
    }
  };
  const visit = (node: ts.Node): void => {
    if (tsc.isCallExpression(node)) check(node);
    tsc.forEachChild(node, visit);
  };
  visit(sf);
  return problems;
}

function unitsOf(project: ProjectConfig): ScriptUnit[] {
  const file = (rel: string): string => `${SCRIPTS_DIR}/${rel}`;
  return [
    ...Object.values(project.instances).flatMap((inst) => {
      const instance = { code: inst.code, attributes: new Set(Object.keys(inst.attributes)) };
      return Object.values(inst.scripts).map((s) => ({ file: file(s.file), source: s.source, language: s.language, instance }));
    }),
    ...Object.values(project.sharedScripts).map((s) => ({ file: file(s.file), source: s.source, language: s.language })),
    ...Object.values(project.inboundApi.methods).map((m) => ({ file: file(m.script.file), source: m.script.source, language: m.script.language, central: true })),
  ];
}

/** Every problem in every script of the project, each once, in file order. */
export async function checkScripts(project: ProjectConfig): Promise<Problem[]> {
  const units = unitsOf(project);
  if (units.length === 0) return [];
  const tsc = await loadTypeScript();
  const compiler = new ScriptCompiler(16);
  const names = namesOf(project);
  const seen = new Set<string>();
  const problems: Problem[] = [];
  const add = (p: Problem): void => {
    const key = `${p.file}:${p.line}:${p.column}:${p.code}:${p.message}`;
    if (!seen.has(key)) problems.push(p);
    seen.add(key);
  };
  // Many instances may share one file: it is parsed and compiled once.
  const parsed = new Map<string, { readonly syntax: readonly Problem[]; readonly sf: ts.SourceFile }>();
  const check = async (unit: ScriptUnit): Promise<{ readonly syntax: readonly Problem[]; readonly sf: ts.SourceFile }> => {
    const key = `${unit.language}\0${unit.file}`;
    const known = parsed.get(key);
    if (known !== undefined) return known;
    const wrapped = wrapScript(unit.source);
    const syntax = syntaxProblems(tsc, unit, wrapped);
    if (syntax.length === 0 && unit.language === 'js') {
      const early = v8Problem(unit, wrapped);
      if (early !== undefined) syntax.push(early);
    }
    if (syntax.length === 0) {
      // What the isolate would refuse although it parses: a body that closes the function it runs in.
      const compiled = await compiler.compile({ source: unit.source, language: unit.language, filename: unit.file });
      if (compiled.bodyError !== undefined) syntax.push({ file: unit.file, line: 1, column: 1, code: ScriptErrorCode.Compile, message: compiled.bodyError });
    }
    const result = { syntax, sf: parse(tsc, unit, wrapped) };
    parsed.set(key, result);
    return result;
  };
  for (const unit of units) {
    const { syntax, sf } = await check(unit);
    for (const p of [...syntax, ...referenceProblems(tsc, unit, sf, names)]) add(p);
  }
  return problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}
