// Writes real project directories (scadalink.yaml + scripts/) for tests.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';

export function writeProject(dir: string, project: object, scripts: Readonly<Record<string, string>>): string {
  mkdirSync(join(dir, 'scripts'), { recursive: true });
  writeFileSync(join(dir, 'scadalink.yaml'), stringify(project));
  for (const [file, text] of Object.entries(scripts)) {
    const path = join(dir, 'scripts', file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  return dir;
}
