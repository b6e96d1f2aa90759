// `inboundApi.methods` in scadalink.yaml (issue 11 point 3): shapes, defaults
// and errors naming the path of the bad field.
import { describe, expect, it } from 'vitest';
import { DEFAULT_METHOD_TIMEOUT_MS, MAX_TYPE_DEPTH, loadProject } from '../../src/config/index.js';
import { issuesOf, writeProject } from './helpers.js';

const load = (yaml: string, scripts: Record<string, string> = { 'get.ts': 'return 1;' }) => loadProject(writeProject(yaml, scripts), {});
const methods = (body: string) => `inboundApi:\n  methods:\n${body}`;

describe('inboundApi.methods: valid definitions', () => {
  it('loads every type, with required defaulting to true, the default timeout and the script text', () => {
    const project = load(methods(`
    GetRecipe:
      description: A recipe by batch
      parameters:
        batch:
          type: Object
          fields:
            id: { type: String }
            items: { type: List, items: { type: Object, fields: { qty: { type: Integer }, weight: { type: Float, required: false } } } }
        verbose: { type: Boolean, required: false }
      returns: { type: List, items: { type: String } }
      apiKeys: [mes, erp]
      script: get.ts
`));
    const m = project.inboundApi.methods.GetRecipe!;
    expect(m.timeoutMs).toBe(DEFAULT_METHOD_TIMEOUT_MS);
    expect(m.apiKeys).toEqual(['mes', 'erp']);
    expect(m.script).toMatchObject({ file: 'get.ts', language: 'ts', source: 'return 1;', timeoutMs: DEFAULT_METHOD_TIMEOUT_MS, memoryMb: 64 });
    expect(m.parameters.verbose).toEqual({ type: 'Boolean', required: false });
    expect(m.parameters.batch!.fields!.items!.items!.fields!.weight).toEqual({ type: 'Float', required: false });
    expect(m.parameters.batch!.fields!.items!.items!.required).toBe(true);
    expect(m.returns).toEqual({ type: 'List', required: true, items: { type: 'String', required: true } });
  });

  it('an absent or null returns means no value; the script may be a mapping with language and memory; timeout takes a duration', () => {
    const project = load(methods(`
    Ping: { script: { file: ping.txt, language: js, memoryMb: 32 }, timeout: 2m }
    Pong: { script: get.ts, returns: null }
`), { 'ping.txt': 'return;', 'get.ts': '' });
    expect(project.inboundApi.methods.Ping).toMatchObject({ returns: null, parameters: {}, apiKeys: [], timeoutMs: 120_000, script: { language: 'js', memoryMb: 32 } });
    expect(project.inboundApi.methods.Pong!.returns).toBeNull();
  });

  it('type names are accepted in any letter case and given their canonical spelling', () => {
    const project = load(methods(`
    M: { script: get.ts, parameters: { n: { type: integer } } }
`));
    expect(project.inboundApi.methods.M!.parameters.n!.type).toBe('Integer');
  });

  it('a project without inboundApi has no methods', () => {
    expect(load('sites: {}\n').inboundApi).toEqual({ databases: {}, methods: {} });
  });
});

describe('inboundApi.methods: errors name the path of the bad field', () => {
  it('reports a bad type, a missing script and unknown keys at their paths', () => {
    expect(issuesOf(() => load(methods(`
    GetRecipe:
      parameters:
        batch: { type: Objekt }
        n: { type: Integer, requird: true }
      returns: { type: Strng }
      bogus: 1
`)))).toEqual([
      'inboundApi.methods.GetRecipe.parameters.batch.type: must be one of Boolean, Integer, Float, String, Object, List',
      'inboundApi.methods.GetRecipe.parameters.n.requird: unknown key',
      'inboundApi.methods.GetRecipe.returns.type: must be one of Boolean, Integer, Float, String, Object, List',
      'inboundApi.methods.GetRecipe.script: required',
      'inboundApi.methods.GetRecipe.bogus: unknown key',
    ]);
  });

  it('requires fields on an Object and items on a List, and refuses them elsewhere, at any depth', () => {
    expect(issuesOf(() => load(methods(`
    M:
      script: get.ts
      parameters:
        a: { type: Object }
        b: { type: List }
        c: { type: String, fields: {} }
        d: { type: List, items: { type: Object, fields: { e: { type: Integer, items: { type: String } } } } }
`)))).toEqual([
      'inboundApi.methods.M.parameters.a.fields: required for type Object',
      'inboundApi.methods.M.parameters.b.items: required for type List',
      'inboundApi.methods.M.parameters.c.fields: only for type Object, not String',
      'inboundApi.methods.M.parameters.d.items.fields.e.items: only for type List, not Integer',
    ]);
  });

  it('refuses a method name that is not a URL-safe identifier, and a parameter name likewise', () => {
    expect(issuesOf(() => load(methods(`
    "get recipe": { script: get.ts }
    "x/y": { script: get.ts }
    ok: { script: get.ts, parameters: { "a.b": { type: String } } }
`)))).toEqual([
      'inboundApi.methods.get recipe: invalid name: use letters, digits, _ and -, starting with a letter',
      'inboundApi.methods.x/y: invalid name: use letters, digits, _ and -, starting with a letter',
      'inboundApi.methods.ok.parameters.a.b: invalid name: use letters, digits, _ and -, starting with a letter',
    ]);
  });

  it('refuses a method name over 64 characters', () => {
    const name = `M${'x'.repeat(64)}`;
    expect(issuesOf(() => load(methods(`    ${name}: { script: get.ts }\n`)))).toEqual([`inboundApi.methods.${name}: method name too long: at most 64 characters`]);
  });

  it('checks the timeout: a duration, above zero, at most 5 minutes', () => {
    expect(issuesOf(() => load(methods(`
    A: { script: get.ts, timeout: soon }
    B: { script: get.ts, timeout: 0 }
    C: { script: get.ts, timeout: 6m }
`)))).toEqual([
      'inboundApi.methods.A.timeout: invalid duration: use e.g. 250ms, 5s, 2m, 1h or milliseconds',
      'inboundApi.methods.B.timeout: must be greater than 0',
      'inboundApi.methods.C.timeout: must be at most 5m',
    ]);
  });

  it('checks apiKeys: a list of key names as apikey create takes them, none listed twice', () => {
    expect(issuesOf(() => load(methods(`
    A: { script: get.ts, apiKeys: mes }
    B: { script: get.ts, apiKeys: [mes, erp.prod, mes] }
    C: { script: get.ts, apiKeys: [".hidden", "a b"] }
`)))).toEqual([
      'inboundApi.methods.A.apiKeys: expected list, got string',
      'inboundApi.methods.B.apiKeys[2]: listed twice',
      'inboundApi.methods.C.apiKeys[0]: invalid API key name: 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit',
      'inboundApi.methods.C.apiKeys[1]: invalid API key name: 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit',
    ]);
  });

  it('names a missing script file, a path outside scripts/ and an unknown language at script.file', () => {
    expect(issuesOf(() => load(methods(`
    A: { script: nope.ts }
    B: { script: ../etc/passwd.js }
    C: { script: get.py }
`), { 'get.py': '' }))).toEqual([
      'inboundApi.methods.A.script.file: file not found: scripts/nope.ts',
      'inboundApi.methods.B.script.file: must be a path inside scripts/',
      'inboundApi.methods.C.script.file: cannot tell the language from the extension: use .js or .ts, or set language',
    ]);
  });

  it('refuses required on a list item, where it means nothing', () => {
    expect(issuesOf(() => load(methods(`
    A: { script: get.ts, parameters: { l: { type: List, items: { type: String, required: false } } } }
`)))).toEqual(['inboundApi.methods.A.parameters.l.items.required: not used for list items: an item is never absent']);
  });

  it(`refuses type definitions nested deeper than ${MAX_TYPE_DEPTH} levels`, () => {
    let def = '{ type: String }';
    for (let i = 0; i < MAX_TYPE_DEPTH; i++) def = `{ type: List, items: ${def} }`;
    const issues = issuesOf(() => load(methods(`    A: { script: get.ts, parameters: { p: ${def} } }\n`)));
    expect(issues).toEqual([`inboundApi.methods.A.parameters.p${'.items'.repeat(MAX_TYPE_DEPTH)}: nested too deep: Objects and Lists nest at most ${MAX_TYPE_DEPTH} levels`]);
  });
});
