import { X509Certificate, randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  ARN_ACCOUNT,
  ARN_PARTITION,
  ARN_REGION,
  SluiceError,
  errorMessage,
  formatFieldPath,
  sha256Hex,
  systemClock,
  zodToSluiceError,
  type Clock,
  type DocumentCollection,
  type Logger,
  type StateStore,
} from '../core/index.js';
import {
  emptyAttachments,
  exclusivityConflict,
  isEmpty,
  parsePrincipal,
  type AttachThingPrincipalOptions,
  type PrincipalAttachments,
  type PrincipalThing,
  type ThingPrincipal,
  type ThingPrincipalType,
} from './attachments.js';
import { CertificateAuthority, KEY_ALGORITHMS, assertAcceptablePublicKey, generateKeyPair, type KeyAlgorithm } from './ca/index.js';
import {
  AUTO_REGISTRATION_STATUSES,
  CA_CERTIFICATE_STATUSES,
  CERTIFICATE_STATUSES,
  SETTABLE_CERTIFICATE_STATUSES,
  caCertificateArn,
  certificateArn,
  extractCertificateFields,
  normalizeCertificateId,
  parseCertificatePem,
  validityOf,
  type AutoRegistrationStatus,
  type CaCertificateRecord,
  type CaCertificateStatus,
  type CertificateFields,
  type CertificateFromCsr,
  type CertificateMode,
  type CertificateOrigin,
  type CertificateRecord,
  type CertificateStatus,
  type IdentifyResult,
  type KeysAndCertificate,
  type RegisteredCertificate,
} from './certificates.js';
import {
  THING_TYPE_NAME,
  presentThingType,
  samePropertiesAs,
  thingTypePropertiesSchema,
  type StoredThingType,
  type ThingType,
  type ThingTypeProperties,
} from './thing-types.js';

export const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
export const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
/** AWS: a policy has at most five versions. */
export const MAX_POLICY_VERSIONS = 5;
/** AWS: a policy document is at most 2048 characters, not counting whitespace. */
export const MAX_POLICY_DOCUMENT_LENGTH = 2048;

import { policyDocumentSchema, type PolicyDocument } from './policy/index.js';

/** The document schema and its evaluation are the policy engine's (./policy). */
export { policyDocumentSchema, type PolicyDocument } from './policy/index.js';


export interface Thing {
  thingName: string;
  thingArn: string;
  attributes: Record<string, string>;
  /** A thing type of the registry's; it existed and was not deprecated when the thing took it. */
  thingTypeName?: string;
  createdAt: string;
  updatedAt: string;
}

/** DescribeThing: the thing and the principals attached to it. */
export interface ThingDescription extends Thing {
  principals: ThingPrincipal[];
}

export interface PutThingOptions {
  /** Must name an existing thing type, not deprecated unless the thing already has it. Omitted: the thing has no type. */
  thingTypeName?: string;
}

/** ListThings' filters (AWS's); all of them must hold. */
export interface ListThingsOptions {
  thingTypeName?: string;
  attributeName?: string;
  /** With attributeName: the attribute's value (its prefix with usePrefixAttributeValue). Without it, things that have the attribute. */
  attributeValue?: string;
  usePrefixAttributeValue?: boolean;
}

export interface Policy {
  policyName: string;
  policyArn: string;
  /** The default (operative) version's document. */
  document: PolicyDocument;
  /** The default version's id, as a number (AWS's `defaultVersionId` is the same, as a string). */
  version: number;
  defaultVersionId: string;
  createdAt: string;
  /** When the default version last changed. */
  updatedAt: string;
}

export interface PolicyVersion {
  policyName: string;
  policyArn: string;
  versionId: string;
  isDefaultVersion: boolean;
  document: PolicyDocument;
  createDate: string;
}

/**
 * What changed in the registry, for whoever holds live state derived from it
 * (the broker re-checks connections of the principals concerned).
 */
export type RegistryChange =
  | { type: 'certificate.registered'; certificateId: string; status: CertificateStatus; caCertificateId?: string; autoRegistered: boolean }
  | { type: 'certificate.statusChanged'; certificateId: string; status: CertificateStatus; previousStatus: CertificateStatus }
  | { type: 'certificate.deleted'; certificateId: string }
  | { type: 'ca.updated'; caCertificateId: string; status: CaCertificateStatus; autoRegistrationStatus: AutoRegistrationStatus }
  | { type: 'ca.deleted'; caCertificateId: string }
  | { type: 'policy.defaultVersionChanged'; policyName: string; versionId: string }
  | { type: 'policy.deleted'; policyName: string }
  | { type: 'policy.attached'; policyName: string; principal: string }
  | { type: 'policy.detached'; policyName: string; principal: string }
  | { type: 'thing.attached'; thingName: string; principal: string; thingPrincipalType: ThingPrincipalType }
  | { type: 'thing.detached'; thingName: string; principal: string }
  | { type: 'thing.updated'; thingName: string }

  | { type: 'thing.deleted'; thingName: string };

export type RegistryChangeListener = (change: RegistryChange) => void;

export interface RegistryOptions {
  clock?: Clock;
  /** The built-in CA. Without it, createKeysAndCertificate and createCertificateFromCsr are unavailable. */
  ca?: CertificateAuthority;
  /** Where errors thrown by change listeners are reported. */
  logger?: Logger;
}

export interface CreateKeysAndCertificateOptions {
  /** Default RSA-2048, as AWS. */
  keyAlgorithm?: KeyAlgorithm;
  /** Default false (INACTIVE), as AWS. */
  setAsActive?: boolean;
  /** Subject CN; default: the certificate's serial number. */
  commonName?: string;
}

export interface CreateCertificateFromCsrOptions {
  setAsActive?: boolean;
  /** Replaces the CSR's subject with this CN. */
  commonName?: string;
}

export interface RegisterCertificateOptions {
  /** The CA that signed it: a registered CA, or the built-in CA's PEM. Without it, AWS's RegisterCertificateWithoutCA. */
  caCertificatePem?: string;
  /** Default INACTIVE (or ACTIVE with `setAsActive`), as AWS. */
  status?: 'ACTIVE' | 'INACTIVE' | 'REVOKED';
  setAsActive?: boolean;
}

export interface RegisterCaCertificateOptions {
  /** AWS's allowAutoRegistration: unknown certificates it signed are registered PENDING_ACTIVATION on first connect. */
  autoRegistration?: boolean;
  /** Default INACTIVE (or ACTIVE with `setAsActive`), as AWS. */
  status?: CaCertificateStatus;
  setAsActive?: boolean;
}

export interface UpdateCaCertificateOptions {
  newStatus?: CaCertificateStatus;
  newAutoRegistrationStatus?: AutoRegistrationStatus;
}

export interface ListCertificatesOptions {
  /** Only certificates attached to this thing. */
  thingName?: string;
  /** Only certificates signed by this CA (AWS's ListCertificatesByCA). */
  caCertificateId?: string;
  status?: CertificateStatus;
}

interface StoredThing {
  thingName: string;
  attributes: Record<string, string>;
  thingTypeName?: string;
  createdAt: string;
  updatedAt: string;
}

interface StoredPolicyVersion {
  versionId: number;
  document: PolicyDocument;
  createDate: string;
}

interface StoredPolicy {
  policyName: string;
  defaultVersionId: number;
  /** Version ids are never reused, as AWS's. */
  lastVersionId: number;
  versions: StoredPolicyVersion[];
  createdAt: string;
  updatedAt: string;
}

/** The one-version shape stored before policy versions existed. */
interface LegacyPolicy {
  policyName: string;
  document: PolicyDocument;
  version: number;
  createdAt: string;
  updatedAt: string;
}

interface ParsedCertificate {
  x509: X509Certificate;
  fields?: CertificateFields;
  /** Id of the CA whose signature on this certificate was verified. */
  verifiedBy?: string;
}

/** Parsed certificates kept for the connect path; ids are content hashes, so entries never go stale. */
const PARSED_CACHE_SIZE = 10_000;
const ATTRIBUTE_NAME = /^[a-zA-Z0-9_.,@/:#=[\]-]{1,128}$/;

const commonNameSchema = z.string().min(1).max(64);
const attributesSchema = z
  .record(z.string(), z.string().max(800))
  .superRefine((attributes, context) => {
    for (const name of Object.keys(attributes)) {
      if (!ATTRIBUTE_NAME.test(name)) {
        context.addIssue({ code: 'custom', path: [name], message: 'attribute names are 1-128 characters of A-Z, a-z, 0-9 and _.,@/:#=[]-' });
      }
    }
    if (Object.keys(attributes).length > 50) context.addIssue({ code: 'custom', message: 'at most 50 attributes' });
  });
const putThingOptionsSchema = z.object({ thingTypeName: z.string().regex(THING_TYPE_NAME, 'use 1-128 of [a-zA-Z0-9:_-]').optional() }).strict();
const listThingsSchema = z
  .object({
    thingTypeName: z.string().optional(),
    attributeName: z.string().min(1).optional(),
    attributeValue: z.string().optional(),
    usePrefixAttributeValue: z.boolean().optional(),
  })
  .strict()
  .refine((o) => o.attributeValue === undefined || o.attributeName !== undefined, { message: 'attributeValue needs attributeName', path: ['attributeValue'] })
  .refine((o) => !o.usePrefixAttributeValue || o.attributeValue !== undefined, { message: 'usePrefixAttributeValue needs attributeValue', path: ['usePrefixAttributeValue'] });
const deprecateThingTypeSchema = z.object({ undoDeprecate: z.boolean().optional() }).strict();
const createKeysSchema = z
  .object({ keyAlgorithm: z.enum(KEY_ALGORITHMS).optional(), setAsActive: z.boolean().optional(), commonName: commonNameSchema.optional() })
  .strict();
const createFromCsrSchema = z.object({ setAsActive: z.boolean().optional(), commonName: commonNameSchema.optional() }).strict();
const registerCertificateSchema = z
  .object({ caCertificatePem: z.string().optional(), status: z.enum(SETTABLE_CERTIFICATE_STATUSES).optional(), setAsActive: z.boolean().optional() })
  .strict();
const registerCaSchema = z
  .object({ autoRegistration: z.boolean().optional(), status: z.enum(CA_CERTIFICATE_STATUSES).optional(), setAsActive: z.boolean().optional() })
  .strict();
const updateCaSchema = z
  .object({ newStatus: z.enum(CA_CERTIFICATE_STATUSES).optional(), newAutoRegistrationStatus: z.enum(AUTO_REGISTRATION_STATUSES).optional() })
  .strict();
const listCertificatesSchema = z
  .object({ thingName: z.string().optional(), caCertificateId: z.string().optional(), status: z.enum(CERTIFICATE_STATUSES).optional() })
  .strict();
const attachThingSchema = z.object({ exclusive: z.boolean().optional() }).strict();
const policyVersionOptionsSchema = z.object({ setAsDefault: z.boolean().optional() }).strict();
const deleteCertificateSchema = z.object({ forceDelete: z.boolean().optional() }).strict();

function parseInput<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw zodToSluiceError(parsed.error, 'SLUICE_ERR_REQUEST_INVALID', what);
  return parsed.data;
}

export function thingArn(thingName: string): string {
  return `arn:${ARN_PARTITION}:iot:${ARN_REGION}:${ARN_ACCOUNT}:thing/${thingName}`;
}

export function policyArn(policyName: string): string {
  return `arn:${ARN_PARTITION}:iot:${ARN_REGION}:${ARN_ACCOUNT}:policy/${policyName}`;
}

/**
 * Device identity: things, policies (with AWS's versions), certificates and
 * the CAs that vouch for them, and what is attached to which principal. All
 * of it lives in the state store; the connect path (`identifyClient`,
 * `listAttachedPolicies`, `listPrincipalThings`) costs a few keyed reads and
 * no parsing after the first connection of a certificate.
 *
 * Writes are serialized within the process (there are no multi-document
 * transactions in the state store port); change events go to `onChange`
 * listeners after each write.
 */
export class Registry {
  readonly #things: DocumentCollection<StoredThing>;
  readonly #thingTypes: DocumentCollection<StoredThingType>;
  readonly #policies: DocumentCollection<StoredPolicy | LegacyPolicy>;
  readonly #certificates: DocumentCollection<CertificateRecord>;
  readonly #caCertificates: DocumentCollection<CaCertificateRecord>;
  readonly #principals: DocumentCollection<PrincipalAttachments>;
  readonly #clock: Clock;
  readonly #ca: CertificateAuthority | undefined;
  readonly #logger: Logger | undefined;
  readonly #listeners = new Set<RegistryChangeListener>();
  readonly #parsed = new Map<string, ParsedCertificate>();
  #tail: Promise<unknown> = Promise.resolve();

  /** `options` may also be a bare Clock, as before certificates existed. */
  constructor(state: StateStore, options: RegistryOptions | Clock = {}) {
    const resolved: RegistryOptions = 'now' in options ? { clock: options } : options;
    this.#things = state.collection<StoredThing>('registry.things');
    this.#thingTypes = state.collection<StoredThingType>('registry.thingTypes');
    this.#policies = state.collection<StoredPolicy | LegacyPolicy>('registry.policies');
    this.#certificates = state.collection<CertificateRecord>('registry.certificates');
    this.#caCertificates = state.collection<CaCertificateRecord>('registry.caCertificates');
    this.#principals = state.collection<PrincipalAttachments>('registry.principals');
    this.#clock = resolved.clock ?? systemClock;
    this.#ca = resolved.ca;
    this.#logger = resolved.logger;
  }

  /** A registry with the built-in CA loaded from (or created in) `caDir`, e.g. `<data>/ca`. */
  static async open(state: StateStore, options: { caDir: string; keyAlgorithm?: KeyAlgorithm; clock?: Clock; logger?: Logger }): Promise<Registry> {
    const ca = await CertificateAuthority.loadOrCreate(options.caDir, {
      ...(options.keyAlgorithm ? { keyAlgorithm: options.keyAlgorithm } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    return new Registry(state, { ca, ...(options.clock ? { clock: options.clock } : {}), ...(options.logger ? { logger: options.logger } : {}) });
  }

  /** The built-in CA, if configured. */
  get certificateAuthority(): CertificateAuthority | undefined {
    return this.#ca;
  }

  /** The root devices trust (`root-ca.pem`), if the built-in CA is configured. */
  get caCertificatePem(): string | undefined {
    return this.#ca?.certificatePem;
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: RegistryChangeListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  // ---------------------------------------------------------------- things

  async putThing(thingName: string, attributes: Record<string, string> = {}, options: PutThingOptions = {}): Promise<Thing> {
    assertThingName(thingName);
    const attrs = parseInput(attributesSchema, attributes, `thing '${thingName}' attributes`);
    const { thingTypeName } = parseInput(putThingOptionsSchema, options, `thing '${thingName}'`);
    return this.#exclusive(async () => {
      const now = this.#nowIso();
      const existing = await this.#things.get(thingName);
      if (thingTypeName !== undefined && thingTypeName !== existing?.thingTypeName) await this.#requireAssignableType(thingName, thingTypeName);
      const changed =
        existing !== undefined && (JSON.stringify(sortedEntries(existing.attributes)) !== JSON.stringify(sortedEntries(attrs)) || existing.thingTypeName !== thingTypeName);
      const thing: StoredThing = {
        thingName,
        attributes: attrs,
        ...(thingTypeName !== undefined ? { thingTypeName } : {}),
        createdAt: existing?.createdAt ?? now,
        updatedAt: existing && !changed ? existing.updatedAt : now,
      };
      await this.#things.put(thingName, thing);
      if (changed) this.#emit({ type: 'thing.updated', thingName });
      return presentThing(thing);
    });
  }

  /** AWS: a thing with principals attached cannot be deleted; detach them first. Returns whether a thing was deleted. */
  async deleteThing(thingName: string): Promise<boolean> {
    assertThingName(thingName);
    return this.#exclusive(async () => {
      const principals = await this.#thingPrincipals(thingName);
      if (principals.length > 0) {
        throw new SluiceError(
          'SLUICE_ERR_IN_USE',
          `cannot delete thing '${thingName}': it is still attached to ${principals.length} principal(s) (${principals.map((p) => p.principal).join(', ')}); detach them first`,
          { details: { principals: principals.map((p) => p.principal) } },
        );
      }
      const deleted = await this.#things.delete(thingName);
      if (deleted) this.#emit({ type: 'thing.deleted', thingName });
      return deleted;
    });
  }

  async getThing(thingName: string): Promise<Thing | undefined> {
    if (!THING_NAME.test(thingName)) return undefined;
    const thing = await this.#things.get(thingName);
    return thing ? presentThing(thing) : undefined;
  }

  /** DescribeThing, with the principals attached to it. */
  async describeThing(thingName: string): Promise<ThingDescription | undefined> {
    const thing = await this.getThing(thingName);
    if (!thing) return undefined;
    return { ...thing, principals: await this.#thingPrincipals(thingName) };
  }

  /** ListThings, optionally filtered by type and by an attribute (AWS's filters). */
  async listThings(options: ListThingsOptions = {}): Promise<Thing[]> {
    const filter = parseInput(listThingsSchema, options, 'listThings');
    return (await this.#things.list()).map((entry) => entry.doc).filter((thing) => thingMatches(thing, filter)).map(presentThing);
  }

  // ----------------------------------------------------------- thing types

  /** CreateThingType: creating one that exists with the same properties returns it; with other properties it is a conflict. */
  async createThingType(thingTypeName: string, properties: ThingTypeProperties = {}): Promise<ThingType> {
    assertThingTypeName(thingTypeName);
    const parsed = parseInput(thingTypePropertiesSchema, properties, `thing type '${thingTypeName}' thingTypeProperties`);
    return this.#exclusive(async () => {
      const existing = await this.#thingTypes.get(thingTypeName);
      if (existing) {
        if (samePropertiesAs(existing.properties, parsed)) return presentThingType(existing);
        throw new SluiceError('SLUICE_ERR_ALREADY_EXISTS', `thing type '${thingTypeName}' already exists with other properties; use update (or put) to change them`);
      }
      return presentThingType(await this.#writeNewThingType(thingTypeName, parsed));
    });
  }

  /**
   * Creates the thing type or replaces its properties (AWS's UpdateThingType;
   * what a stack deploy wants). Deprecation is left as it is: that is an
   * operator's decision, made with deprecateThingType.
   */
  async putThingType(thingTypeName: string, properties: ThingTypeProperties = {}): Promise<ThingType> {
    assertThingTypeName(thingTypeName);
    const parsed = parseInput(thingTypePropertiesSchema, properties, `thing type '${thingTypeName}' thingTypeProperties`);
    return this.#exclusive(async () => {
      const existing = await this.#thingTypes.get(thingTypeName);
      if (!existing) return presentThingType(await this.#writeNewThingType(thingTypeName, parsed));
      if (samePropertiesAs(existing.properties, parsed)) return presentThingType(existing);
      const updated: StoredThingType = { ...existing, properties: parsed };
      await this.#thingTypes.put(thingTypeName, updated);
      return presentThingType(updated);
    });
  }

  async describeThingType(thingTypeName: string): Promise<ThingType | undefined> {
    if (!THING_TYPE_NAME.test(thingTypeName)) return undefined;
    const stored = await this.#thingTypes.get(thingTypeName);
    return stored ? presentThingType(stored) : undefined;
  }

  async listThingTypes(): Promise<ThingType[]> {
    return (await this.#thingTypes.list()).map((entry) => presentThingType(entry.doc));
  }

  /** DeprecateThingType: no new thing may take the type; things that have it keep it. `undoDeprecate` reverses it. */
  async deprecateThingType(thingTypeName: string, options: { undoDeprecate?: boolean } = {}): Promise<ThingType> {
    assertThingTypeName(thingTypeName);
    const { undoDeprecate = false } = parseInput(deprecateThingTypeSchema, options, `thing type '${thingTypeName}'`);
    return this.#exclusive(async () => {
      const existing = await this.#requireThingType(thingTypeName);
      if (existing.deprecated === !undoDeprecate) return presentThingType(existing);
      const { deprecationDate: _previous, ...rest } = existing;
      const updated: StoredThingType = undoDeprecate ? { ...rest, deprecated: false } : { ...rest, deprecated: true, deprecationDate: this.#nowIso() };
      await this.#thingTypes.put(thingTypeName, updated);
      return presentThingType(updated);
    });
  }

  /**
   * DeleteThingType: only a deprecated type that no thing has (AWS's rule,
   * without its five-minute wait after deprecation: there is no fleet-wide
   * cache here for the wait to drain). Returns whether a type was deleted.
   */
  async deleteThingType(thingTypeName: string): Promise<boolean> {
    assertThingTypeName(thingTypeName);
    return this.#exclusive(async () => {
      const existing = await this.#thingTypes.get(thingTypeName);
      if (!existing) return false;
      if (!existing.deprecated) {
        throw new SluiceError('SLUICE_ERR_IN_USE', `cannot delete thing type '${thingTypeName}': deprecate it first (AWS IoT's rule; no new thing can take it then)`);
      }
      const users = (await this.#things.list()).filter((entry) => entry.doc.thingTypeName === thingTypeName).map((entry) => entry.id);
      if (users.length > 0) {
        const shown = users.slice(0, 5).join(', ') + (users.length > 5 ? `, and ${users.length - 5} more` : '');
        throw new SluiceError(
          'SLUICE_ERR_IN_USE',
          `cannot delete thing type '${thingTypeName}': ${users.length} thing(s) still have it (${shown}); change or delete them first`,
          { details: { things: users } },
        );
      }
      return this.#thingTypes.delete(thingTypeName);
    });
  }

  // -------------------------------------------------------------- policies

  /**
   * Creates the policy, or makes `document` its new default version when it
   * differs from the current default (what a stack deploy wants). At five
   * versions the oldest non-default one is deleted to make room.
   */
  async putPolicy(policyName: string, document: unknown): Promise<Policy> {
    assertPolicyName(policyName);
    const parsed = parsePolicyDocument(policyName, document);
    return this.#exclusive(async () => {
      const now = this.#nowIso();
      const existing = await this.#readPolicy(policyName);
      if (!existing) return presentPolicy(await this.#writeNewPolicy(policyName, parsed, now));
      const current = defaultVersion(existing);
      if (JSON.stringify(current.document) === JSON.stringify(parsed)) return presentPolicy(existing);
      const versions = [...existing.versions];
      if (versions.length >= MAX_POLICY_VERSIONS) {
        const oldest = versions.filter((v) => v.versionId !== existing.defaultVersionId).sort((a, b) => a.versionId - b.versionId)[0];
        if (oldest) versions.splice(versions.indexOf(oldest), 1);
      }
      const versionId = existing.lastVersionId + 1;
      versions.push({ versionId, document: parsed, createDate: now });
      const policy: StoredPolicy = { ...existing, versions, lastVersionId: versionId, defaultVersionId: versionId, updatedAt: now };
      await this.#policies.put(policyName, policy);
      this.#emit({ type: 'policy.defaultVersionChanged', policyName, versionId: String(versionId) });
      return presentPolicy(policy);
    });
  }

  /** CreatePolicy: fails if the policy exists. */
  async createPolicy(policyName: string, document: unknown): Promise<Policy> {
    assertPolicyName(policyName);
    const parsed = parsePolicyDocument(policyName, document);
    return this.#exclusive(async () => {
      if (await this.#readPolicy(policyName)) throw new SluiceError('SLUICE_ERR_ALREADY_EXISTS', `policy '${policyName}' already exists`);
      return presentPolicy(await this.#writeNewPolicy(policyName, parsed, this.#nowIso()));
    });
  }

  async getPolicy(policyName: string): Promise<Policy | undefined> {
    if (!POLICY_NAME.test(policyName)) return undefined;
    const policy = await this.#readPolicy(policyName);
    return policy ? presentPolicy(policy) : undefined;
  }

  async listPolicies(): Promise<Policy[]> {
    return (await this.#policies.list()).map((entry) => presentPolicy(normalizePolicy(entry.doc)));
  }

  /**
   * DeletePolicy: refused while the policy is attached to any principal (AWS's
   * DeleteConflictException). Unlike AWS, its non-default versions go with
   * it, so a stack can delete a policy it updated. Returns whether a policy was deleted.
   */
  async deletePolicy(policyName: string): Promise<boolean> {
    assertPolicyName(policyName);
    return this.#exclusive(async () => {
      const targets = await this.#policyTargets(policyName);
      if (targets.length > 0) {
        throw new SluiceError(
          'SLUICE_ERR_IN_USE',
          `cannot delete policy '${policyName}': it is attached to ${targets.length} principal(s) (${targets.join(', ')}); detach it first`,
          { details: { principals: targets } },
        );
      }
      const deleted = await this.#policies.delete(policyName);
      if (deleted) this.#emit({ type: 'policy.deleted', policyName });
      return deleted;
    });
  }

  /** CreatePolicyVersion: at most five versions; `setAsDefault` makes it operative at once. */
  async createPolicyVersion(policyName: string, document: unknown, options: { setAsDefault?: boolean } = {}): Promise<PolicyVersion> {
    assertPolicyName(policyName);
    const parsed = parsePolicyDocument(policyName, document);
    const { setAsDefault = false } = parseInput(policyVersionOptionsSchema, options, `policy '${policyName}' version`);
    return this.#exclusive(async () => {
      const existing = await this.#requirePolicy(policyName);
      if (existing.versions.length >= MAX_POLICY_VERSIONS) {
        throw new SluiceError(
          'SLUICE_ERR_LIMIT_EXCEEDED',
          `policy '${policyName}' already has ${MAX_POLICY_VERSIONS} versions; delete a non-default version first`,
        );
      }
      const now = this.#nowIso();
      const versionId = existing.lastVersionId + 1;
      const policy: StoredPolicy = {
        ...existing,
        versions: [...existing.versions, { versionId, document: parsed, createDate: now }],
        lastVersionId: versionId,
        ...(setAsDefault ? { defaultVersionId: versionId, updatedAt: now } : {}),
      };
      await this.#policies.put(policyName, policy);
      if (setAsDefault) this.#emit({ type: 'policy.defaultVersionChanged', policyName, versionId: String(versionId) });
      return presentVersion(policy, versionId);
    });
  }

  async getPolicyVersion(policyName: string, versionId: string | number): Promise<PolicyVersion | undefined> {
    const id = parseVersionId(versionId);
    const policy = POLICY_NAME.test(policyName) ? await this.#readPolicy(policyName) : undefined;
    if (!policy || !policy.versions.some((v) => v.versionId === id)) return undefined;
    return presentVersion(policy, id);
  }

  async listPolicyVersions(policyName: string): Promise<PolicyVersion[]> {
    assertPolicyName(policyName);
    const policy = await this.#requirePolicy(policyName);
    return [...policy.versions].sort((a, b) => b.versionId - a.versionId).map((v) => presentVersion(policy, v.versionId));
  }

  async setDefaultPolicyVersion(policyName: string, versionId: string | number): Promise<Policy> {
    assertPolicyName(policyName);
    const id = parseVersionId(versionId);
    return this.#exclusive(async () => {
      const existing = await this.#requirePolicy(policyName);
      if (!existing.versions.some((v) => v.versionId === id)) {
        throw new SluiceError('SLUICE_ERR_NOT_FOUND', `policy '${policyName}' has no version ${id}`);
      }
      if (existing.defaultVersionId === id) return presentPolicy(existing);
      const policy: StoredPolicy = { ...existing, defaultVersionId: id, updatedAt: this.#nowIso() };
      await this.#policies.put(policyName, policy);
      this.#emit({ type: 'policy.defaultVersionChanged', policyName, versionId: String(id) });
      return presentPolicy(policy);
    });
  }

  /** DeletePolicyVersion: never the default version. */
  async deletePolicyVersion(policyName: string, versionId: string | number): Promise<void> {
    assertPolicyName(policyName);
    const id = parseVersionId(versionId);
    await this.#exclusive(async () => {
      const existing = await this.#requirePolicy(policyName);
      if (!existing.versions.some((v) => v.versionId === id)) {
        throw new SluiceError('SLUICE_ERR_NOT_FOUND', `policy '${policyName}' has no version ${id}`);
      }
      if (existing.defaultVersionId === id) {
        throw new SluiceError('SLUICE_ERR_IN_USE', `version ${id} is the default version of policy '${policyName}'; set another default first, or delete the policy`);
      }
      await this.#policies.put(policyName, { ...existing, versions: existing.versions.filter((v) => v.versionId !== id) });
    });
  }

  // ---------------------------------------------------------- certificates

  /** CreateKeysAndCertificate: a new key pair and a certificate from the built-in CA. The private key is returned once and never stored. */
  async createKeysAndCertificate(options: CreateKeysAndCertificateOptions = {}): Promise<KeysAndCertificate> {
    const input = parseInput(createKeysSchema, options, 'createKeysAndCertificate');
    const ca = this.#requireCa('createKeysAndCertificate');
    const pair = await generateKeyPair(input.keyAlgorithm ?? 'RSA-2048');
    const issued = await ca.issueDeviceCertificate({
      publicKey: pair.keys.publicKey,
      ...(input.commonName !== undefined ? { commonName: input.commonName } : {}),
    });
    const record = await this.#exclusive(() =>
      this.#storeCertificate(new X509Certificate(issued.certificateDer), {
        status: input.setAsActive ? 'ACTIVE' : 'INACTIVE',
        origin: 'SLUICE_CA',
        caCertificateId: ca.certificateId,
        autoRegistered: false,
      }),
    );
    return {
      certificateId: record.certificateId,
      certificateArn: record.certificateArn,
      certificatePem: record.certificatePem,
      keyPair: { PublicKey: pair.publicKeyPem, PrivateKey: pair.privateKeyPem },
    };
  }

  /** CreateCertificateFromCsr: the built-in CA signs the request once its self-signature verifies. */
  async createCertificateFromCsr(csrPem: string, options: CreateCertificateFromCsrOptions = {}): Promise<CertificateFromCsr> {
    const input = parseInput(createFromCsrSchema, options, 'createCertificateFromCsr');
    const ca = this.#requireCa('createCertificateFromCsr');
    const issued = await ca.signCsr(csrPem, input.commonName !== undefined ? { commonName: input.commonName } : {});
    const record = await this.#exclusive(() =>
      this.#storeCertificate(new X509Certificate(issued.certificateDer), {
        status: input.setAsActive ? 'ACTIVE' : 'INACTIVE',
        origin: 'SLUICE_CA',
        caCertificateId: ca.certificateId,
        autoRegistered: false,
      }),
    );
    return { certificateId: record.certificateId, certificateArn: record.certificateArn, certificatePem: record.certificatePem };
  }

  /**
   * RegisterCertificate. With `caCertificatePem`, the certificate must be
   * signed by that CA, which must be registered and ACTIVE (or be the
   * built-in CA). Without it, AWS's RegisterCertificateWithoutCA: the
   * certificate is trusted by itself (mode SNI_ONLY), unless the built-in CA
   * issued it. Expired certificates are refused.
   */
  async registerCertificate(certificatePem: string, options: RegisterCertificateOptions = {}): Promise<RegisteredCertificate> {
    const input = parseInput(registerCertificateSchema, options, 'registerCertificate');
    const certificate = parseCertificatePem(certificatePem, 'certificatePem');
    assertAcceptablePublicKey(certificate.publicKey, 'certificatePem');
    this.#assertNotExpired(certificate, 'certificatePem');
    const status = input.status ?? (input.setAsActive ? 'ACTIVE' : 'INACTIVE');
    return this.#exclusive(async () => {
      let origin: CertificateOrigin;
      let caCertificateId: string | undefined;
      if (input.caCertificatePem !== undefined) {
        const caCertificate = parseCertificatePem(input.caCertificatePem, 'caCertificatePem');
        caCertificateId = sha256Hex(caCertificate.raw);
        if (this.#ca && caCertificateId === this.#ca.certificateId) {
          origin = 'SLUICE_CA';
        } else {
          const caRecord = await this.#caCertificates.get(caCertificateId);
          if (!caRecord) {
            throw new SluiceError('SLUICE_ERR_NOT_FOUND', `caCertificatePem: CA certificate ${caCertificateId} is not registered; register it with registerCaCertificate first`, {
              place: { field: 'caCertificatePem' },
            });
          }
          if (caRecord.status !== 'ACTIVE') {
            throw new SluiceError('SLUICE_ERR_CERTIFICATE_STATE', `caCertificatePem: CA certificate ${caCertificateId} is ${caRecord.status}; activate it first`, {
              place: { field: 'caCertificatePem' },
            });
          }
          origin = 'REGISTERED_CA';
        }
        if (!(certificate.checkIssued(caCertificate) && certificate.verify(caCertificate.publicKey))) {
          throw new SluiceError('SLUICE_ERR_CERTIFICATE_INVALID', `certificatePem: the certificate is not signed by CA certificate ${caCertificateId}`, {
            place: { field: 'certificatePem' },
          });
        }
      } else if (this.#ca?.isIssuerOf(certificate)) {
        origin = 'SLUICE_CA';
        caCertificateId = this.#ca.certificateId;
      } else {
        origin = 'WITHOUT_CA';
      }
      const record = await this.#storeCertificate(certificate, {
        status,
        origin,
        ...(caCertificateId !== undefined ? { caCertificateId } : {}),
        autoRegistered: false,
      });
      return { certificateId: record.certificateId, certificateArn: record.certificateArn };
    });
  }

  /** RegisterCertificateWithoutCA, by its AWS name. */
  async registerCertificateWithoutCA(certificatePem: string, options: { status?: 'ACTIVE' | 'INACTIVE' | 'REVOKED' } = {}): Promise<RegisteredCertificate> {
    return this.registerCertificate(certificatePem, options.status !== undefined ? { status: options.status } : {});
  }

  async describeCertificate(certificateId: string): Promise<CertificateRecord | undefined> {
    const id = safeCertificateId(certificateId);
    return id ? this.#certificates.get(id) : undefined;
  }

  async listCertificates(options: ListCertificatesOptions = {}): Promise<CertificateRecord[]> {
    const input = parseInput(listCertificatesSchema, options, 'listCertificates');
    const caId = input.caCertificateId !== undefined ? normalizeCertificateId(input.caCertificateId, 'caCertificateId') : undefined;
    let records: CertificateRecord[];
    if (input.thingName !== undefined) {
      assertThingName(input.thingName);
      const ids = (await this.#thingPrincipals(input.thingName)).map((p) => parsePrincipal(p.principal)).flatMap((p) => (p.kind === 'certificate' ? [p.certificateId] : []));
      records = (await Promise.all(ids.map((id) => this.#certificates.get(id)))).filter((r): r is CertificateRecord => r !== undefined);
    } else {
      records = (await this.#certificates.list()).map((entry) => entry.doc);
    }
    return records.filter((r) => (caId === undefined || r.caCertificateId === caId) && (input.status === undefined || r.status === input.status));
  }

  /**
   * UpdateCertificate: ACTIVE, INACTIVE or REVOKED. REVOKED is final, and
   * PENDING_ACTIVATION is only set by auto-registration (both AWS's
   * CertificateStateException). Idempotent.
   */
  async updateCertificateStatus(certificateId: string, newStatus: string): Promise<CertificateRecord> {
    const id = normalizeCertificateId(certificateId);
    if (newStatus === 'PENDING_ACTIVATION' || newStatus === 'PENDING_TRANSFER') {
      throw new SluiceError('SLUICE_ERR_CERTIFICATE_STATE', `newStatus: ${newStatus} is set by Sluice only; use ACTIVE, INACTIVE or REVOKED`, { place: { field: 'newStatus' } });
    }
    const status = parseInput(z.enum(SETTABLE_CERTIFICATE_STATUSES), newStatus, 'newStatus');
    return this.#exclusive(async () => {
      const existing = await this.#certificates.get(id);
      if (!existing) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no certificate ${id}`);
      if (existing.status === status) return existing;
      if (existing.status === 'REVOKED') {
        throw new SluiceError('SLUICE_ERR_CERTIFICATE_STATE', `certificate ${id} is REVOKED; a revoked certificate cannot be used again`);
      }
      const record: CertificateRecord = { ...existing, status, lastModifiedDate: this.#nowIso() };
      await this.#certificates.put(id, record);
      this.#emit({ type: 'certificate.statusChanged', certificateId: id, status, previousStatus: existing.status });
      return record;
    });
  }

  /**
   * DeleteCertificate: not while ACTIVE (CertificateStateException), nor while
   * attached to a thing or a policy (DeleteConflictException).
   * `forceDelete` detaches its policies, but never its things.
   */
  async deleteCertificate(certificateId: string, options: { forceDelete?: boolean } = {}): Promise<void> {
    const id = normalizeCertificateId(certificateId);
    const { forceDelete = false } = parseInput(deleteCertificateSchema, options, 'deleteCertificate');
    await this.#exclusive(async () => {
      const existing = await this.#certificates.get(id);
      if (!existing) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no certificate ${id}`);
      if (existing.status === 'ACTIVE') {
        throw new SluiceError('SLUICE_ERR_CERTIFICATE_STATE', `certificate ${id} is ACTIVE; set it INACTIVE (or REVOKED) before deleting it`);
      }
      const attachments = await this.#principals.get(id);
      if (attachments && attachments.things.length > 0) {
        throw new SluiceError('SLUICE_ERR_IN_USE', `certificate ${id} is attached to thing(s) ${attachments.things.map((t) => t.thingName).join(', ')}; detach it first`);
      }
      if (attachments && attachments.policies.length > 0 && !forceDelete) {
        throw new SluiceError(
          'SLUICE_ERR_IN_USE',
          `certificate ${id} has policies attached (${attachments.policies.map((p) => p.policyName).join(', ')}); detach them first, or use forceDelete`,
        );
      }
      if (attachments) await this.#principals.delete(id);
      await this.#certificates.delete(id);
      this.#parsed.delete(id);
      for (const policy of attachments?.policies ?? []) this.#emit({ type: 'policy.detached', policyName: policy.policyName, principal: id });
      this.#emit({ type: 'certificate.deleted', certificateId: id });
    });
  }

  /**
   * RegisterCACertificate: a CA whose device certificates may then be
   * registered (and, with `autoRegistration`, are registered
   * PENDING_ACTIVATION on their first connection, as AWS's JITR).
   */
  async registerCaCertificate(caCertificatePem: string, options: RegisterCaCertificateOptions = {}): Promise<RegisteredCertificate> {
    const input = parseInput(registerCaSchema, options, 'registerCaCertificate');
    const certificate = parseCertificatePem(caCertificatePem, 'caCertificate');
    if (!certificate.ca) {
      throw new SluiceError('SLUICE_ERR_CERTIFICATE_INVALID', 'caCertificate: not a CA certificate (basicConstraints CA:TRUE is missing)', { place: { field: 'caCertificate' } });
    }
    assertAcceptablePublicKey(certificate.publicKey, 'caCertificate');
    this.#assertNotExpired(certificate, 'caCertificate');
    if (certificate.checkIssued(certificate) && !certificate.verify(certificate.publicKey)) {
      throw new SluiceError('SLUICE_ERR_CERTIFICATE_INVALID', 'caCertificate: its self-signature does not verify', { place: { field: 'caCertificate' } });
    }
    const id = sha256Hex(certificate.raw);
    if (this.#ca && id === this.#ca.certificateId) {
      throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', "caCertificate: this is Sluice's own CA; the certificates it issues are trusted already", {
        place: { field: 'caCertificate' },
      });
    }
    return this.#exclusive(async () => {
      if (await this.#caCertificates.get(id)) throw new SluiceError('SLUICE_ERR_ALREADY_EXISTS', `CA certificate ${id} is already registered`);
      const now = this.#nowIso();
      const record: CaCertificateRecord = {
        certificateId: id,
        certificateArn: caCertificateArn(id),
        certificatePem: certificate.toString(),
        status: input.status ?? (input.setAsActive ? 'ACTIVE' : 'INACTIVE'),
        autoRegistrationStatus: input.autoRegistration ? 'ENABLE' : 'DISABLE',
        certificateMode: 'DEFAULT',
        subject: certificate.subject,
        validity: validityOf(certificate),
        creationDate: now,
        lastModifiedDate: now,
      };
      await this.#caCertificates.put(id, record);
      return { certificateId: id, certificateArn: record.certificateArn };
    });
  }

  async describeCaCertificate(certificateId: string): Promise<CaCertificateRecord | undefined> {
    const id = safeCertificateId(certificateId);
    return id ? this.#caCertificates.get(id) : undefined;
  }

  async listCaCertificates(): Promise<CaCertificateRecord[]> {
    return (await this.#caCertificates.list()).map((entry) => entry.doc);
  }

  /** UpdateCACertificate. An INACTIVE CA's device certificates cannot connect, nor be registered. */
  async updateCaCertificate(certificateId: string, options: UpdateCaCertificateOptions): Promise<CaCertificateRecord> {
    const id = normalizeCertificateId(certificateId, 'caCertificateId');
    const input = parseInput(updateCaSchema, options, 'updateCaCertificate');
    return this.#exclusive(async () => {
      const existing = await this.#caCertificates.get(id);
      if (!existing) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no CA certificate ${id}`);
      const status = input.newStatus ?? existing.status;
      const autoRegistrationStatus = input.newAutoRegistrationStatus ?? existing.autoRegistrationStatus;
      if (status === existing.status && autoRegistrationStatus === existing.autoRegistrationStatus) return existing;
      const record: CaCertificateRecord = { ...existing, status, autoRegistrationStatus, lastModifiedDate: this.#nowIso() };
      await this.#caCertificates.put(id, record);
      this.#emit({ type: 'ca.updated', caCertificateId: id, status, autoRegistrationStatus });
      return record;
    });
  }

  /** DeleteCACertificate: only when INACTIVE and no registered certificate names it as its CA. */
  async deleteCaCertificate(certificateId: string): Promise<void> {
    const id = normalizeCertificateId(certificateId, 'caCertificateId');
    await this.#exclusive(async () => {
      const existing = await this.#caCertificates.get(id);
      if (!existing) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no CA certificate ${id}`);
      if (existing.status !== 'INACTIVE') {
        throw new SluiceError('SLUICE_ERR_CERTIFICATE_STATE', `CA certificate ${id} is ${existing.status}; set it INACTIVE before deleting it`);
      }
      const signed = (await this.#certificates.list()).filter((entry) => entry.doc.caCertificateId === id).length;
      if (signed > 0) {
        throw new SluiceError('SLUICE_ERR_IN_USE', `CA certificate ${id} still has ${signed} registered certificate(s); delete them first`);
      }
      await this.#caCertificates.delete(id);
      this.#emit({ type: 'ca.deleted', caCertificateId: id });
    });
  }

  /**
   * The broker's question for every TLS client certificate: may it connect?
   * It must be registered, ACTIVE, within its validity period, and vouched
   * for: issued by the built-in CA, by a registered ACTIVE CA, or registered
   * without CA. An unknown certificate signed by an ACTIVE registered CA with
   * auto-registration is registered PENDING_ACTIVATION, and still refused
   * (AWS's just-in-time registration: something must activate it).
   *
   * `chainDer` (the rest of the chain the client sent) is accepted for
   * intermediate-CA support and not used yet: the issuer must itself be
   * registered.
   */
  async identifyClient(peerCertificateDer: Buffer, chainDer: Buffer[] = []): Promise<IdentifyResult> {
    void chainDer;
    if (!Buffer.isBuffer(peerCertificateDer) || peerCertificateDer.length === 0) return { ok: false, reason: 'no client certificate' };
    const certificateId = sha256Hex(peerCertificateDer);
    const record = await this.#certificates.get(certificateId);
    if (!record) return this.#unknownCertificate(certificateId, peerCertificateDer);
    if (record.status !== 'ACTIVE') return { ok: false, certificateId, reason: `certificate ${certificateId} is ${record.status}` };
    const now = this.#clock.now();
    if (now < Date.parse(record.validity.notBefore)) {
      return { ok: false, certificateId, reason: `certificate ${certificateId} is not valid before ${record.validity.notBefore}` };
    }
    if (now > Date.parse(record.validity.notAfter)) {
      return { ok: false, certificateId, reason: `certificate ${certificateId} expired at ${record.validity.notAfter}` };
    }
    switch (record.origin) {
      case 'WITHOUT_CA':
        return { ok: true, certificate: record };
      case 'SLUICE_CA': {
        const ca = this.#ca;
        if (!ca || record.caCertificateId !== ca.certificateId) {
          return { ok: false, certificateId, reason: `certificate ${certificateId} was issued by a built-in CA this server no longer has` };
        }
        if (!this.#verifiedBy(certificateId, peerCertificateDer, ca.certificateId, ca.certificate)) {
          return { ok: false, certificateId, reason: `certificate ${certificateId} does not verify against the built-in CA` };
        }
        return { ok: true, certificate: record };
      }
      case 'REGISTERED_CA': {
        const caRecord = record.caCertificateId !== undefined ? await this.#caCertificates.get(record.caCertificateId) : undefined;
        if (!caRecord) return { ok: false, certificateId, reason: `the CA of certificate ${certificateId} is no longer registered` };
        if (caRecord.status !== 'ACTIVE') return { ok: false, certificateId, reason: `the CA ${caRecord.certificateId} of certificate ${certificateId} is ${caRecord.status}` };
        if (!this.#verifiedBy(certificateId, peerCertificateDer, caRecord.certificateId, this.#parse(caRecord.certificateId, caRecord.certificatePem).x509)) {
          return { ok: false, certificateId, reason: `certificate ${certificateId} does not verify against its CA ${caRecord.certificateId}` };
        }
        return { ok: true, certificate: record };
      }
    }
  }

  /**
   * The certificate as the policy engine sees it (`iot:Certificate.*`
   * variables). Parsed once per certificate and cached.
   */
  async certificateFields(certificate: CertificateRecord | string): Promise<CertificateFields | undefined> {
    const record = typeof certificate === 'string' ? await this.describeCertificate(certificate) : certificate;
    if (!record) return undefined;
    const parsed = this.#parse(record.certificateId, record.certificatePem);
    parsed.fields ??= extractCertificateFields(record.certificateId, parsed.x509);
    return parsed.fields;
  }

  // ----------------------------------------------------------- attachments

  /**
   * AttachThingPrincipal. The thing and (for certificates) the certificate
   * must exist. `exclusive` (EXCLUSIVE_THING): the principal is attached to
   * this thing only, so it must not be attached to another, and no other
   * thing can be attached to it later. Re-attaching updates the type.
   */
  async attachThingPrincipal(thingName: string, principal: string, options: AttachThingPrincipalOptions = {}): Promise<void> {
    assertThingName(thingName);
    const parsed = parsePrincipal(principal);
    const { exclusive = false } = parseInput(attachThingSchema, options, 'attachThingPrincipal');
    const thingPrincipalType: ThingPrincipalType = exclusive ? 'EXCLUSIVE_THING' : 'NON_EXCLUSIVE_THING';
    await this.#exclusive(async () => {
      if (!(await this.#things.get(thingName))) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no thing '${thingName}'`);
      await this.#assertPrincipalExists(parsed.principal);
      const attachments = (await this.#principals.get(parsed.principal)) ?? emptyAttachments(parsed.principal);
      const conflict = exclusivityConflict(attachments, thingName, thingPrincipalType);
      if (conflict !== undefined) {
        throw new SluiceError(
          'SLUICE_ERR_IN_USE',
          thingPrincipalType === 'EXCLUSIVE_THING'
            ? `principal ${parsed.principal} is attached to thing '${conflict}'; it cannot be attached exclusively to '${thingName}'`
            : `principal ${parsed.principal} is attached exclusively to thing '${conflict}'; it cannot be attached to '${thingName}' as well`,
        );
      }
      const current = attachments.things.find((t) => t.thingName === thingName);
      if (current?.thingPrincipalType === thingPrincipalType) return;
      const things = attachments.things.filter((t) => t.thingName !== thingName);
      things.push({ thingName, thingPrincipalType, attachedAt: current?.attachedAt ?? this.#nowIso() });
      await this.#principals.put(parsed.principal, { ...attachments, things });
      this.#emit({ type: 'thing.attached', thingName, principal: parsed.principal, thingPrincipalType });
    });
  }

  /** DetachThingPrincipal. Returns whether it was attached. */
  async detachThingPrincipal(thingName: string, principal: string): Promise<boolean> {
    assertThingName(thingName);
    const parsed = parsePrincipal(principal);
    return this.#exclusive(async () => {
      const attachments = await this.#principals.get(parsed.principal);
      if (!attachments?.things.some((t) => t.thingName === thingName)) return false;
      await this.#saveAttachments({ ...attachments, things: attachments.things.filter((t) => t.thingName !== thingName) });
      this.#emit({ type: 'thing.detached', thingName, principal: parsed.principal });
      return true;
    });
  }

  /** ListThingPrincipals: the principals (certificate ids, `token/<id>`) attached to a thing. */
  async listThingPrincipals(thingName: string): Promise<string[]> {
    return (await this.listThingPrincipalsV2(thingName)).map((p) => p.principal);
  }

  /** ListThingPrincipalsV2: with each attachment's type. */
  async listThingPrincipalsV2(thingName: string): Promise<ThingPrincipal[]> {
    assertThingName(thingName);
    if (!(await this.#things.get(thingName))) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no thing '${thingName}'`);
    return this.#thingPrincipals(thingName);
  }

  /** ListPrincipalThings: the names of the things attached to a principal (one read: the connect path). */
  async listPrincipalThings(principal: string): Promise<string[]> {
    return (await this.listPrincipalThingsV2(principal)).map((t) => t.thingName);
  }

  async listPrincipalThingsV2(principal: string): Promise<PrincipalThing[]> {
    const parsed = parsePrincipal(principal);
    const attachments = await this.#principals.get(parsed.principal);
    return (attachments?.things ?? []).map((t) => ({ thingName: t.thingName, thingPrincipalType: t.thingPrincipalType }));
  }

  /** AttachPolicy. The policy and (for certificates) the certificate must exist. Idempotent. */
  async attachPolicy(policyName: string, principal: string): Promise<void> {
    assertPolicyName(policyName);
    const parsed = parsePrincipal(principal, 'target');
    await this.#exclusive(async () => {
      if (!(await this.#readPolicy(policyName))) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no policy '${policyName}'`);
      await this.#assertPrincipalExists(parsed.principal);
      const attachments = (await this.#principals.get(parsed.principal)) ?? emptyAttachments(parsed.principal);
      if (attachments.policies.some((p) => p.policyName === policyName)) return;
      await this.#principals.put(parsed.principal, {
        ...attachments,
        policies: [...attachments.policies, { policyName, attachedAt: this.#nowIso() }],
      });
      this.#emit({ type: 'policy.attached', policyName, principal: parsed.principal });
    });
  }

  /** DetachPolicy. Returns whether it was attached. */
  async detachPolicy(policyName: string, principal: string): Promise<boolean> {
    assertPolicyName(policyName);
    const parsed = parsePrincipal(principal, 'target');
    return this.#exclusive(async () => {
      const attachments = await this.#principals.get(parsed.principal);
      if (!attachments?.policies.some((p) => p.policyName === policyName)) return false;
      await this.#saveAttachments({ ...attachments, policies: attachments.policies.filter((p) => p.policyName !== policyName) });
      this.#emit({ type: 'policy.detached', policyName, principal: parsed.principal });
      return true;
    });
  }

  /** ListAttachedPolicies: the policies of a principal, each with its default version's document (the connect path). */
  async listAttachedPolicies(principal: string): Promise<Policy[]> {
    const parsed = parsePrincipal(principal, 'target');
    const attachments = await this.#principals.get(parsed.principal);
    if (!attachments) return [];
    const policies = await Promise.all(attachments.policies.map((p) => this.#readPolicy(p.policyName)));
    return policies.filter((p): p is StoredPolicy => p !== undefined).map(presentPolicy);
  }

  /** ListTargetsForPolicy: the principals a policy is attached to. */
  async listPolicyTargets(policyName: string): Promise<string[]> {
    assertPolicyName(policyName);
    await this.#requirePolicy(policyName);
    return this.#policyTargets(policyName);
  }

  // -------------------------------------------------------------- internals

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(work, work);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  #emit(change: RegistryChange): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch (error) {
        this.#logger?.error({ err: errorMessage(error), change: change.type }, 'registry change listener failed');
      }
    }
  }

  #nowIso(): string {
    return new Date(this.#clock.now()).toISOString();
  }

  async #writeNewThingType(thingTypeName: string, properties: ThingTypeProperties): Promise<StoredThingType> {
    const stored: StoredThingType = { thingTypeName, thingTypeId: randomUUID(), properties, deprecated: false, creationDate: this.#nowIso() };
    await this.#thingTypes.put(thingTypeName, stored);
    return stored;
  }

  async #requireThingType(thingTypeName: string): Promise<StoredThingType> {
    const stored = await this.#thingTypes.get(thingTypeName);
    if (!stored) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no thing type named '${thingTypeName}'`, { place: { field: 'thingTypeName' } });
    return stored;
  }

  /** A thing may take a type that exists and is not deprecated. */
  async #requireAssignableType(thingName: string, thingTypeName: string): Promise<void> {
    const type = await this.#thingTypes.get(thingTypeName);
    if (!type) {
      throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `thing '${thingName}': thingTypeName: no thing type named '${thingTypeName}'; create it first`, {
        place: { field: 'thingTypeName' },
      });
    }
    if (type.deprecated) {
      throw new SluiceError(
        'SLUICE_ERR_REQUEST_INVALID',
        `thing '${thingName}': thingTypeName: thing type '${thingTypeName}' is deprecated (since ${type.deprecationDate ?? 'unknown'}); a deprecated type takes no new things`,
        { place: { field: 'thingTypeName' } },
      );
    }
  }

  #requireCa(operation: string): CertificateAuthority {
    if (!this.#ca) throw new SluiceError('SLUICE_ERR_INTERNAL', `${operation}: this registry was created without the built-in CA`);
    return this.#ca;
  }

  #assertNotExpired(certificate: X509Certificate, field: string): void {
    const { notAfter } = validityOf(certificate);
    if (Date.parse(notAfter) < this.#clock.now()) {
      throw new SluiceError('SLUICE_ERR_CERTIFICATE_INVALID', `${field}: the certificate expired at ${notAfter}`, { place: { field } });
    }
  }

  /** Stores a new certificate record; the caller holds the write lock. */
  async #storeCertificate(
    certificate: X509Certificate,
    params: { status: CertificateStatus; origin: CertificateOrigin; caCertificateId?: string; autoRegistered: boolean },
  ): Promise<CertificateRecord> {
    const certificateId = sha256Hex(certificate.raw);
    if (await this.#certificates.get(certificateId)) {
      throw new SluiceError('SLUICE_ERR_ALREADY_EXISTS', `certificate ${certificateId} is already registered`);
    }
    const now = this.#nowIso();
    const mode: CertificateMode = params.origin === 'WITHOUT_CA' ? 'SNI_ONLY' : 'DEFAULT';
    const record: CertificateRecord = {
      certificateId,
      certificateArn: certificateArn(certificateId),
      certificatePem: certificate.toString(),
      status: params.status,
      certificateMode: mode,
      origin: params.origin,
      ...(params.caCertificateId !== undefined ? { caCertificateId: params.caCertificateId } : {}),
      validity: validityOf(certificate),
      creationDate: now,
      lastModifiedDate: now,
    };
    await this.#certificates.put(certificateId, record);
    this.#remember(certificateId, { x509: certificate });
    this.#emit({
      type: 'certificate.registered',
      certificateId,
      status: params.status,
      ...(params.caCertificateId !== undefined ? { caCertificateId: params.caCertificateId } : {}),
      autoRegistered: params.autoRegistered,
    });
    return record;
  }

  async #unknownCertificate(certificateId: string, der: Buffer): Promise<IdentifyResult> {
    let certificate: X509Certificate;
    try {
      certificate = this.#parse(certificateId, der).x509;
    } catch {
      return { ok: false, certificateId, reason: 'the client certificate does not parse' };
    }
    if (this.#ca?.isIssuerOf(certificate)) {
      return { ok: false, certificateId, reason: `unknown certificate ${certificateId}: issued by this server's CA but not registered (deleted?)` };
    }
    for (const { doc: caRecord } of await this.#caCertificates.list()) {
      if (caRecord.status !== 'ACTIVE' || caRecord.autoRegistrationStatus !== 'ENABLE') continue;
      const caCertificate = this.#parse(caRecord.certificateId, caRecord.certificatePem).x509;
      if (!(certificate.checkIssued(caCertificate) && certificate.verify(caCertificate.publicKey))) continue;
      const { notBefore, notAfter } = validityOf(certificate);
      const now = this.#clock.now();
      if (now < Date.parse(notBefore) || now > Date.parse(notAfter)) {
        return { ok: false, certificateId, reason: `unknown certificate ${certificateId}, outside its validity period; not auto-registered` };
      }
      try {
        assertAcceptablePublicKey(certificate.publicKey, 'client certificate');
      } catch (error) {
        return { ok: false, certificateId, reason: `unknown certificate ${certificateId}: ${errorMessage(error)}; not auto-registered` };
      }
      await this.#exclusive(async () => {
        if (await this.#certificates.get(certificateId)) return;
        await this.#storeCertificate(certificate, {
          status: 'PENDING_ACTIVATION',
          origin: 'REGISTERED_CA',
          caCertificateId: caRecord.certificateId,
          autoRegistered: true,
        });
      });
      return {
        ok: false,
        certificateId,
        reason: `certificate ${certificateId} was unknown and is now registered PENDING_ACTIVATION (auto-registration by CA ${caRecord.certificateId}); activate it to connect`,
      };
    }
    return { ok: false, certificateId, reason: `unknown certificate ${certificateId}: register it, or the CA that issued it` };
  }

  #parse(certificateId: string, source: string | Buffer): ParsedCertificate {
    const cached = this.#parsed.get(certificateId);
    if (cached) return cached;
    const parsed: ParsedCertificate = { x509: new X509Certificate(source) };
    this.#remember(certificateId, parsed);
    return parsed;
  }

  #remember(certificateId: string, parsed: ParsedCertificate): void {
    if (this.#parsed.size >= PARSED_CACHE_SIZE) {
      const oldest = this.#parsed.keys().next();
      if (!oldest.done) this.#parsed.delete(oldest.value);
    }
    this.#parsed.set(certificateId, parsed);
  }

  /** Whether `issuer` signed the certificate; verified once per certificate and CA. */
  #verifiedBy(certificateId: string, der: Buffer, issuerId: string, issuer: X509Certificate): boolean {
    const parsed = this.#parse(certificateId, der);
    if (parsed.verifiedBy === issuerId) return true;
    const ok = parsed.x509.checkIssued(issuer) && parsed.x509.verify(issuer.publicKey);
    if (ok) parsed.verifiedBy = issuerId;
    return ok;
  }

  async #assertPrincipalExists(principal: string): Promise<void> {
    const parsed = parsePrincipal(principal);
    if (parsed.kind === 'certificate' && !(await this.#certificates.get(parsed.certificateId))) {
      throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no certificate ${parsed.certificateId}`);
    }
    // Device tokens live in the token store; their principals are taken as given.
  }

  async #saveAttachments(attachments: PrincipalAttachments): Promise<void> {
    if (isEmpty(attachments)) await this.#principals.delete(attachments.principal);
    else await this.#principals.put(attachments.principal, attachments);
  }

  async #thingPrincipals(thingName: string): Promise<ThingPrincipal[]> {
    const out: ThingPrincipal[] = [];
    for (const { doc } of await this.#principals.list()) {
      const attachment = doc.things.find((t) => t.thingName === thingName);
      if (attachment) out.push({ principal: doc.principal, thingPrincipalType: attachment.thingPrincipalType });
    }
    return out;
  }

  async #policyTargets(policyName: string): Promise<string[]> {
    return (await this.#principals.list()).filter(({ doc }) => doc.policies.some((p) => p.policyName === policyName)).map(({ doc }) => doc.principal);
  }

  async #readPolicy(policyName: string): Promise<StoredPolicy | undefined> {
    const stored = await this.#policies.get(policyName);
    return stored ? normalizePolicy(stored) : undefined;
  }

  async #requirePolicy(policyName: string): Promise<StoredPolicy> {
    const policy = await this.#readPolicy(policyName);
    if (!policy) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no policy '${policyName}'`);
    return policy;
  }

  async #writeNewPolicy(policyName: string, document: PolicyDocument, now: string): Promise<StoredPolicy> {
    const policy: StoredPolicy = {
      policyName,
      defaultVersionId: 1,
      lastVersionId: 1,
      versions: [{ versionId: 1, document, createDate: now }],
      createdAt: now,
      updatedAt: now,
    };
    await this.#policies.put(policyName, policy);
    return policy;
  }
}

function assertThingName(thingName: string): void {
  if (typeof thingName !== 'string' || !THING_NAME.test(thingName)) {
    throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `invalid thing name '${String(thingName)}': use 1-128 of [a-zA-Z0-9:_-]`, { place: { field: 'thingName' } });
  }
}

function assertThingTypeName(thingTypeName: string): void {
  if (typeof thingTypeName !== 'string' || !THING_TYPE_NAME.test(thingTypeName)) {
    throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `invalid thing type name '${String(thingTypeName)}': use 1-128 of [a-zA-Z0-9:_-]`, {
      place: { field: 'thingTypeName' },
    });
  }
}

function thingMatches(thing: StoredThing, filter: ListThingsOptions): boolean {
  if (filter.thingTypeName !== undefined && thing.thingTypeName !== filter.thingTypeName) return false;
  if (filter.attributeName === undefined) return true;
  if (!Object.hasOwn(thing.attributes, filter.attributeName)) return false;
  const value = thing.attributes[filter.attributeName] ?? '';
  if (filter.attributeValue === undefined) return true;
  return filter.usePrefixAttributeValue ? value.startsWith(filter.attributeValue) : value === filter.attributeValue;
}

function assertPolicyName(policyName: string): void {
  if (typeof policyName !== 'string' || !POLICY_NAME.test(policyName)) {
    throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `invalid policy name '${String(policyName)}': use 1-128 of [A-Za-z0-9_+=,.@-]`, {
      place: { field: 'policyName' },
    });
  }
}

function parsePolicyDocument(policyName: string, document: unknown): PolicyDocument {
  const parsed = policyDocumentSchema.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = `document.${formatFieldPath(issue?.path ?? [])}`;
    throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `policy '${policyName}': ${field}: ${issue?.message ?? 'invalid'}`, { place: { field } });
  }
  const length = JSON.stringify(parsed.data).length;
  if (length > MAX_POLICY_DOCUMENT_LENGTH) {
    throw new SluiceError(
      'SLUICE_ERR_REQUEST_INVALID',
      `policy '${policyName}': document: ${length} characters without whitespace; AWS IoT allows at most ${MAX_POLICY_DOCUMENT_LENGTH}`,
      { place: { field: 'document' } },
    );
  }
  return parsed.data;
}

function parseVersionId(versionId: string | number): number {
  const text = String(versionId);
  if (!/^[1-9][0-9]{0,8}$/.test(text)) {
    throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `policyVersionId: '${text}' is not a version id (1, 2, ...)`, { place: { field: 'policyVersionId' } });
  }
  return Number(text);
}

function safeCertificateId(certificateId: string): string | undefined {
  try {
    return normalizeCertificateId(certificateId);
  } catch {
    return undefined;
  }
}

function sortedEntries(record: Record<string, string>): Array<[string, string]> {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function presentThing(thing: StoredThing): Thing {
  return {
    thingName: thing.thingName,
    thingArn: thingArn(thing.thingName),
    attributes: thing.attributes,
    ...(thing.thingTypeName !== undefined ? { thingTypeName: thing.thingTypeName } : {}),
    createdAt: thing.createdAt,
    updatedAt: thing.updatedAt,
  };
}

function normalizePolicy(stored: StoredPolicy | LegacyPolicy): StoredPolicy {
  if ('versions' in stored) return stored;
  return {
    policyName: stored.policyName,
    defaultVersionId: stored.version,
    lastVersionId: stored.version,
    versions: [{ versionId: stored.version, document: stored.document, createDate: stored.updatedAt }],
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
  };
}

function defaultVersion(policy: StoredPolicy): StoredPolicyVersion {
  const version = policy.versions.find((v) => v.versionId === policy.defaultVersionId);
  if (!version) throw new SluiceError('SLUICE_ERR_INTERNAL', `policy '${policy.policyName}' has no default version ${policy.defaultVersionId}`);
  return version;
}

function presentPolicy(policy: StoredPolicy): Policy {
  return {
    policyName: policy.policyName,
    policyArn: policyArn(policy.policyName),
    document: defaultVersion(policy).document,
    version: policy.defaultVersionId,
    defaultVersionId: String(policy.defaultVersionId),
    createdAt: policy.createdAt,
    updatedAt: policy.updatedAt,
  };
}

function presentVersion(policy: StoredPolicy, versionId: number): PolicyVersion {
  const version = policy.versions.find((v) => v.versionId === versionId);
  if (!version) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `policy '${policy.policyName}' has no version ${versionId}`);
  return {
    policyName: policy.policyName,
    policyArn: policyArn(policy.policyName),
    versionId: String(versionId),
    isDefaultVersion: versionId === policy.defaultVersionId,
    document: version.document,
    createDate: version.createDate,
  };
}
