// Project bundles: what central deploys to its sites (central issue, point 10).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_BUNDLE_BYTES, bundleOf, checkProjectForSites, parseProjectBundle, readProjectBundle } from '../../src/config/index.js';
import { tempDir } from '../support/index.js';
import { writeProject } from '../support/project.js';

describe('project bundles', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  const project = (baseUrl: string): string =>
    writeProject(
      join(tmp.dir, 'p'),
      {
        sites: { plant1: {} },
        instances: { Pump1: { site: 'plant1', scripts: { hello: { file: 'lib/hello.js', triggers: ['call'] } } } },
        externalSystems: { ERP: { baseUrl, methods: { post: { verb: 'POST', path: '/orders' } } } },
      },
      { 'lib/hello.js': `return 'hi';` },
    );

  it('holds scadalink.yaml and every file under scripts/, with a digest that changes with any of them', () => {
    const dir = project('http://127.0.0.1:9/api');
    const a = readProjectBundle(dir);
    expect(Object.keys(a.files)).toEqual(['scadalink.yaml', 'scripts/lib/hello.js']);
    expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(readProjectBundle(dir).sha256).toBe(a.sha256);
    writeFileSync(join(dir, 'scripts', 'lib', 'hello.js'), `return 'hello';`);
    expect(readProjectBundle(dir).sha256).not.toBe(a.sha256);
    // Paths and contents cannot be shifted into one another.
    expect(bundleOf({ ab: 'c' }).sha256).not.toBe(bundleOf({ a: 'bc' }).sha256);
  });

  it('loads at the site from the bundle alone, resolving ${ENV} from the site environment', () => {
    const bundle = readProjectBundle(project('${ERP_URL}'));
    tmp.cleanup();
    const p = parseProjectBundle(bundle, tmp.dir, { ERP_URL: 'http://127.0.0.1:9090/api' });
    expect(p.externalSystems.ERP?.baseUrl).toBe('http://127.0.0.1:9090/api');
    expect(p.instances.Pump1?.scripts.hello?.source).toBe(`return 'hi';`);
    expect(() => parseProjectBundle(bundle, tmp.dir, {})).toThrow(/externalSystems\.ERP\.baseUrl: environment variable ERP_URL is not set/);
  });

  it('central accepts references it cannot resolve but refuses every other error, naming the path', () => {
    const check = (baseUrl: string): void => {
      const dir = project(baseUrl);
      checkProjectForSites(readProjectBundle(dir), dir, {});
    };
    expect(() => check('${ERP_URL}')).not.toThrow();
    expect(() => check('not a url')).toThrow(/externalSystems\.ERP\.baseUrl/);
  });

  it('refuses a project larger than one deployment can carry', () => {
    const dir = project('http://127.0.0.1:9/api');
    writeFileSync(join(dir, 'scripts', 'big.js'), 'x'.repeat(MAX_BUNDLE_BYTES));
    expect(() => readProjectBundle(dir)).toThrow(/at most 8388608 can be deployed/);
  });
});
