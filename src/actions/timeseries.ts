import { isSluiceError, parseTime } from '../core/index.js';
import { ActionError } from './action-error.js';
import type { ActionInput, TimeseriesTarget } from './model.js';
import type { ReadingsWriter } from './ports.js';

/**
 * The `timeseries` action: one reading of the target's device at its time,
 * with the numbers among the SELECT output's `fields`.
 *
 * Per field: a finite number is stored; a field that is missing, null or not
 * a number (a numeric string too: AWS IoT SQL's cast() makes one a number)
 * is left out of the reading, as a sensor that did not report it. A message
 * that yields no number at all fails for good (error action, dead letter):
 * storing an empty reading would hide a rule that names the wrong fields.
 * A time that is neither epoch ms nor ISO 8601 fails for good too.
 */
export async function writeReading(target: TimeseriesTarget, input: ActionInput, readings: ReadingsWriter | undefined): Promise<void> {
  if (!readings) throw new ActionError('no readings store is configured for timeseries actions', { retryable: false });
  const output = input.value;
  if (output === null || typeof output !== 'object' || Array.isArray(output)) {
    throw new ActionError(`the rule's output is not a JSON object, so it has no fields ${target.fields.join(', ')} to store`, { retryable: false });
  }
  const values: Record<string, number> = {};
  for (const field of target.fields) {
    const value = (output as Record<string, unknown>)[field];
    if (typeof value === 'number' && Number.isFinite(value)) values[field] = value;
  }
  if (Object.keys(values).length === 0) {
    throw new ActionError(`none of the fields ${target.fields.join(', ')} is a number in the rule's output`, { retryable: false });
  }
  if (target.device === '') throw new ActionError('the device template rendered an empty name', { retryable: false });
  const time = target.time === undefined ? input.timestamp : parseTime(target.time);
  if (time === undefined) {
    throw new ActionError(`time '${target.time ?? ''}' is neither epoch milliseconds nor an ISO 8601 time`, { retryable: false });
  }
  try {
    await readings.write(target.series, { device: target.device, time, values });
  } catch (error) {
    // The series was deleted after the rule was deployed: no retry brings it back.
    if (isSluiceError(error) && error.code === 'SLUICE_ERR_NOT_FOUND') throw new ActionError(error.message, { retryable: false, cause: error });
    throw error;
  }
}
