import { describe, expect, it } from 'vitest';
import type { AlarmConfig } from '../../src/config/index.js';
import { nextAlarmState } from '../../src/site/runtime/alarms.js';

const high: AlarmConfig = { name: 'HighFlow', attribute: 'Flow', kind: 'high', limit: 100, deadband: 5 };
const low: AlarmConfig = { name: 'LowLevel', attribute: 'Level', kind: 'low', limit: 10, deadband: 2 };

function run(alarm: AlarmConfig, values: unknown[]): boolean[] {
  let active = false;
  return values.map((v) => (active = nextAlarmState(alarm, active, v)));
}

describe('limit alarms with deadband', () => {
  it('a high alarm activates above the limit and clears only below limit - deadband', () => {
    expect(run(high, [90, 100, 101, 99, 96, 95, 94, 101])).toEqual([false, false, true, true, true, false, false, true]);
  });

  it('a low alarm activates below the limit and clears only above limit + deadband', () => {
    expect(run(low, [20, 10, 9, 11, 12, 13, 5])).toEqual([false, false, true, true, false, false, true]);
  });

  it('non-numeric values leave the state unchanged', () => {
    expect(run(high, [150, 'x', null, Number.NaN])).toEqual([true, true, true, true]);
  });
});
