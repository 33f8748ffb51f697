import { z } from 'zod';
import { SluiceError, type Clock, type StateStore, systemClock } from '../core/index.js';

export const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
export const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;

const stringOrList = z.union([z.string(), z.array(z.string()).min(1)]);

/** AWS IoT policy document shape, checked structurally; evaluation comes with device security. */
export const policyDocumentSchema = z
  .object({
    Version: z.string(),
    Statement: z
      .array(
        z
          .object({
            Sid: z.string().optional(),
            Effect: z.enum(['Allow', 'Deny']),
            Action: stringOrList,
            Resource: stringOrList,
            Condition: z.record(z.string(), z.unknown()).optional(),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();

export type PolicyDocument = z.infer<typeof policyDocumentSchema>;

export interface Thing {
  thingName: string;
  attributes: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export interface Policy {
  policyName: string;
  document: PolicyDocument;
  /** Incremented whenever the document changes, as AWS's policy versions. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

/**
 * Things and policies. Stored now so the reference stack can declare them;
 * certificates, attachments and enforcement on connect/publish arrive with
 * device security, implementing the broker's hooks.
 */
export class Registry {
  readonly #things;
  readonly #policies;
  readonly #clock: Clock;

  constructor(state: StateStore, clock: Clock = systemClock) {
    this.#things = state.collection<Thing>('registry.things');
    this.#policies = state.collection<Policy>('registry.policies');
    this.#clock = clock;
  }

  async putThing(thingName: string, attributes: Record<string, string> = {}): Promise<Thing> {
    if (!THING_NAME.test(thingName)) {
      throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `invalid thing name '${thingName}': use 1-128 of [a-zA-Z0-9:_-]`);
    }
    const now = new Date(this.#clock.now()).toISOString();
    const existing = await this.#things.get(thingName);
    const thing: Thing = { thingName, attributes, createdAt: existing?.createdAt ?? now, updatedAt: now };
    await this.#things.put(thingName, thing);
    return thing;
  }

  async deleteThing(thingName: string): Promise<boolean> {
    return this.#things.delete(thingName);
  }

  async listThings(): Promise<Thing[]> {
    return (await this.#things.list()).map((entry) => entry.doc);
  }

  async putPolicy(policyName: string, document: unknown): Promise<Policy> {
    if (!POLICY_NAME.test(policyName)) {
      throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `invalid policy name '${policyName}'`);
    }
    const parsed = policyDocumentSchema.safeParse(document);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new SluiceError(
        'SLUICE_ERR_REQUEST_INVALID',
        `policy '${policyName}': document.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
      );
    }
    const now = new Date(this.#clock.now()).toISOString();
    const existing = await this.#policies.get(policyName);
    const changed = !existing || JSON.stringify(existing.document) !== JSON.stringify(parsed.data);
    const policy: Policy = {
      policyName,
      document: parsed.data,
      version: existing ? existing.version + (changed ? 1 : 0) : 1,
      createdAt: existing?.createdAt ?? now,
      updatedAt: changed ? now : (existing?.updatedAt ?? now),
    };
    await this.#policies.put(policyName, policy);
    return policy;
  }

  async deletePolicy(policyName: string): Promise<boolean> {
    return this.#policies.delete(policyName);
  }

  async listPolicies(): Promise<Policy[]> {
    return (await this.#policies.list()).map((entry) => entry.doc);
  }
}
