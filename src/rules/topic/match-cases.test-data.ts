/** Test table shared by the filter and index tests, so the trie and the reference matcher agree. */
// [filter, topic, matches]
export const MATCH_CASES: Array<[string, string, boolean]> = [
  ['device/+/devicePayload', 'device/soilSensor1/devicePayload', true],
  ['device/+/devicePayload', 'device/soilSensor1/other', false],
  ['device/+/devicePayload', 'device/a/b/devicePayload', false],
  ['device/+', 'device/', true], // '+' matches an empty level
  ['device/+', 'device', false],
  ['a/b', 'a/b', true],
  ['a/b', 'a/B', false], // topics are case-sensitive
  ['a/b', 'a/b/', false],
  ['#', 'a/b/c', true],
  ['#', '/', true],
  ['a/#', 'a', true], // [MQTT-4.7.1-2] '#' includes the parent level
  ['a/#', 'a/b/c', true],
  ['a/#', 'ab', false],
  ['+/+', '/finance', true],
  ['/+', '/finance', true],
  ['+', '/finance', false],
  ['+/b/#', 'x/b', true],
  // [MQTT-4.7.2-1] leading wildcards do not match '$' topics.
  ['#', '$SYS/broker/uptime', false],
  ['+/broker/uptime', '$SYS/broker/uptime', false],
  ['$SYS/#', '$SYS/broker/uptime', true],
  ['$SYS/+/uptime', '$SYS/broker/uptime', true],
  ['a/#', 'a/$b', true],
  ['a/#/b', 'a/x/b', false], // invalid filter matches nothing
];
