// The triggers of a site's instances (DESIGN §7): interval tickers, and
// attribute-change and alarm scripts fired by a change. Each script of each
// instance has its own queue (triggers.ts), so one script's backlog never
// delays another's.
import type { InstanceConfig, ScriptConfig } from '../../config/index.js';
import type { JsonObject } from '../../scripts/index.js';
import type { AttributeChange } from './attributes.js';
import { type Ticker, TriggerQueue, startTicker } from './triggers.js';

interface Triggered {
  readonly script: ScriptConfig;
  readonly params: JsonObject;
  readonly trigger: string;
}

export interface InstanceTriggersOptions {
  /** Runs one triggered script (its failure is the runner's to log). */
  readonly run: (instance: string, script: ScriptConfig, params: JsonObject, trigger: string) => Promise<unknown>;
  /** A script's queue was full: the run named `trigger` did not start. */
  readonly queueFull: (instance: string, script: string, trigger: string) => void;
  readonly stopping: () => boolean;
}

export class InstanceTriggers {
  readonly #queues = new Map<string, TriggerQueue<Triggered>>();
  readonly #tickers: Ticker[] = [];

  constructor(private readonly o: InstanceTriggersOptions) {}

  /** Starts the interval triggers of the instances' scripts. */
  startIntervals(instances: readonly InstanceConfig[]): void {
    for (const inst of instances) {
      for (const script of Object.values(inst.scripts)) {
        for (const trigger of script.triggers) {
          if (trigger.type !== 'interval') continue;
          // One tick may wait while the previous run still runs (or waits for a
          // sandbox behind other instances' runs), so a run that ends late
          // loses no tick; a second one is skipped, so ticks never pile up.
          this.#tickers.push(
            startTicker(trigger.everyMs, () => {
              const q = this.#queue(inst, script);
              if (!q.waiting((item) => item.trigger === 'interval')) q.push({ script, params: {}, trigger: 'interval' });
            }),
          );
        }
      }
    }
  }

  /** Queues the attribute-change and alarm scripts a change fires. */
  fire(inst: InstanceConfig, change: AttributeChange): void {
    if (this.o.stopping()) return;
    for (const script of Object.values(inst.scripts)) {
      for (const t of script.triggers) {
        if (t.type === 'attributeChange' && t.attribute === change.attribute) {
          const params = { attribute: change.attribute, value: change.value, previous: change.previous };
          this.#queue(inst, script).push({ script, params, trigger: 'attributeChange' });
        } else if (t.type === 'alarm' && change.raised.includes(t.alarm)) {
          const params = { alarm: t.alarm, attribute: change.attribute, value: change.value };
          this.#queue(inst, script).push({ script, params, trigger: 'alarm' });
        }
      }
    }
  }

  /** Stops the interval tickers. */
  stop(): void {
    for (const t of this.#tickers) t.stop();
  }

  #queue(inst: InstanceConfig, script: ScriptConfig): TriggerQueue<Triggered> {
    const key = `${inst.code}\u0000${script.name}`;
    let q = this.#queues.get(key);
    if (!q) {
      q = new TriggerQueue<Triggered>(
        async (item) => {
          await this.o.run(inst.code, item.script, item.params, item.trigger).catch(() => undefined);
        },
        (item) => this.o.queueFull(inst.code, script.name, item.trigger),
      );
      this.#queues.set(key, q);
    }
    return q;
  }
}
