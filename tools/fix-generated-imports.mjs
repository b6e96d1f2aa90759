// proto-loader-gen-types writes relative imports without an extension; under
// NodeNext module resolution (and at run time in ESM) they need `.js`.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.ts')) {
      const text = readFileSync(path, 'utf8');
      const fixed = text.replace(/from '(\.{1,2}\/[^']+?)(?<!\.js)'/g, "from '$1.js'");
      if (fixed !== text) writeFileSync(path, fixed);
    }
  }
}

walk(process.argv[2] ?? 'src/transport/generated');
