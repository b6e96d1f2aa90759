import type { AlarmConfig } from '../../config/index.js';

/**
 * A limit alarm with deadband. `high` becomes active when the value rises
 * above the limit and clears only when it falls to `limit - deadband` or
 * below; `low` mirrors it. The deadband keeps a value that hovers around the
 * limit from re-triggering the alarm's scripts on every sample.
 */
export function nextAlarmState(alarm: AlarmConfig, active: boolean, value: unknown): boolean {
  if (typeof value !== 'number' || Number.isNaN(value)) return active;
  if (alarm.kind === 'high') {
    if (!active) return value > alarm.limit;
    return value > alarm.limit - alarm.deadband;
  }
  if (!active) return value < alarm.limit;
  return value < alarm.limit + alarm.deadband;
}
