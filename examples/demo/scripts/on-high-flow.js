// Alarm on-trigger script: record the excursion in the local historian.
const db = await Database.Connection('Historian');
await db.Execute(
  'CREATE TABLE IF NOT EXISTS excursions (op_id TEXT PRIMARY KEY, pump TEXT, flow REAL, at TEXT)',
  [],
);
const id = await Database.CachedWrite(
  'Historian',
  'INSERT INTO excursions (op_id, pump, flow, at) VALUES (@TrackedOperationId, @pump, @flow, @at) ON CONFLICT DO NOTHING',
  { pump: 'Pump1', flow: Parameters.value, at: new Date().toISOString() },
);
log.warn(`high flow ${Parameters.value}: excursion recorded as ${id}`);
