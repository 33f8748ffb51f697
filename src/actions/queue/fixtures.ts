import type { Clock } from '../../core/index.js';
import type { ActionJob, ActionTarget } from '../model.js';

/** Every byte value, so a lossy encoding (utf8 instead of base64) shows up. */
export const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

/** A job with a binary original payload; `overrides` pick the rule, target and input. */
export function testJob(id: string, overrides: { ruleName?: string; target?: ActionTarget; value?: unknown; payload?: Buffer } = {}): ActionJob {
  const value = 'value' in overrides ? overrides.value : { id, humidity: 22 };
  return {
    id,
    ruleName: overrides.ruleName ?? 'SoilRule',
    actionIndex: 0,
    target: overrides.target ?? { kind: 's3', bucket: 'RuleFilterBucket', key: `${id}.json` },
    input: {
      topic: 'device/soilSensor1/devicePayload',
      clientId: 'soilSensor1',
      timestamp: 1598536072677,
      payload: overrides.payload ?? Buffer.from(JSON.stringify(value ?? null)),
      value,
    },
    // A copy: tests mutate their jobs to prove the queue does not share references.
    originalPayload: Buffer.from(ALL_BYTES),
  };
}

/** A clock the test moves by hand (ms since the epoch). */
export function manualClock(start = 1_700_000_000_000): Clock & { t: number } {
  return {
    t: start,
    now() {
      return this.t;
    },
  };
}
