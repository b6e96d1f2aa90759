// `scadalink central user add|list|disable|enable|set-password` (issue 12,
// point 1; docs/ui.md): the web UI's users, kept in central's database with
// scrypt-hashed passwords. Like the other admin commands they run against
// central's database (`--data`, or `--database-url`), act on every central
// node at once, and are audited with the operator (--operator, else the OS user).
import type { Command } from 'commander';
import { ScadaLinkError } from '../commons/index.js';
import { ROLES, addUser, generatePassword, isRole, listUsers, setUserDisabled, setUserPassword } from '../central/index.js';
import { type StoreOptions, store, withCentral } from './central-admin-commands.js';
import { operatorName, print } from './output.js';

type Operated = StoreOptions & { operator?: string };

/**
 * The password piped on stdin (its first line), or a generated one when
 * stdin is a terminal or empty. `generated` says whether to print it.
 */
async function passwordFromStdin(): Promise<{ password: string; generated: boolean }> {
  if (process.stdin.isTTY !== true) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
    if (line !== '') return { password: line, generated: false };
  }
  return { password: generatePassword(), generated: true };
}

function announce(generated: boolean, password: string, what: string): void {
  if (generated) {
    process.stdout.write(`${password}\n`);
    process.stderr.write(`${what}; the generated password above is shown only this once\n`);
  } else {
    process.stderr.write(`${what}\n`);
  }
}

export function registerUserCommands(central: Command): void {
  const users = central.command('user').description('users of the web UI (/ui/)');
  store(users.command('add <name>'), { create: true, operator: true })
    .description('adds a UI user; the password is read from stdin (first line), else generated and printed once')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .action(async (name: string, opts: Operated & { role: string }) => {
      const role = opts.role;
      if (!isRole(role)) throw new ScadaLinkError('INVALID_ARGUMENT', `--role takes ${ROLES.join(', ')}, not ${role.slice(0, 100)}`);
      const { password, generated } = await passwordFromStdin();
      await withCentral(opts, (repo) => addUser(repo, operatorName(opts.operator), name, role, password));
      announce(generated, password, `${role} user ${name} added`);
    });
  store(users.command('list'), { json: true })
    .description('lists the UI users: name, role, enabled, created, updated, failed sign-ins (never a password or hash)')
    .action(async (opts: StoreOptions & { json?: boolean }) => {
      const rows = await withCentral(opts, async (repo) =>
        (await listUsers(repo)).map((u) => ({ name: u.name, role: u.role, enabled: !u.disabled, createdAtUtc: u.createdAtUtc, updatedAtUtc: u.updatedAtUtc, failedSignIns: u.failedAttempts })),
      );
      print(rows, opts.json === true, ['name', 'role', 'enabled', 'createdAtUtc', 'updatedAtUtc', 'failedSignIns']);
    });
  for (const action of ['disable', 'enable'] as const) {
    store(users.command(`${action} <name>`), { operator: true })
      .description(action === 'disable' ? 'refuses the user from now on and ends its sessions on every central node' : 'lets a disabled user sign in again')
      .action(async (name: string, opts: Operated) => {
        const changed = await withCentral(opts, (repo) => setUserDisabled(repo, operatorName(opts.operator), name, action === 'disable'));
        process.stdout.write(`user ${name} ${changed ? `${action}d` : `was already ${action}d`}\n`);
      });
  }
  store(users.command('set-password <name>'), { operator: true })
    .description("gives the user a new password (stdin's first line, else generated and printed once), ending its sessions")
    .action(async (name: string, opts: Operated) => {
      const { password, generated } = await passwordFromStdin();
      await withCentral(opts, (repo) => setUserPassword(repo, operatorName(opts.operator), name, password));
      announce(generated, password, `user ${name} has a new password; its sessions ended`);
    });
}
