import type { RuleSet } from '../actions/index.js';
import type { StateStore } from '../core/index.js';

interface SwitchDoc {
  enabled: boolean;
  /** ISO 8601 */
  changedAt: string;
}

/**
 * The operator's enable/disable of rules (`POST /api/v1/rules/NAME/enable|disable`,
 * the console's switch), kept in the state store by rule name so it outlives
 * a restart and a redeploy of the stack; it wins over the stack file's
 * `enabled` until the opposite call.
 */
export class RuleSwitches {
  readonly #docs;
  readonly #rules: Pick<RuleSet, 'setEnabled'>;

  constructor(state: StateStore, rules: Pick<RuleSet, 'setEnabled'>) {
    this.#docs = state.collection<SwitchDoc>('rule-switches');
    this.#rules = rules;
  }

  /** Applies the stored switches; call before the stacks deploy, so a disabled rule never runs for a moment. */
  async load(): Promise<void> {
    for (const { id, doc } of await this.#docs.list()) this.#rules.setEnabled(id, doc.enabled);
  }

  /** Stored first, then applied: an answer that says "disabled" survives a crash right after it. */
  async set(ruleName: string, enabled: boolean): Promise<void> {
    await this.#docs.put(ruleName, { enabled, changedAt: new Date().toISOString() });
    this.#rules.setEnabled(ruleName, enabled);
  }
}
