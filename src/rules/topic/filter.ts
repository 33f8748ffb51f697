/**
 * MQTT 3.1.1 topic filters (section 4.7). Used for a rule's FROM clause and by
 * the topic index.
 */

/** [MQTT-1.5.3] strings are at most 65535 bytes of UTF-8. */
const MAX_TOPIC_BYTES = 65_535;

/** Returns undefined if `filter` is a valid topic filter, else the reason it is not. */
export function validateTopicFilter(filter: string): string | undefined {
  // [MQTT-4.7.3-1] topic names and filters are at least one character long.
  if (filter.length === 0) return 'topic filter is empty';
  // [MQTT-4.7.3-2] no null character.
  if (filter.includes('\u0000')) return 'topic filter contains a null character';
  if (Buffer.byteLength(filter, 'utf8') > MAX_TOPIC_BYTES) return `topic filter is longer than ${MAX_TOPIC_BYTES} bytes`;
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] ?? '';
    if (level.includes('#')) {
      // [MQTT-4.7.1-2] '#' stands alone in its level and is the last character of the filter.
      if (level !== '#') return `'#' must occupy a whole level (level ${i + 1} is '${level}')`;
      if (i !== levels.length - 1) return "'#' must be the last level of the topic filter";
    }
    // [MQTT-4.7.1-3] '+' occupies an entire level.
    if (level.includes('+') && level !== '+') return `'+' must occupy a whole level (level ${i + 1} is '${level}')`;
  }
  return undefined;
}

/** Returns undefined if `topic` is a valid topic name to publish to, else the reason. */
export function validateTopicName(topic: string): string | undefined {
  if (topic.length === 0) return 'topic is empty';
  if (topic.includes('\u0000')) return 'topic contains a null character';
  // [MQTT-3.3.2-2] a topic name must not contain wildcard characters.
  if (topic.includes('+') || topic.includes('#')) return 'topic contains a wildcard character (+ or #)';
  if (Buffer.byteLength(topic, 'utf8') > MAX_TOPIC_BYTES) return `topic is longer than ${MAX_TOPIC_BYTES} bytes`;
  return undefined;
}

/**
 * Whether `topic` matches `filter`. A filter that is not valid matches nothing.
 * [MQTT-4.7.2-1] a filter starting with a wildcard does not match topics starting with '$'.
 */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  if (validateTopicFilter(filter) !== undefined) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    // '#' also matches the parent level: 'a/#' matches 'a' [MQTT-4.7.1-2].
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/** AWS IoT Basic Ingest: `$aws/rules/<rule>/<topic>` reaches that rule directly. */
export const BASIC_INGEST_PREFIX = '$aws/rules/';

/** `$aws/rules/<rule>/<topic...>` → the rule's name and the topic the rule sees (without the prefix); undefined for any other topic. */
export function basicIngestTarget(topic: string): { ruleName: string; topic: string } | undefined {
  if (!topic.startsWith(BASIC_INGEST_PREFIX)) return undefined;
  const rest = topic.slice(BASIC_INGEST_PREFIX.length);
  const slash = rest.indexOf('/');
  const ruleName = slash < 0 ? rest : rest.slice(0, slash);
  if (ruleName === '') return undefined;
  return { ruleName, topic: slash < 0 ? '' : rest.slice(slash + 1) };
}
