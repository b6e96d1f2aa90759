// OpenAPI 3.1 generated from the method definitions (issue 11 point 9),
// validated by a standard validator (@seriousme/openapi-schema-validator).
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { INBOUND_ERRORS, checkParameters, openApiDocument } from '../../../src/central/inbound-api/index.js';
import { parseProject } from '../../../src/config/index.js';
import { everyTypeProject } from './fixture.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const doc = (): Doc => openApiDocument(everyTypeProject().inboundApi.methods, { title: 'Plant API', version: '1.0.0' });

async function validate(document: object): Promise<{ valid: boolean; errors?: unknown }> {
  const validator = new Validator();
  const result = await validator.validate(document as Record<string, unknown>);
  return { valid: result.valid, errors: result.errors };
}

describe('openApiDocument', () => {
  it('is a valid OpenAPI 3.1 document for a project with every type, per the validator', async () => {
    const document = doc();
    expect(await validate(document)).toEqual({ valid: true, errors: undefined });
    expect(document.openapi).toBe('3.1.0');
  });

  it('the validator is not vacuous: a document with a malformed security scheme and response is refused', async () => {
    const broken = doc();
    broken.components.securitySchemes.ApiKey = { type: 'apiKey', in: 'body', name: 'X-API-Key' };
    broken.paths['/api/Ping'].post.responses['200'] = { content: {} };
    expect((await validate(broken)).valid).toBe(false);
  });

  it('is valid for a project with no methods', async () => {
    const empty = openApiDocument(parseProject('sites: {}\n', '/nowhere', {}).inboundApi.methods, { title: 'Empty', version: '0' });
    expect(await validate(empty)).toEqual({ valid: true, errors: undefined });
    expect(empty.paths).toEqual({});
  });

  it('has one POST /api/{method} per method, with the X-API-Key scheme required', () => {
    const document = doc();
    expect(Object.keys(document.paths)).toEqual(['/api/Count', '/api/GetRecipe', '/api/Ping']);
    for (const path of Object.values(document.paths) as Doc[]) expect(Object.keys(path)).toEqual(['post']);
    expect(document.components.securitySchemes.ApiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
    expect(document.security).toEqual([{ ApiKey: [] }]);
  });

  it('the request body schema follows the parameters: types, required, nullable optionals, no other fields', () => {
    const body = doc().paths['/api/GetRecipe'].post.requestBody;
    expect(body.required).toBe(true);
    const schema = body.content['application/json'].schema;
    expect(schema).toMatchObject({ type: 'object', required: ['batch', 'scale'], additionalProperties: false });
    expect(schema.properties.verbose).toEqual({ type: ['boolean', 'null'] });
    expect(schema.properties.scale).toEqual({ type: 'number' });
    const batch = schema.properties.batch;
    expect(batch.properties.id).toEqual({ type: 'string', description: 'Batch code' });
    expect(batch.properties.line).toEqual({ type: ['integer', 'null'], minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER });
    expect(batch.properties.items.items).toMatchObject({ type: 'object', required: ['qty', 'tags'], additionalProperties: false });
    expect(batch.properties.items.items.properties.tags).toEqual({ type: 'array', items: { type: 'string' } });
  });

  it('a method whose parameters are all optional has an optional body', () => {
    expect(doc().paths['/api/Ping'].post.requestBody.required).toBe(false);
  });

  it('the 200 schema follows the return type; no return is null, an optional one is nullable', () => {
    const ok = (name: string) => doc().paths[`/api/${name}`].post.responses['200'].content['application/json'].schema;
    expect(ok('GetRecipe')).toMatchObject({ type: 'object', required: ['name', 'steps'], properties: { note: { type: ['string', 'null'] } } });
    expect(ok('Ping')).toMatchObject({ type: 'null' });
    expect(ok('Count')).toMatchObject({ type: ['integer', 'null'] });
  });

  it('every error status is documented with its codes and the shared {error, code} schema', () => {
    const document = doc();
    const responses = document.paths['/api/GetRecipe'].post.responses as Record<string, Doc>;
    expect(Object.keys(responses).sort()).toEqual(['200', '400', '401', '403', '404', '409', '413', '415', '422', '500', '503', '504']);
    for (const e of INBOUND_ERRORS) {
      const response = responses[String(e.status)]!;
      expect(response.description).toContain(`\`${e.code}\``);
      expect(response.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    }
    const error = document.components.schemas.Error;
    expect(error.required).toEqual(['error', 'code']);
    expect(error.properties.code.enum).toEqual(INBOUND_ERRORS.map((e) => e.code));
    expect(error.properties.details.properties.problems.items.required).toEqual(['path', 'problem']);
  });

  it('a body the checker accepts is valid against the generated schema, and one it refuses is not (same rules)', async () => {
    const { default: Ajv2020 } = await import('ajv/dist/2020.js');
    const ajv = new Ajv2020.default({ strict: false });
    const methods = everyTypeProject().inboundApi.methods;
    const schema = doc().paths['/api/GetRecipe'].post.requestBody.content['application/json'].schema;
    const accepts = ajv.compile(schema);
    const bodies: unknown[] = [
      { batch: { id: 'B', items: [{ qty: 1, tags: [] }] }, scale: 1 },
      { batch: { id: 'B', line: null, items: [] }, scale: 2.5, verbose: null },
      { batch: { id: 'B', items: [{ qty: 1.5, tags: [] }] }, scale: 1 },
      { batch: { id: 'B', items: [] }, scale: '1' },
      { batch: { id: 'B', items: [], extra: 1 }, scale: 1 },
      { batch: { id: 'B', items: [{ qty: 2 ** 53, tags: [] }] }, scale: 1 },
      { batch: { items: [] }, scale: 1 },
    ];
    for (const body of bodies) expect(accepts(body), JSON.stringify(body)).toBe(checkParameters(methods.GetRecipe!, body).length === 0);
  });
});
