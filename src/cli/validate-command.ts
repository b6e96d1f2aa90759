// `scadalink validate --project DIR` (issue 9): every problem of a project,
// one `file:line:col: CODE message` line each, without starting anything.
// Exit status: 0 clean, 1 problems, 2 usage error.
import type { Command } from 'commander';
import { formatProblem, validateProjectDir } from '../validate/index.js';

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('check a project (configuration, every script, names used in scripts) without deploying it; exit 1 on any problem')
    .requiredOption('--project <dir>', 'the project directory')
    .option('--json', 'print {"ok", "problems": [{file, line, column, code, message}]} instead of lines')
    .action(async (opts: { project: string; json?: boolean }) => {
      const problems = await validateProjectDir(opts.project);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ ok: problems.length === 0, problems })}\n`);
      } else {
        for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
        const files = new Set(problems.map((p) => p.file)).size;
        process.stdout.write(problems.length === 0 ? `${opts.project}: no problems\n` : `${problems.length} problem(s) in ${files} file(s)\n`);
      }
      process.exitCode = problems.length === 0 ? 0 : 1;
    });
}
