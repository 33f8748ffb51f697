/**
 * The AWS IoT Core policy engine for one connection.
 *
 * `createAuthorizer` compiles the attached policies once per connection:
 * variables are substituted, conditions evaluated (every key Sluice provides
 * is fixed for the connection), the ARN prefix of every resource checked
 * against the scope, and what is left is, per MQTT action, a list of Deny and
 * a list of Allow statements with precompiled resource matchers.
 *
 * Decisions follow IAM's evaluation logic: an explicit Deny wins; otherwise
 * an Allow allows; otherwise the request is implicitly denied. `allows` caches
 * its decisions per (action, resource) in bounded maps, and its cached path
 * allocates nothing.
 */
import { ARN_PARTITION } from '../../core/index.js';
import { evaluateConditions, type ConditionBlock } from './conditions.js';
import { KeyResolver } from './context.js';
import { statementsOf, type PolicyDocument, type PolicyStatement, type StringOrList } from './document.js';
import { compileGlob, matchAnything, type Matcher } from './glob.js';
import { parseTemplate, renderTemplate, splitArnPieces } from './template.js';

export type IotAction = 'iot:Connect' | 'iot:Publish' | 'iot:Subscribe' | 'iot:Receive' | 'iot:RetainPublish';

export interface AlternativeNames {
  dnsName?: string[];
  ipAddress?: string[];
  rfc822Name?: string[];
  uniformResourceIdentifier?: string[];
  /** As AWS shows it: `cn=LightBulbCert,ou=SmartHome,o=IoT,c=US`. */
  directoryName?: string[];
  /** Accepted; AWS has no policy variable for otherName. */
  otherName?: string[];
}

export interface CertificateFields {
  certificateId: string;
  /** Hex, as AWS shows it (`92:12:85:cb:b7:a5:e0:86` or without colons); policies see it in decimal, as AWS's do. */
  serialNumber?: string;
  /**
   * Attribute values as decoded from the certificate (not escaped), by AWS's
   * variable names: CommonName, Country, Organization, OrganizationalUnit,
   * State, Locality, SerialNumber, Title, Surname, GivenName, Initials,
   * Pseudonym, GenerationQualifier, DistinguishedNameQualifier, EmailAddress.
   */
  subject: Record<string, string[]>;
  issuer: Record<string, string[]>;
  /** Accepted for callers' convenience; AWS IoT defines no policy variable for the validity period. */
  notBefore?: string;
  notAfter?: string;
  subjectAlternativeName?: AlternativeNames;
  /** `iot:Certificate.Issuer.AlternativeName.*` (X509v3 Issuer Alternative Name). */
  issuerAlternativeName?: AlternativeNames;
}

export interface ConnectionContext {
  clientId: string;
  /** Certificate id or token principal. */
  principal?: string;
  /**
   * `iot:Connection.Thing.ThingName`: the thing attached to the connecting
   * principal whose name equals the client id or, when exactly one thing is
   * attached (AWS's exclusive association), that thing. Leave it unset when
   * no thing applies; then ThingName, ThingTypeName and Attributes[...] have
   * no value.
   */
  thingName?: string;
  /** `iot:Connection.Thing.IsAttached`. */
  isAttached: boolean;
  thingAttributes?: Record<string, string>;
  thingTypeName?: string;
  certificate?: CertificateFields;
  /** `aws:SourceIp`. */
  sourceIp?: string;
  /**
   * `iot:ConnectAttributes` (AWS: `PersistentConnect` for a session that is
   * not clean, `LastWill` when the CONNECT has a will). Unset: the key has no
   * value, so `ForAllValues:` conditions on it are true and `ForAnyValue:` false.
   */
  connectAttributes?: readonly string[];
  /** `iot:LastWillTopic`: the will's topic (the key's value is its topic ARN). */
  lastWillTopic?: string;
}

export interface PolicyScope {
  region: string;
  account: string;
}

export interface Authorizer {
  /** resource: the client id for Connect; the topic for Publish, Receive, RetainPublish; the topic filter for Subscribe */
  allows(action: IotAction, resource: string): boolean;
  /** for logs and the API: which statement decided, or 'implicit deny' */
  explain(action: IotAction, resource: string): { allowed: boolean; reason: string };
}

export interface AuthorizerOptions {
  /** Names for the documents, by index, used in explain()'s reasons; otherwise `policy[i]`. */
  policyNames?: readonly string[];
  /** Cached decisions per action (oldest evicted first); 0 turns the cache off. Default 1,000. */
  cacheSize?: number;
}

export const DEFAULT_DECISION_CACHE_SIZE = 1000;

const ACTIONS: readonly IotAction[] = ['iot:Connect', 'iot:Publish', 'iot:Subscribe', 'iot:Receive', 'iot:RetainPublish'];
/** The resource type each action's ARN names (AWS IoT Core action resources). */
const RESOURCE_TYPE: readonly string[] = ['client/', 'topic/', 'topicfilter/', 'topic/', 'topic/'];

function actionIndex(action: string): number {
  switch (action) {
    case 'iot:Connect':
      return 0;
    case 'iot:Publish':
      return 1;
    case 'iot:Subscribe':
      return 2;
    case 'iot:Receive':
      return 3;
    case 'iot:RetainPublish':
      return 4;
    default:
      return -1;
  }
}

interface CompiledResource {
  readonly source: string;
  readonly match: Matcher | undefined;
  /** Why `match` is undefined (the entry matches nothing). */
  readonly never: string | undefined;
}

interface CompiledStatement {
  readonly label: string;
  readonly allow: boolean;
  readonly notResource: boolean;
  readonly resources: readonly CompiledResource[];
  /** False when the Condition block does not hold for this connection. */
  readonly active: boolean;
  readonly inactiveReason: string;
}

function toList(value: StringOrList | undefined): readonly string[] {
  return value === undefined ? [] : typeof value === 'string' ? [value] : value;
}

function statementMatches(statement: CompiledStatement, subject: string): boolean {
  const resources = statement.resources;
  let any = false;
  for (let i = 0; i < resources.length; i++) {
    const match = resources[i]!.match;
    if (match !== undefined && match(subject)) {
      any = true;
      break;
    }
  }
  return any !== statement.notResource;
}

class CompiledAuthorizer implements Authorizer {
  readonly #scope: PolicyScope;
  /** Per action index: the active Deny statements, then the active Allow ones. */
  readonly #deny: CompiledStatement[][] = ACTIONS.map(() => []);
  readonly #allow: CompiledStatement[][] = ACTIONS.map(() => []);
  /** Per action index: every statement that names the action, active or not (for explain). */
  readonly #all: CompiledStatement[][] = ACTIONS.map(() => []);
  readonly #caches: Array<Map<string, boolean>> = ACTIONS.map(() => new Map());
  readonly #cacheSize: number;

  constructor(documents: readonly PolicyDocument[], context: ConnectionContext, scope: PolicyScope, options: AuthorizerOptions) {
    this.#scope = scope;
    this.#cacheSize = Math.max(0, Math.floor(options.cacheSize ?? DEFAULT_DECISION_CACHE_SIZE));
    const keys = new KeyResolver(context, scope);
    const resourceCache = new Map<string, CompiledResource>();
    const compileResourceOnce = (source: string): CompiledResource => {
      let compiled = resourceCache.get(source);
      if (!compiled) {
        compiled = compileResource(source, keys, scope);
        resourceCache.set(source, compiled);
      }
      return compiled;
    };
    documents.forEach((document, d) => {
      const name = options.policyNames?.[d];
      const policyLabel = name !== undefined ? `policy '${name}'` : `policy[${d}]`;
      const single = !Array.isArray(document.Statement);
      statementsOf(document).forEach((statement, s) => {
        const label = `${policyLabel} ${single ? 'Statement' : `Statement[${s}]`}${statement.Sid ? ` (Sid ${statement.Sid})` : ''}`;
        const appliesTo = actionsOf(statement);
        if (!appliesTo.some(Boolean)) return;
        const condition = evaluateConditions(statement.Condition as ConditionBlock | undefined, keys);
        const notResource = statement.Resource === undefined && statement.NotResource !== undefined;
        const compiled: CompiledStatement = {
          label,
          allow: statement.Effect === 'Allow',
          notResource,
          resources: toList(notResource ? statement.NotResource : statement.Resource).map(compileResourceOnce),
          active: condition.holds && (statement.Effect === 'Allow' || statement.Effect === 'Deny'),
          inactiveReason: condition.holds ? `Effect ${String(statement.Effect)} is neither Allow nor Deny` : condition.reason,
        };
        appliesTo.forEach((applies, a) => {
          if (!applies) return;
          this.#all[a]!.push(compiled);
          if (compiled.active) (compiled.allow ? this.#allow : this.#deny)[a]!.push(compiled);
        });
      });
    });
  }

  allows(action: IotAction, resource: string): boolean {
    const a = actionIndex(action);
    if (a < 0) return false;
    const cache = this.#caches[a]!;
    const hit = cache.get(resource);
    if (hit !== undefined) return hit;
    const decider = this.#decide(a, RESOURCE_TYPE[a]! + resource);
    const allowed = decider !== undefined && decider.allow;
    if (this.#cacheSize > 0) {
      if (cache.size >= this.#cacheSize) {
        const oldest = cache.keys().next();
        if (!oldest.done) cache.delete(oldest.value);
      }
      cache.set(resource, allowed);
    }
    return allowed;
  }

  explain(action: IotAction, resource: string): { allowed: boolean; reason: string } {
    const a = actionIndex(action);
    if (a < 0) return { allowed: false, reason: `implicit deny: ${String(action)} is not an action Sluice authorizes` };
    const subject = RESOURCE_TYPE[a]! + resource;
    const decider = this.#decide(a, subject);
    if (decider) {
      return decider.allow
        ? { allowed: true, reason: `allowed by ${decider.label}` }
        : { allowed: false, reason: `explicit deny by ${decider.label}` };
    }
    const arn = `arn:aws:iot:${this.#scope.region}:${this.#scope.account}:${subject}`;
    const hints: string[] = [];
    for (const statement of this.#all[a]!) {
      if (!statement.allow || hints.length >= 3) continue;
      if (!statement.active) {
        if (statementMatches(statement, subject)) hints.push(`${statement.label} would allow it, but its Condition does not hold (${statement.inactiveReason})`);
      } else if (!statement.notResource) {
        const unresolved = statement.resources.find((r) => r.match === undefined && r.never?.startsWith('${'));
        if (unresolved) hints.push(`${statement.label}: ${unresolved.never} in '${unresolved.source}'`);
      }
    }
    const note = hints.length > 0 ? `; ${hints.join('; ')}` : '';
    return { allowed: false, reason: `implicit deny: no statement allows ${action} on ${arn}${note}` };
  }

  /** The statement that decides: the first matching Deny, else the first matching Allow. */
  #decide(a: number, subject: string): CompiledStatement | undefined {
    const deny = this.#deny[a]!;
    for (let i = 0; i < deny.length; i++) if (statementMatches(deny[i]!, subject)) return deny[i];
    const allow = this.#allow[a]!;
    for (let i = 0; i < allow.length; i++) if (statementMatches(allow[i]!, subject)) return allow[i];
    return undefined;
  }
}

/** Which of the five MQTT actions a statement's Action/NotAction covers (action names are case-insensitive, as IAM's). */
function actionsOf(statement: PolicyStatement): boolean[] {
  const not = statement.Action === undefined && statement.NotAction !== undefined;
  const patterns = toList(not ? statement.NotAction : statement.Action).map((p) => compileGlob([{ text: p, wild: true }], true));
  return ACTIONS.map((action) => patterns.some((p) => p(action)) !== not);
}

/** The partitions a policy resource may name: AWS's (policies written for AWS) and Sluice's own. */
const PARTITIONS = ['aws', ARN_PARTITION];

function compileResource(source: string, keys: KeyResolver, scope: PolicyScope): CompiledResource {
  if (source === '*') return { source, match: matchAnything, never: undefined };
  const never = (why: string): CompiledResource => ({ source, match: undefined, never: why });
  const parsed = parseTemplate(source);
  if (!parsed.ok) return never(parsed.message);
  const { pieces, unresolved } = renderTemplate(parsed.parts, (name) => keys.variable(name));
  if (unresolved !== undefined) return never(`\${${unresolved}} has no value for this connection`);
  const segments = splitArnPieces(pieces);
  if (!segments) return never('not an ARN');
  const [arn, partition, service, region, account, rest] = segments as [typeof pieces, typeof pieces, typeof pieces, typeof pieces, typeof pieces, typeof pieces];
  if (!compileGlob(arn)('arn')) return never('not an ARN');
  const partitionMatch = compileGlob(partition);
  if (!PARTITIONS.some((p) => partitionMatch(p))) return never(`partition is not ${PARTITIONS.join(' or ')}`);
  if (!compileGlob(service)('iot')) return never('not an iot resource');
  if (!compileGlob(region)(scope.region)) return never(`region is not ${scope.region}`);
  if (!compileGlob(account)(scope.account)) return never(`account is not ${scope.account}`);
  return { source, match: compileGlob(rest), never: undefined };
}

export function createAuthorizer(
  documents: readonly PolicyDocument[],
  context: ConnectionContext,
  scope: PolicyScope,
  options: AuthorizerOptions = {},
): Authorizer {
  return new CompiledAuthorizer(documents, context, scope, options);
}
