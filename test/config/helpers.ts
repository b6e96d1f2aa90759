// Writes real project directories for the config tests (STYLE §3).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { ConfigError } from '../../src/commons/index.js';
import { tempDir } from '../support/index.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Creates a project directory holding `scadalink.yaml` and the given `scripts/` files. */
export function writeProject(yaml: string, scripts: Record<string, string> = {}): string {
  const { dir, cleanup } = tempDir('scadalink-config-');
  cleanups.push(cleanup);
  writeFileSync(join(dir, 'scadalink.yaml'), yaml);
  for (const [rel, text] of Object.entries(scripts)) {
    const file = join(dir, 'scripts', rel);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return dir;
}

/** Runs `fn`, expects a ConfigError and returns its issues as `path: message` lines. */
export function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a ConfigError, but loading succeeded');
}
