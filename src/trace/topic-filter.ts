/**
 * Whether `topic` matches `filter`, an MQTT topic filter (`+` one level, `#`
 * the rest) or a plain topic [MQTT-4.7]. Topics starting with `$` match a
 * filter's leading wildcard only when the filter starts with `$` too [MQTT-4.7.2-1].
 */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  if (!filter.includes('+') && !filter.includes('#')) return filter === topic;
  if (topic.startsWith('$') && !filter.startsWith('$')) return false;
  const want = filter.split('/');
  const have = topic.split('/');
  for (let i = 0; i < want.length; i++) {
    const level = want[i];
    if (level === '#') return true;
    if (i >= have.length) return false;
    if (level !== '+' && level !== have[i]) return false;
  }
  return want.length === have.length;
}
