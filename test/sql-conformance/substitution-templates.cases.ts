import type { ConformanceCase } from './cases.js';

/*
 * iot-substitution-templates.md. The template `${topic()}/republish` belongs to
 * the republish action (compileTemplate), not to the rule SQL; the second case
 * evaluates the same expression in SELECT.
 */

const PAGE = 'iot-substitution-templates.md#iot-substitution-templates';

const DEVICE = {
  deviceid: 'iot123',
  temp: 54.98,
  humidity: 32.43,
  coords: { latitude: 47.615694, longitude: -122.3359976 },
};

export const SUBSTITUTION_TEMPLATES_CASES: ConformanceCase[] = [
  {
    source: PAGE,
    sql: "SELECT *, timestamp() AS timestamp FROM 'my/iot/topic'",
    topic: 'my/iot/topic',
    payload: DEVICE,
    timestamp: 1579637878451,
    expect: { output: { ...DEVICE, timestamp: 1579637878451 } },
  },
  {
    source: `${PAGE} (derived: the template expression \${topic()}/republish, evaluated in SELECT)`,
    sql: "SELECT VALUE concat(topic(), '/republish') FROM 'my/iot/topic'",
    topic: 'my/iot/topic',
    payload: DEVICE,
    expect: { output: 'my/iot/topic/republish' },
  },
];
