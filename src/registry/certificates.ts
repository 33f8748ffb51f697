import { X509Certificate } from 'node:crypto';
import { ARN_ACCOUNT, ARN_PARTITION, ARN_REGION, SluiceError } from '../core/index.js';
import { MAX_PEM_LENGTH } from './ca/index.js';
import { x509 } from './ca/x509.js';
import type { AlternativeNames as CertificateAlternativeNames, CertificateFields } from './policy/index.js';

/**
 * Certificates as AWS IoT Core models them: the id is the SHA-256 of the DER
 * (lower-case hex), the status decides whether a device may connect.
 */
export const CERTIFICATE_STATUSES = ['ACTIVE', 'INACTIVE', 'REVOKED', 'PENDING_ACTIVATION'] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];
/** What `registerCertificate` and `updateCertificateStatus` accept; PENDING_ACTIVATION is only set by auto-registration. */
export const SETTABLE_CERTIFICATE_STATUSES = ['ACTIVE', 'INACTIVE', 'REVOKED'] as const;
export type SettableCertificateStatus = (typeof SETTABLE_CERTIFICATE_STATUSES)[number];

export const CA_CERTIFICATE_STATUSES = ['ACTIVE', 'INACTIVE'] as const;
export type CaCertificateStatus = (typeof CA_CERTIFICATE_STATUSES)[number];
export const AUTO_REGISTRATION_STATUSES = ['ENABLE', 'DISABLE'] as const;
export type AutoRegistrationStatus = (typeof AUTO_REGISTRATION_STATUSES)[number];

/**
 * Who vouches for a certificate: Sluice's built-in CA, a CA registered with
 * `registerCaCertificate`, or nobody (registered without a CA, AWS's
 * `RegisterCertificateWithoutCA`: the certificate is trusted by itself).
 */
export type CertificateOrigin = 'SLUICE_CA' | 'REGISTERED_CA' | 'WITHOUT_CA';
/** AWS's certificate modes: SNI_ONLY for certificates registered without a CA. */
export type CertificateMode = 'DEFAULT' | 'SNI_ONLY';

export interface CertificateValidity {
  /** ISO 8601. */
  notBefore: string;
  notAfter: string;
}

export interface CertificateRecord {
  certificateId: string;
  certificateArn: string;
  certificatePem: string;
  status: CertificateStatus;
  certificateMode: CertificateMode;
  origin: CertificateOrigin;
  /** The id of the CA that signed it: the built-in CA's or a registered one's. */
  caCertificateId?: string;
  validity: CertificateValidity;
  creationDate: string;
  lastModifiedDate: string;
}

export interface CaCertificateRecord {
  certificateId: string;
  certificateArn: string;
  certificatePem: string;
  status: CaCertificateStatus;
  autoRegistrationStatus: AutoRegistrationStatus;
  certificateMode: 'DEFAULT';
  /** The CA's subject, one RDN per line as node:crypto prints it. */
  subject: string;
  validity: CertificateValidity;
  creationDate: string;
  lastModifiedDate: string;
}

/** CreateKeysAndCertificate's result, with AWS's field names. The private key is never stored. */
export interface KeysAndCertificate {
  certificateId: string;
  certificateArn: string;
  certificatePem: string;
  keyPair: { PublicKey: string; PrivateKey: string };
}

/** CreateCertificateFromCsr's result. */
export interface CertificateFromCsr {
  certificateId: string;
  certificateArn: string;
  certificatePem: string;
}

/** RegisterCertificate's and RegisterCACertificate's result. */
export interface RegisteredCertificate {
  certificateId: string;
  certificateArn: string;
}

/** What the broker learns about a TLS client certificate. */
export type IdentifyResult =
  | { ok: true; certificate: CertificateRecord }
  | { ok: false; reason: string; certificateId?: string };

/**
 * The certificate as AWS IoT policy variables see it (`iot:Certificate.*`):
 * the policy engine's type, filled in here from the X.509 certificate.
 */
export type { CertificateAlternativeNames, CertificateFields };

/** AWS's distinguished-name attribute names → their OIDs. */
export const DN_ATTRIBUTE_OIDS = {
  CommonName: '2.5.4.3',
  Surname: '2.5.4.4',
  SerialNumber: '2.5.4.5',
  Country: '2.5.4.6',
  Locality: '2.5.4.7',
  State: '2.5.4.8',
  Organization: '2.5.4.10',
  OrganizationalUnit: '2.5.4.11',
  Title: '2.5.4.12',
  GivenName: '2.5.4.42',
  Initials: '2.5.4.43',
  GenerationQualifier: '2.5.4.44',
  DistinguishedNameQualifier: '2.5.4.46',
  Pseudonym: '2.5.4.65',
  EmailAddress: '1.2.840.113549.1.9.1',
} as const;

export const CERTIFICATE_ID = /^[0-9a-f]{64}$/;

export function certificateArn(certificateId: string): string {
  return `arn:${ARN_PARTITION}:iot:${ARN_REGION}:${ARN_ACCOUNT}:cert/${certificateId}`;
}

export function caCertificateArn(certificateId: string): string {
  return `arn:${ARN_PARTITION}:iot:${ARN_REGION}:${ARN_ACCOUNT}:cacert/${certificateId}`;
}

/** Accepts AWS's id pattern (`(0x)?[a-fA-F0-9]{64}`); returns lower-case hex. */
export function normalizeCertificateId(value: unknown, field = 'certificateId'): string {
  const text = typeof value === 'string' ? value.trim().replace(/^0x/i, '').toLowerCase() : '';
  if (!CERTIFICATE_ID.test(text)) {
    throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `${field}: a certificate id is 64 hexadecimal characters (the SHA-256 of the certificate)`, {
      place: { field },
    });
  }
  return text;
}

/** Exactly one PEM certificate, at most 64 KiB, parsed by node:crypto. */
export function parseCertificatePem(pem: unknown, field: string): X509Certificate {
  if (typeof pem !== 'string' || pem.length === 0 || pem.length > MAX_PEM_LENGTH) {
    throw new SluiceError('SLUICE_ERR_CERTIFICATE_INVALID', `${field}: a PEM certificate of at most ${MAX_PEM_LENGTH} characters is required`, {
      place: { field },
    });
  }
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
  if (blocks !== 1) {
    throw new SluiceError('SLUICE_ERR_CERTIFICATE_INVALID', `${field}: expected exactly one PEM CERTIFICATE block, found ${blocks}`, { place: { field } });
  }
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw new SluiceError('SLUICE_ERR_CERTIFICATE_INVALID', `${field}: the certificate does not parse (${(error as Error).message})`, {
      place: { field },
      cause: error,
    });
  }
}

export function validityOf(certificate: X509Certificate): CertificateValidity {
  const parsed = new x509.X509Certificate(certificate.raw);
  return { notBefore: parsed.notBefore.toISOString(), notAfter: parsed.notAfter.toISOString() };
}

/** Reads what policy variables need from a certificate. */
export function extractCertificateFields(certificateId: string, certificate: X509Certificate): CertificateFields {
  const parsed = new x509.X509Certificate(certificate.raw);
  const fields: CertificateFields = {
    certificateId,
    serialNumber: certificate.serialNumber.toUpperCase(),
    subject: distinguishedName(parsed.subjectName),
    issuer: distinguishedName(parsed.issuerName),
    notBefore: parsed.notBefore.toISOString(),
    notAfter: parsed.notAfter.toISOString(),
  };
  const subjectAlt = alternativeNames(parsed.getExtension(x509.SubjectAlternativeNameExtension)?.names);
  if (subjectAlt) fields.subjectAlternativeName = subjectAlt;
  const issuerAlt = alternativeNames(parsed.getExtension(x509.IssuerAlternativeNameExtension)?.names);
  if (issuerAlt) fields.issuerAlternativeName = issuerAlt;
  return fields;
}

function distinguishedName(name: x509.Name): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [attribute, oid] of Object.entries(DN_ATTRIBUTE_OIDS)) {
    const values = name.getField(oid);
    if (values.length > 0) out[attribute] = values;
  }
  return out;
}

function alternativeNames(names: x509.GeneralNames | undefined): CertificateAlternativeNames | undefined {
  if (!names || names.items.length === 0) return undefined;
  const out: CertificateAlternativeNames = {};
  const add = (key: keyof CertificateAlternativeNames, value: string) => {
    (out[key] ??= []).push(value);
  };
  for (const name of names.items) {
    switch (name.type) {
      case 'dns':
        add('dnsName', name.value);
        break;
      case 'ip':
        add('ipAddress', name.value);
        break;
      case 'email':
        add('rfc822Name', name.value);
        break;
      case 'url':
        add('uniformResourceIdentifier', name.value);
        break;
      case 'dn':
        add('directoryName', name.value);
        break;
      case 'upn':
        add('otherName', `UPN:${name.value}`);
        break;
      case 'guid':
        add('otherName', `GUID:${name.value}`);
        break;
      default:
        // registeredID: no AWS policy variable.
        break;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
