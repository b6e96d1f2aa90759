// Keeps README.md and docs/ honest about the CLI and the error codes: every
// `scadalink …` command they show names real commands and options, every
// error code they document exists in the code, and the store commands the
// README walks a user through run as documented against a scratch store.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/index.js';
import { packageRoot } from '../../src/commons/index.js';
import { SITE_DB_FILE, SiteStore } from '../../src/site/index.js';
import { runCli } from '../support/process.js';
import { tempDir } from '../support/index.js';

const root = packageRoot();
const docFiles = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
const docs = docFiles.map((file) => ({ file, text: readFileSync(join(root, file), 'utf8') }));

/** Every source file's text, once. */
function sourceText(): string {
  const texts: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') || entry.name.endsWith('.js')) texts.push(readFileSync(path, 'utf8'));
    }
  };
  walk(join(root, 'src'));
  walk(join(root, 'examples'));
  return texts.join('\n');
}

/**
 * The `scadalink …` command lines a document shows: in shell blocks and in
 * inline code. Alternatives (`list|revoke`) and optional parts (`[--json]`)
 * are expanded into the words they name.
 */
function documentedCommands(text: string): string[] {
  const lines: string[] = [];
  for (const block of text.matchAll(/```(?:sh|bash|shell|console)?\n([\s\S]*?)```/g)) {
    for (const raw of block[1]!.split('\n')) {
      const m = /(?:^|\s|\$ )(?:npx )?scadalink(\s+[^#|&;>]*)/.exec(raw.replace(/\\$/, ''));
      if (m) lines.push(m[1]!.trim());
    }
  }
  for (const inline of text.matchAll(/`(?:npx )?scadalink ([^`]+)`/g)) lines.push(inline[1]!.trim());
  return lines;
}

function defaultSubcommand(cmd: Command): Command | undefined {
  const name = (cmd as unknown as { _defaultCommandName?: string })._defaultCommandName;
  return name ? cmd.commands.find((c) => c.name() === name) : undefined;
}

/** What is wrong with one documented command line, or undefined. */
function checkCommand(program: Command, line: string): string | undefined {
  const words = line.replace(/[[\]]/g, ' ').split(/\s+/).filter(Boolean);
  let cmd = program;
  let descending = true;
  for (const word of words) {
    if (word.startsWith('--')) {
      const flag = word.split('=')[0]!;
      if (flag === '--help' || flag === '--version') continue;
      const owner = [cmd, defaultSubcommand(cmd)].find((c) => c?.options.some((o) => o.long === flag));
      if (!owner) return `${line}: ${cmd.name()} has no option ${flag}`;
      continue;
    }
    if (!descending || /^[<$A-Z0-9.'"/~]/.test(word) || word.includes('=')) {
      descending = false;
      continue;
    }
    const names = word.split('|');
    const subs = names.map((n) => cmd.commands.find((c) => c.name() === n || c.aliases().includes(n)));
    if (subs.every((s) => s === undefined)) {
      if (cmd.commands.length > 0 && cmd === program) return `${line}: no command ${word}`;
      if (cmd.commands.length > 0 && cmd.registeredArguments.length === 0 && !defaultSubcommand(cmd)) return `${line}: ${cmd.name()} has no subcommand ${word}`;
      descending = false;
      continue;
    }
    const missing = names.filter((_, i) => subs[i] === undefined);
    if (missing.length > 0) return `${line}: ${cmd.name()} has no subcommand ${missing.join(', ')}`;
    cmd = subs[0]!;
  }
  return undefined;
}

describe('documentation honesty', () => {
  it('every scadalink command the README and docs show names real commands and options', () => {
    const program = buildProgram();
    const problems: string[] = [];
    let count = 0;
    for (const { file, text } of docs) {
      for (const line of documentedCommands(text)) {
        count++;
        const problem = checkCommand(program, line);
        if (problem) problems.push(`${file}: ${problem}`);
      }
    }
    expect(count).toBeGreaterThan(20);
    expect(problems).toEqual([]);
  });

  it('every error code the README and docs name exists in the code', () => {
    const source = sourceText();
    const problems: string[] = [];
    for (const { file, text } of docs) {
      for (const m of text.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`/g)) {
        const code = m[1]!;
        if (!new RegExp(`\\b${code}\\b`).test(source)) problems.push(`${file}: ${code}`);
      }
    }
    expect([...new Set(problems)]).toEqual([]);
  });

  describe('the README walk-through of the store commands, against a scratch store', () => {
    const { dir, cleanup } = tempDir('scadalink-docs-');
    afterAll(cleanup);
    new SiteStore(join(dir, SITE_DB_FILE), 'docs-test').close();

    it('parked list on an empty store prints (none) and exits 0', () => {
      const r = runCli(['site', 'parked', 'list', '--data', dir]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('(none)\n');
      expect(r.status).toBe(0);
    });

    it('status of an unknown id exits 1 with OPERATION_NOT_FOUND, as docs/site.md says', () => {
      const r = runCli(['site', 'status', '01a20405-008e-7000-9029-cfe139a2c013', '--data', dir]);
      expect(r.stderr).toContain('OPERATION_NOT_FOUND');
      expect(r.status).toBe(1);
    });

    it('a --data without a store exits 1 with NO_SITE_STORE, as docs/site.md says', () => {
      const r = runCli(['site', 'events', '--data', join(dir, 'typo')]);
      expect(r.stderr).toContain('NO_SITE_STORE');
      expect(r.status).toBe(1);
    });
  });
});
