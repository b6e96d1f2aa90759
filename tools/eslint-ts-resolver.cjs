// eslint-plugin-import resolver for this repo's NodeNext imports: a relative
// `./x.js` specifier names the TypeScript source `./x.ts`. Packages resolve as usual.
const { existsSync } = require('node:fs');
const { isBuiltin } = require('node:module');
const { dirname, resolve } = require('node:path');

exports.interfaceVersion = 2;

exports.resolve = function (source, file) {
  if (isBuiltin(source)) return { found: true, path: null };
  if (!source.startsWith('.')) {
    try {
      const path = require.resolve(source, { paths: [dirname(file)] });
      return { found: true, path: path.startsWith('/') ? path : null };
    } catch {
      // Package entry points that are ESM-only or type-only: not our concern for cycles.
      return { found: true, path: null };
    }
  }
  const target = resolve(dirname(file), source);
  for (const candidate of [target.replace(/\.js$/, '.ts'), target]) {
    if (existsSync(candidate)) return { found: true, path: candidate };
  }
  return { found: false };
};
