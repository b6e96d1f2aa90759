// The configuration central deployed to this site (DESIGN §5, §8): kept in the
// site's database so the site starts and runs on it while central is
// unreachable. Each revision is stored as its bundle (the project files with
// `${ENV}` references, no secrets); the few most recent are kept.

import { existsSync } from 'node:fs';
import { bundleOf, type ProjectBundle } from '../../config/index.js';
import { openSiteDatabase } from './database.js';

export interface DeployedConfig {
  readonly revision: number;
  readonly deployedAtUtc: string;
  readonly bundle: ProjectBundle;
}

/** Revisions kept besides the newest, for an operator to look back at. */
const KEEP = 5;

/** The newest deployed configuration in the site database `file`, if any. */
export function readDeployedConfig(file: string): DeployedConfig | undefined {
  // A site that never ran has no database yet; do not create one just to look.
  if (!existsSync(file)) return undefined;
  const db = openSiteDatabase(file);
  try {
    const row = db.prepare('SELECT Revision, DeployedAtUtc, Content FROM deployed_config ORDER BY DeployedAtUtc DESC, Revision DESC LIMIT 1').get() as
      | { Revision: number; DeployedAtUtc: string; Content: string }
      | undefined;
    if (row === undefined) return undefined;
    const files = JSON.parse(row.Content) as Record<string, string>;
    return { revision: row.Revision, deployedAtUtc: row.DeployedAtUtc, bundle: bundleOf(files) };
  } finally {
    db.close();
  }
}

/** Stores a revision as the one the site runs from now on (durably, before the site switches to it). */
export function saveDeployedConfig(file: string, revision: number, bundle: ProjectBundle, now = new Date()): void {
  const db = openSiteDatabase(file);
  try {
    db.transaction(() => {
      db.prepare('INSERT OR REPLACE INTO deployed_config (Revision, DeployedAtUtc, Content) VALUES (?, ?, ?)').run(
        revision,
        now.toISOString(),
        JSON.stringify(bundle.files),
      );
      db.prepare(
        `DELETE FROM deployed_config WHERE Revision NOT IN
           (SELECT Revision FROM deployed_config ORDER BY DeployedAtUtc DESC, Revision DESC LIMIT ?)`,
      ).run(KEEP + 1);
    })();
  } finally {
    db.close();
  }
}
