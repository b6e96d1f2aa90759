import type Database from 'better-sqlite3';
import { ScadaLinkError, ownValue } from '../../commons/index.js';
import type { AttributeConfig, AttributeValue, InstanceConfig } from '../../config/index.js';
import { nextAlarmState } from './alarms.js';

export interface AttributeChange {
  readonly attribute: string;
  readonly value: AttributeValue;
  readonly previous: AttributeValue;
  /** Alarms on this attribute that became active with this change. */
  readonly raised: readonly string[];
  /** Alarms on this attribute that cleared with this change. */
  readonly cleared: readonly string[];
}

function checkValue(instance: string, attr: AttributeConfig, value: unknown): AttributeValue {
  if (value === null) return null;
  if (typeof value === attr.type && (attr.type !== 'number' || Number.isFinite(value))) return value as AttributeValue;
  throw new ScadaLinkError(
    'INVALID_ATTRIBUTE_VALUE',
    `${instance}.${attr.name} takes a ${attr.type}, not ${JSON.stringify(value) ?? typeof value}`,
  );
}

/**
 * The live attribute values and alarm states of one instance. Values persist
 * in the site store so a restart resumes from the last value, not the
 * configured initial one.
 */
export class InstanceState {
  private readonly values = new Map<string, AttributeValue>();
  private readonly alarmActive = new Map<string, boolean>();
  private readonly save: Database.Statement;

  constructor(
    readonly config: InstanceConfig,
    db: Database.Database,
  ) {
    this.save = db.prepare(`INSERT INTO attribute_values (Instance, Attribute, Value, UpdatedAtUtc) VALUES (?, ?, ?, ?)
      ON CONFLICT (Instance, Attribute) DO UPDATE SET Value = excluded.Value, UpdatedAtUtc = excluded.UpdatedAtUtc`);
    const stored = db
      .prepare<[string], { Attribute: string; Value: string }>('SELECT Attribute, Value FROM attribute_values WHERE Instance = ?')
      .all(config.code);
    const persisted = new Map(stored.map((r) => [r.Attribute, JSON.parse(r.Value) as unknown]));
    for (const attr of Object.values(config.attributes)) {
      let value = attr.initial;
      if (persisted.has(attr.name)) {
        try {
          value = checkValue(config.code, attr, persisted.get(attr.name));
        } catch {
          // The attribute's type changed since the value was stored: start from the initial value.
        }
      }
      this.values.set(attr.name, value);
    }
    for (const alarm of Object.values(config.alarms)) {
      this.alarmActive.set(alarm.name, nextAlarmState(alarm, false, this.values.get(alarm.attribute)));
    }
  }

  get(name: string): AttributeValue {
    if (!this.values.has(name)) throw this.unknown(name);
    return this.values.get(name)!;
  }

  all(): Record<string, AttributeValue> {
    return Object.fromEntries(this.values);
  }

  isAlarmActive(name: string): boolean {
    return this.alarmActive.get(name) ?? false;
  }

  /**
   * Validates and applies a value inside the caller's transaction; returns the
   * change (with any alarms raised), or undefined when the value is the same.
   */
  set(name: string, value: unknown, nowIso: string): AttributeChange | undefined {
    const attr = ownValue(this.config.attributes, name);
    if (!attr) throw this.unknown(name);
    const next = checkValue(this.config.code, attr, value);
    const previous = this.values.get(name) ?? null;
    if (Object.is(previous, next)) return undefined;
    this.save.run(this.config.code, name, JSON.stringify(next), nowIso);
    this.values.set(name, next);
    const raised: string[] = [];
    const cleared: string[] = [];
    for (const alarm of Object.values(this.config.alarms)) {
      if (alarm.attribute !== name) continue;
      const was = this.alarmActive.get(alarm.name) ?? false;
      const now = nextAlarmState(alarm, was, next);
      this.alarmActive.set(alarm.name, now);
      if (now && !was) raised.push(alarm.name);
      if (was && !now) cleared.push(alarm.name);
    }
    return { attribute: name, value: next, previous, raised, cleared };
  }

  /**
   * Sets several values as one change (Route.To SetAttributes, issue 11
   * point 5), inside the caller's transaction: every value is checked before
   * any is applied, so an unknown attribute or a bad value changes nothing;
   * a write that fails part-way restores the values and alarm states held in
   * memory, so they stay those of the rolled-back store.
   */
  setMany(values: Readonly<Record<string, unknown>>, nowIso: string): AttributeChange[] {
    const checked = Object.entries(values).map(([name, value]) => {
      const attr = ownValue(this.config.attributes, name);
      if (!attr) throw this.unknown(name);
      return [name, checkValue(this.config.code, attr, value)] as const;
    });
    const values0 = new Map(this.values);
    const alarms0 = new Map(this.alarmActive);
    try {
      return checked.flatMap(([name, value]) => this.set(name, value, nowIso) ?? []);
    } catch (err) {
      restore(this.values, values0);
      restore(this.alarmActive, alarms0);
      throw err;
    }
  }

  private unknown(name: string): ScadaLinkError {
    return new ScadaLinkError('UNKNOWN_ATTRIBUTE', `instance ${this.config.code} has no attribute ${name}`);
  }
}

function restore<K, V>(target: Map<K, V>, from: ReadonlyMap<K, V>): void {
  target.clear();
  for (const [k, v] of from) target.set(k, v);
}
