import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMessage } from '../rules/index.js';
import { RuleSet } from './rule-set.js';

const message = (topic: string) => decodeMessage({ topic, payload: Buffer.from('{"humidity":20}'), clientId: 'c', timestamp: 0 });

test('the operator switch wins over the definition: a disabled rule matches nothing, on its topic or by Basic Ingest', () => {
  const rules = new RuleSet();
  rules.put({ name: 'R', sql: "SELECT * FROM 'device/+/data'", enabled: true, actions: [{ kind: 'republish', topic: 'out', qos: 0 }] });
  rules.put({ name: 'Off', sql: "SELECT * FROM 'device/+/data'", enabled: false, actions: [{ kind: 'republish', topic: 'out', qos: 0 }] });
  assert.deepEqual(rules.route(message('device/a/data'), 'm1').matchedRules, ['R']);

  rules.setEnabled('R', false);
  rules.setEnabled('Off', true);
  assert.deepEqual(rules.route(message('device/a/data'), 'm2').matchedRules, ['Off']);
  assert.deepEqual(rules.route(message('$aws/rules/R/device/a/data'), 'm3').matchedRules, []);
  assert.deepEqual(rules.list().map((r) => [r.name, r.enabled]), [['Off', true], ['R', false]]);

  // A redeploy of the rule keeps the switch; removing the switch returns to the definition.
  rules.put({ name: 'R', sql: "SELECT * FROM 'device/+/data'", enabled: true, actions: [{ kind: 'republish', topic: 'out2', qos: 0 }] });
  assert.equal(rules.isEnabled('R'), false);
  rules.setEnabled('R', undefined);
  assert.equal(rules.isEnabled('R'), true);
  assert.equal(rules.isEnabled('unknown'), false);
});
