/**
 * Functions about the message and the rule rather than the payload. What
 * Sluice does not know for a message (no principal for an anonymous client,
 * no trace id) is Undefined, so the key is left out.
 */
import { ARN_ACCOUNT, newId } from '../../../core/index.js';
import { toInt } from './support.js';
import type { FunctionEntries } from './types.js';

export const CONTEXT_FUNCTIONS: FunctionEntries = [
  // The account in Sluice's ARNs (all zeros), so rules that build ARNs from it build Sluice's.
  ['accountid', { minArgs: 0, maxArgs: 0, call: () => ARN_ACCOUNT }],
  ['clientid', { minArgs: 0, maxArgs: 0, call: (_args, { msg }) => msg.clientId }],
  /*
   * MQTT 5 properties. Sluice's broker speaks MQTT 3.1.1, whose messages have
   * none, so there is never a property to return: Undefined, as AWS gives for
   * a property the message does not carry.
   */
  ['get_mqtt_property', { minArgs: 1, maxArgs: 1, call: () => undefined }],
  ['get_user_properties', { minArgs: 1, maxArgs: 1, call: () => undefined }],
  ['newuuid', { minArgs: 0, maxArgs: 0, call: () => newId() }],
  ['principal', { minArgs: 0, maxArgs: 0, call: (_args, { msg }) => msg.principal }],
  ['sourceip', { minArgs: 0, maxArgs: 0, call: (_args, { msg }) => msg.sourceIp }],
  ['sql_version', { minArgs: 0, maxArgs: 0, call: (_args, { sqlVersion }) => sqlVersion }],
  ['timestamp', { minArgs: 0, maxArgs: 0, call: (_args, { msg }) => msg.timestamp }],
  [
    'topic',
    {
      minArgs: 0,
      maxArgs: 1,
      // topic() is the whole topic; topic(n) its n-th level, 1-based.
      call(args, { msg }) {
        if (args.length === 0) return msg.topic;
        const n = toInt(args[0]);
        return n === undefined || n < 1 ? undefined : msg.topic.split('/')[n - 1];
      },
    },
  ],
  ['traceid', { minArgs: 0, maxArgs: 0, call: (_args, { msg }) => msg.traceId }],
];
