import { SluiceError } from '../../core/index.js';
import { validateTopicFilter } from './filter.js';

interface TrieNode<T> {
  /** Children by level; '+' and '#' are children like any other level. */
  readonly children: Map<string, TrieNode<T>>;
  /** Values registered under the filter that ends at this node. */
  readonly values: Set<T>;
}

function newNode<T>(): TrieNode<T> {
  return { children: new Map(), values: new Set() };
}

/**
 * A trie of topic filters, one level per node, so `match` costs about the
 * depth of the topic times the wildcard branches, not the number of filters.
 *
 * The same value added twice under the same filter is stored once. A value
 * under two filters that both match a topic is returned twice (once per
 * filter), as MQTT allows for overlapping subscriptions.
 */
export class TopicIndex<T> {
  readonly #root: TrieNode<T> = newNode();
  #size = 0;

  /** Throws SLUICE_ERR_CONFIG_INVALID for an invalid filter. */
  add(filter: string, value: T): void {
    const reason = validateTopicFilter(filter);
    if (reason !== undefined) {
      throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `invalid topic filter '${filter}': ${reason}`, { details: { filter } });
    }
    let node = this.#root;
    for (const level of filter.split('/')) {
      let child = node.children.get(level);
      if (!child) {
        child = newNode();
        node.children.set(level, child);
      }
      node = child;
    }
    if (!node.values.has(value)) {
      node.values.add(value);
      this.#size++;
    }
  }

  /** Returns whether the value was registered under this filter. Prunes emptied branches. */
  remove(filter: string, value: T): boolean {
    const path: Array<[TrieNode<T>, string]> = [];
    let node = this.#root;
    for (const level of filter.split('/')) {
      const child = node.children.get(level);
      if (!child) return false;
      path.push([node, level]);
      node = child;
    }
    if (!node.values.delete(value)) return false;
    this.#size--;
    for (let i = path.length - 1; i >= 0; i--) {
      const entry = path[i];
      if (!entry) break;
      const [parent, level] = entry;
      const child = parent.children.get(level);
      if (!child || child.values.size > 0 || child.children.size > 0) break;
      parent.children.delete(level);
    }
    return true;
  }

  /** Values of every filter matching the topic name. */
  match(topic: string): T[] {
    // A topic name never holds wildcards [MQTT-3.3.2-2]; matching one against the trie would be meaningless.
    if (topic.includes('+') || topic.includes('#')) return [];
    const levels = topic.split('/');
    const out: T[] = [];
    // [MQTT-4.7.2-1] wildcards in the first level do not match '$' topics such as $SYS/...
    const dollar = topic.startsWith('$');
    const walk = (node: TrieNode<T>, depth: number): void => {
      const hash = node.children.get('#');
      // '#' matches the parent level too ('a/#' matches 'a'), and any number of levels below.
      if (hash && !(dollar && depth === 0)) for (const v of hash.values) out.push(v);
      if (depth === levels.length) {
        for (const v of node.values) out.push(v);
        return;
      }
      const level = levels[depth] ?? '';
      const exact = node.children.get(level);
      if (exact) walk(exact, depth + 1);
      const plus = node.children.get('+');
      if (plus && level !== '+' && !(dollar && depth === 0)) walk(plus, depth + 1);
    };
    walk(this.#root, 0);
    return out;
  }

  /** Number of (filter, value) registrations. */
  get size(): number {
    return this.#size;
  }
}
