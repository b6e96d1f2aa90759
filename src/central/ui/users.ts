// UI users (issue 12, point 1; docs/ui.md): the one implementation behind
// `scadalink central user …` and the UI, each change audited in
// OperatorActions with the operator's name. Passwords are kept only as scrypt
// hashes (commons/secrets.ts: per-user salt, parameters in the hash string,
// compared with timingSafeEqual).
import { randomBytes } from 'node:crypto';
import { ScadaLinkError, hashSecret } from '../../commons/index.js';
import type { CentralRepository, OperatorRole, UiUserSummary } from '../db/index.js';
import { audited } from '../lifecycle.js';

/** User names: 1-64 letters, digits, dots, dashes, underscores or @. */
export const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
export const MIN_PASSWORD = 12;
export const MAX_PASSWORD = 1024;

export function checkUserName(name: string): string {
  if (!USER_NAME.test(name)) throw new ScadaLinkError('INVALID_ARGUMENT', 'a user name is 1-64 letters, digits, dots, dashes, underscores or @');
  return name;
}

/** The password as given, or INVALID_PASSWORD (the password itself is never in the message). */
export function checkPassword(password: string): string {
  if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
    throw new ScadaLinkError('INVALID_PASSWORD', `a password has ${MIN_PASSWORD} to ${MAX_PASSWORD} characters (this one has ${password.length})`);
  }
  return password;
}

/** 144 random bits, 24 URL-safe characters. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

const userNotFound = (name: string): ScadaLinkError =>
  new ScadaLinkError('USER_NOT_FOUND', `no UI user ${name.slice(0, 64)}`, { details: { user: name.slice(0, 64) } });

/** Creates a user (audited); USER_EXISTS when the name is taken. */
export async function addUser(repo: CentralRepository, operator: string, name: string, role: OperatorRole, password: string): Promise<void> {
  checkUserName(name);
  const passwordHash = await hashSecret(checkPassword(password));
  if (!(await repo.ui.putUser({ name, role, passwordHash }))) {
    throw new ScadaLinkError('USER_EXISTS', `a UI user ${name} exists already (set-password gives it a new password)`);
  }
  await audited(repo, operator, 'user.add', name, `${role} user`);
}

/** Disables (ending its sessions) or enables the user; audited when it changed. Returns whether it changed. */
export async function setUserDisabled(repo: CentralRepository, operator: string, name: string, disabled: boolean): Promise<boolean> {
  const before = await repo.ui.user(checkUserName(name));
  if (before === undefined) throw userNotFound(name);
  if (before.disabled === disabled) return false;
  await repo.ui.setUserDisabled(name, disabled);
  await audited(repo, operator, disabled ? 'user.disable' : 'user.enable', name);
  return true;
}

/** Gives the user a new password, clears its failed sign-ins and ends its sessions (audited). */
export async function setUserPassword(repo: CentralRepository, operator: string, name: string, password: string): Promise<void> {
  checkUserName(name);
  const passwordHash = await hashSecret(checkPassword(password));
  if (!(await repo.ui.setUserPassword(name, passwordHash))) throw userNotFound(name);
  await audited(repo, operator, 'user.set-password', name);
}

/** Every user as `user list` shows it: never a hash. */
export async function listUsers(repo: CentralRepository): Promise<UiUserSummary[]> {
  return repo.ui.users();
}
