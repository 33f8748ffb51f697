/**
 * The keys a policy can read, for one connection: as `${variables}` in
 * resources and condition values, and as condition keys. Every key here is
 * fixed for the life of a connection, which is what lets the authorizer
 * evaluate conditions once, at compile time.
 *
 * Key names are case-insensitive (IAM: "Key names are case-insensitive"); a
 * thing attribute's name, inside the brackets, is not.
 */
import type { CertificateFields, ConnectionContext, PolicyScope } from './authorizer.js';

/** Subject and issuer attributes, by the names AWS's variables use. */
export const DN_FIELDS = [
  'CommonName',
  'Country',
  'Organization',
  'OrganizationalUnit',
  'State',
  'Locality',
  'SerialNumber',
  'Title',
  'Surname',
  'GivenName',
  'Initials',
  'Pseudonym',
  'GenerationQualifier',
  'DistinguishedNameQualifier',
  'EmailAddress',
] as const;

/** Alternative-name variables → CertificateFields.subjectAlternativeName fields. */
export const ALT_NAME_FIELDS = {
  RFC822Name: 'rfc822Name',
  DNSName: 'dnsName',
  DirectoryName: 'directoryName',
  UniformResourceIdentifier: 'uniformResourceIdentifier',
  IPAddress: 'ipAddress',
} as const;

type AltNameField = (typeof ALT_NAME_FIELDS)[keyof typeof ALT_NAME_FIELDS];
type Select = number | 'list';

export type KeyDescriptor =
  | { kind: 'clientId' | 'certificateId' | 'sourceIp' | 'thingName' | 'thingTypeName' | 'isAttached' | 'serialNumber' | 'availableKeys' | 'connectAttributes' | 'lastWillTopic' }
  | { kind: 'attribute'; name: string }
  | { kind: 'dn'; which: 'Subject' | 'Issuer'; field: string; select: Select }
  | { kind: 'altName'; which: 'Subject' | 'Issuer'; variable: string; field: AltNameField; select: Select };

const SIMPLE_KEYS: Record<string, KeyDescriptor> = {
  'iot:clientid': { kind: 'clientId' },
  'iot:certificateid': { kind: 'certificateId' },
  'aws:sourceip': { kind: 'sourceIp' },
  'iot:connection.thing.thingname': { kind: 'thingName' },
  // Not in AWS's list of thing policy variables, but AWS's own Publish/Subscribe
  // examples use it ("Registered devices (8)-(10)"): an alias.
  'iot:thing.thingname': { kind: 'thingName' },
  'iot:connection.thing.thingtypename': { kind: 'thingTypeName' },
  'iot:connection.thing.isattached': { kind: 'isAttached' },
  'iot:certificate.serialnumber': { kind: 'serialNumber' },
  'iot:certificate.availablekeys': { kind: 'availableKeys' },
  'iot:connectattributes': { kind: 'connectAttributes' },
  'iot:lastwilltopic': { kind: 'lastWillTopic' },
};

const DN_BY_LOWER = new Map<string, string>(DN_FIELDS.map((f) => [f.toLowerCase(), f]));
const ALT_BY_LOWER = new Map<string, [string, AltNameField]>(
  Object.entries(ALT_NAME_FIELDS).map(([variable, field]) => [variable.toLowerCase(), [variable, field]]),
);
const ATTRIBUTE_KEY = /^iot:connection\.thing\.attributes\[(.+)\]$/is;
const CERT_KEY = /^iot:certificate\.(subject|issuer)\.(alternativename\.)?([a-z0-9]+)(?:\.(\d+|list))?$/i;

/** What a key name refers to, or `undefined` when Sluice does not know the key. */
export function describeKey(name: string): KeyDescriptor | undefined {
  const lower = name.toLowerCase();
  const simple = SIMPLE_KEYS[lower];
  if (simple) return simple;
  const attribute = ATTRIBUTE_KEY.exec(name);
  if (attribute) return { kind: 'attribute', name: attribute[1]! };
  const cert = CERT_KEY.exec(name);
  if (!cert) return undefined;
  const which = cert[1]!.toLowerCase() === 'subject' ? 'Subject' : 'Issuer';
  const suffix = cert[4]?.toLowerCase();
  const select: Select = suffix === undefined ? 0 : suffix === 'list' ? 'list' : Number(suffix);
  if (cert[2]) {
    const alt = ALT_BY_LOWER.get(cert[3]!.toLowerCase());
    return alt ? { kind: 'altName', which, variable: alt[0], field: alt[1], select } : undefined;
  }
  const field = DN_BY_LOWER.get(cert[3]!.toLowerCase());
  return field ? { kind: 'dn', which, field, select } : undefined;
}

/** Multi-valued keys: usable in conditions (with ForAnyValue/ForAllValues), not as `${variables}`. */
export function isMultiValued(key: KeyDescriptor): boolean {
  return (
    key.kind === 'availableKeys' ||
    key.kind === 'connectAttributes' ||
    ((key.kind === 'dn' || key.kind === 'altName') && key.select === 'list')
  );
}

/** AWS: "Certificate attributes that contain arrays are limited to five items." */
const MAX_CERT_VALUES = 5;
/** AWS: "All string values are limited to 1024 characters." */
const MAX_CERT_VALUE_LENGTH = 1024;
/** AWS: with one of these in it, a certificate attribute is not substituted. */
const CERT_WILDCARDS = /[*$+?#]/;
/** AWS: these "must be prefixed with a backslash" (`+` never gets here: it is a wildcard above). */
const DN_SPECIALS = /[,"\\=<>;]/g;

/**
 * A certificate attribute's usable values, position kept (`undefined` where
 * AWS would leave the variable unsubstituted: wildcard characters or longer
 * than 1,024 characters).
 */
function certValues(raw: readonly string[] | undefined, escapeDn: boolean): Array<string | undefined> {
  if (!raw) return [];
  return raw.slice(0, MAX_CERT_VALUES).map((value) => {
    if (value.length > MAX_CERT_VALUE_LENGTH || CERT_WILDCARDS.test(value)) return undefined;
    return escapeDn ? value.replace(DN_SPECIALS, (c) => `\\${c}`) : value;
  });
}

function lookupDn(record: Record<string, string[]> | undefined, field: string): readonly string[] | undefined {
  if (!record) return undefined;
  const direct = record[field];
  if (direct) return direct;
  const lower = field.toLowerCase();
  for (const [key, values] of Object.entries(record)) if (key.toLowerCase() === lower) return values;
  return undefined;
}

/** `92:12:85:cb:b7:a5:e0:86` → `10525622389124227206`: AWS treats the serial number as a decimal integer. */
export function serialNumberToDecimal(hex: string): string | undefined {
  const digits = hex.replace(/[\s:]/g, '');
  if (!/^[0-9a-fA-F]+$/.test(digits)) return undefined;
  return BigInt(`0x${digits}`).toString(10);
}

function select(values: Array<string | undefined>, which: Select): readonly string[] | undefined {
  if (which === 'list') {
    const present = values.filter((v): v is string => v !== undefined);
    return present.length > 0 ? present : undefined;
  }
  const value = values[which];
  return value === undefined ? undefined : [value];
}

/** Resolves keys against one connection; results are memoised (a policy set names few keys). */
export class KeyResolver {
  readonly #context: ConnectionContext;
  readonly #scope: PolicyScope;
  readonly #memo = new Map<string, { known: boolean; values: readonly string[] | undefined; multi: boolean }>();
  #availableKeys: readonly string[] | undefined | null = null;

  constructor(context: ConnectionContext, scope: PolicyScope) {
    this.#context = context;
    this.#scope = scope;
  }

  /** `known: false` for keys Sluice does not provide; `values: undefined` when the key has no value here. */
  key(name: string): { known: boolean; values: readonly string[] | undefined; multi: boolean } {
    const memo = this.#memo.get(name);
    if (memo) return memo;
    const descriptor = describeKey(name);
    const result = descriptor
      ? { known: true, values: this.#values(descriptor), multi: isMultiValued(descriptor) }
      : { known: false, values: undefined, multi: false };
    this.#memo.set(name, result);
    return result;
  }

  /** A `${variable}`'s value: single-valued keys only. */
  variable(name: string): string | undefined {
    const { values, multi } = this.key(name);
    return multi ? undefined : values?.[0];
  }

  #values(key: KeyDescriptor): readonly string[] | undefined {
    const c = this.#context;
    const thing = c.thingName !== undefined && c.thingName !== '' ? c.thingName : undefined;
    const one = (v: string | undefined): readonly string[] | undefined => (v === undefined ? undefined : [v]);
    switch (key.kind) {
      case 'clientId':
        return [c.clientId];
      case 'certificateId':
        return one(c.certificate?.certificateId);
      case 'sourceIp':
        return one(c.sourceIp);
      case 'thingName':
        return one(thing);
      case 'thingTypeName':
        return thing === undefined ? undefined : one(c.thingTypeName);
      case 'attribute':
        return thing === undefined ? undefined : one(c.thingAttributes?.[key.name]);
      case 'isAttached':
        return [c.isAttached ? 'true' : 'false'];
      case 'serialNumber':
        return c.certificate?.serialNumber === undefined ? undefined : one(serialNumberToDecimal(c.certificate.serialNumber));
      case 'availableKeys':
        if (this.#availableKeys === null) this.#availableKeys = availableKeys(c.certificate);
        return this.#availableKeys;
      case 'connectAttributes':
        return c.connectAttributes && c.connectAttributes.length > 0 ? c.connectAttributes : undefined;
      case 'lastWillTopic':
        return c.lastWillTopic === undefined
          ? undefined
          : [`arn:aws:iot:${this.#scope.region}:${this.#scope.account}:topic/${c.lastWillTopic}`];
      case 'dn': {
        const record = key.which === 'Subject' ? c.certificate?.subject : c.certificate?.issuer;
        return select(certValues(lookupDn(record, key.field), true), key.select);
      }
      case 'altName': {
        const names = key.which === 'Subject' ? c.certificate?.subjectAlternativeName : c.certificate?.issuerAlternativeName;
        return select(certValues(names?.[key.field], false), key.select);
      }
    }
  }
}

/** `iot:Certificate.AvailableKeys`: the certificate variables that have a value. */
function availableKeys(certificate: CertificateFields | undefined): readonly string[] | undefined {
  if (!certificate) return undefined;
  const keys: string[] = [];
  const usable = (values: readonly string[] | undefined) => certValues(values, false).some((v) => v !== undefined);
  for (const which of ['Subject', 'Issuer'] as const) {
    const record = which === 'Subject' ? certificate.subject : certificate.issuer;
    for (const field of DN_FIELDS) if (usable(lookupDn(record, field))) keys.push(`iot:Certificate.${which}.${field}`);
    const alt = which === 'Subject' ? certificate.subjectAlternativeName : certificate.issuerAlternativeName;
    for (const [variable, field] of Object.entries(ALT_NAME_FIELDS)) {
      if (usable(alt?.[field])) keys.push(`iot:Certificate.${which}.AlternativeName.${variable}`);
    }
  }
  if (certificate.serialNumber !== undefined && serialNumberToDecimal(certificate.serialNumber) !== undefined) {
    keys.push('iot:Certificate.SerialNumber');
  }
  return keys.length > 0 ? keys : undefined;
}
