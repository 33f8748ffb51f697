/**
 * The stack file schema (after `${param:...}`/`${topic:...}` substitution).
 * Objects are `.strict()` so a misspelt field is an error, not a silent no-op.
 * Resource names follow the AWS naming rules of the resource they mirror.
 */
import { z } from 'zod';
import { FILTER_POLICY_SCOPES, PROTOCOLS, alertHygieneConfigSchema } from '../notify/index.js';
import { KEY_ALGORITHMS, THING_TYPE_NAME as THING_TYPE_NAME_PATTERN, policyDocumentSchema, thingTypePropertiesSchema } from '../registry/index.js';
import { DEFAULT_SQL_VERSION, SQL_VERSIONS } from '../rules/index.js';
import type { ActionSpec, BucketSpec, RuleTestExpectation, RuleTestSpec, ThingTypeSpec } from './types.js';

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Durations need a unit (`10s`): a bare number is ambiguous (Lambda uses seconds, Node milliseconds). */
export function durationMs(what: string, maxMs: number) {
  return z
    .string({ error: `expected a duration with a unit, such as 500ms, 10s or 5m` })
    .regex(DURATION, `expected a duration with a unit, such as 500ms, 10s or 5m`)
    .transform((text) => {
      const match = DURATION.exec(text);
      return Math.round(Number(match?.[1]) * (UNIT_MS[match?.[2] ?? 'ms'] ?? 1));
    })
    .refine((ms) => ms > 0 && ms <= maxMs, `${what} must be more than 0 and at most ${maxMs / 1000}s`);
}

const BYTE_SIZE = /^(\d+(?:\.\d+)?)(B|KB|MB|GB)$/;
const UNIT_BYTES: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

/** Sizes need a unit (`5MB`); KB, MB and GB are 1024-based, as Firehose's buffering sizes (MiB). */
export function byteSize(what: string, maxBytes: number) {
  const expected = 'expected a size with a unit, such as 512KB or 5MB';
  return z
    .string({ error: expected })
    .regex(BYTE_SIZE, expected)
    .transform((text) => {
      const match = BYTE_SIZE.exec(text);
      return Math.round(Number(match?.[1]) * (UNIT_BYTES[match?.[2] ?? 'B'] ?? 1));
    })
    .refine((bytes) => bytes > 0 && bytes <= maxBytes, `${what} must be more than 0 and at most ${maxBytes / 1024 ** 2}MB`);
}

const name = (pattern: RegExp, rule: string) => z.string().regex(pattern, rule);

export const STACK_NAME = name(/^[a-zA-Z][a-zA-Z0-9-]{0,127}$/, 'stack names start with a letter, then up to 127 letters, digits or -');
const PARAM_NAME = name(/^[A-Za-z][A-Za-z0-9_]*$/, 'parameter names use letters, digits and _');
// S3 bucket naming rules: 3-63 characters, lowercase letters, digits, dots and hyphens, alphanumeric at both ends.
const BUCKET_NAME = name(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'bucket names are 3-63 characters of a-z, 0-9, . and -, starting and ending with a letter or digit');
const TOPIC_NAME = name(/^[A-Za-z0-9_-]{1,256}$/, 'topic names are 1-256 characters of A-Z, a-z, 0-9, _ and -');
const FUNCTION_NAME = name(/^[A-Za-z0-9_-]{1,64}$/, 'function names are 1-64 characters of A-Z, a-z, 0-9, _ and -');
// AWS IoT rule names: ^[a-zA-Z0-9_]+$ (CreateTopicRule), at most 128 characters.
const RULE_NAME = name(/^[a-zA-Z0-9_]{1,128}$/, 'rule names are 1-128 characters of A-Z, a-z, 0-9 and _');
const THING_NAME = name(/^[a-zA-Z0-9:_-]{1,128}$/, 'thing names are 1-128 characters of A-Z, a-z, 0-9, :, _ and -');
const THING_TYPE_NAME = name(THING_TYPE_NAME_PATTERN, 'thing type names are 1-128 characters of A-Z, a-z, 0-9, :, _ and -');
const POLICY_NAME = name(/^[\w+=,.@-]{1,128}$/, 'policy names are 1-128 characters of A-Z, a-z, 0-9 and +=,.@-_');
// A certificate's name is the stack's own handle on it (the registry names certificates by their hash), as a CloudFormation logical id.
const CERTIFICATE_NAME = name(/^[A-Za-z0-9_-]{1,128}$/, 'certificate names are 1-128 characters of A-Z, a-z, 0-9, _ and -');

const nonEmpty = z.string().min(1, 'must not be empty');

/**
 * Headers Sluice sets itself (or that would break the request framing), so a
 * stack may not: `x-sluice-job-id` is the receiver's de-duplication key.
 */
const RESERVED_HTTP_HEADERS = ['host', 'content-length', 'transfer-encoding', 'connection', 'x-sluice-job-id'];

// RFC 9110 §5.1: a field name is a token.
const HTTP_HEADER_NAME = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'header keys are HTTP field names: letters, digits and !#$%&\'*+.^_`|~-')
  .refine((key) => !RESERVED_HTTP_HEADERS.includes(key.toLowerCase()), {
    message: `header key is reserved (Sluice sets ${RESERVED_HTTP_HEADERS.join(', ')} itself)`,
  });

const httpActionSchema = z
  .object({
    // AWS HttpAction: url up to 2000 characters, at most 100 headers. The URL's shape is checked in validate.ts,
    // where the substitution templates in it are known.
    url: nonEmpty.max(2000, 'url must be at most 2000 characters'),
    headers: z
      .array(z.object({ key: HTTP_HEADER_NAME, value: z.string() }).strict())
      .max(100, 'at most 100 headers')
      .default([]),
    timeout: durationMs('timeout', 60_000).default(10_000), // ms per attempt (10s default, 60s at most)
  })
  .strict()
  .transform(({ url, headers, timeout }) => ({ url, headers, timeoutMs: timeout }));

/**
 * The `archive` action: batches under Hive partitions (docs/data.md). The
 * bounds are Firehose's buffering hints: 60 s and 5 MB by default, at most
 * 900 s and 128 MB. The prefix is literal (no templates: one action, one
 * stream of batches) and must make valid object key segments. It is required:
 * a reader globs `<bucket>/<prefix>/**`, and a glob over the whole bucket
 * would also take its other objects.
 */
const archiveActionSchema = z
  .object({
    bucket: BUCKET_NAME,
    prefix: z
      .string({ error: 'prefix is required: the key segments the archive\'s partitions go under, such as raw/readings' })
      .min(1, 'prefix must not be empty: the archive goes under its own prefix, such as raw/readings')
      .max(512, 'prefix must be at most 512 characters')
      .refine((p) => !p.includes('${'), 'prefix is literal: templates are not allowed (partitions come from each message\'s timestamp)')
      .refine(
        (p) => p.split('/').every((s) => s !== '' && s !== '.' && s !== '..' && !s.startsWith('.sluice-')),
        'prefix is key segments separated by / (no leading, trailing or double /, no . or .. segments, none starting with .sluice-)',
      ),
    format: z.enum(['ndjson', 'parquet'], { error: 'format must be ndjson or parquet' }).default('parquet'),
    maxBatchDelay: durationMs('maxBatchDelay', 900_000).default(60_000), // ms (60s, Firehose's default buffering interval)
    maxBatchSize: byteSize('maxBatchSize', 128 * 1024 ** 2).default(5 * 1024 ** 2), // bytes (5MB, Firehose's default buffering size)
  })
  .strict()
  .transform(({ bucket, prefix, format, maxBatchDelay, maxBatchSize }) => ({ bucket, prefix, format, maxBatchDelayMs: maxBatchDelay, maxBatchBytes: maxBatchSize }));

// DynamoDB's table naming rule: a series is the counterpart of the reference architecture's readings table.
const SERIES_NAME = name(/^[a-zA-Z0-9_.-]{3,255}$/, 'series names are 3-255 characters of A-Z, a-z, 0-9, _, . and -');

/**
 * The `timeseries` action: `fields` of the SELECT output stored per device
 * and time in a series (docs/data.md). `device` and `time` are templates;
 * the device defaults to the client id, the time to the message's timestamp().
 */
const timeseriesActionSchema = z
  .object({
    series: SERIES_NAME,
    device: nonEmpty.default('${clientid()}'),
    time: nonEmpty.optional(),
    fields: z
      .array(nonEmpty.max(255, 'field names are at most 255 characters'))
      .min(1, 'name at least one field to store')
      .max(100, 'at most 100 fields')
      .superRefine((fields, ctx) => {
        fields.forEach((field, i) => {
          if (fields.indexOf(field) !== i) ctx.addIssue({ code: 'custom', message: `field '${field}' is listed twice`, path: [i] });
        });
      }),
  })
  .strict()
  .transform(({ series, device, time, fields }) => ({ series, device, ...(time !== undefined ? { time } : {}), fields }));

const RETENTION = /^(\d+)(d|h)$/;
/** A series' retention: whole days (as S3 lifecycle rules count) or hours; at most 100 years. */
const retentionMs = z
  .string({ error: 'expected a retention such as 30d or 12h' })
  .regex(RETENTION, 'expected a retention such as 30d or 12h (days or hours)')
  .transform((text) => {
    const match = RETENTION.exec(text);
    return Number(match?.[1]) * (match?.[2] === 'd' ? 86_400_000 : 3_600_000);
  })
  .refine((ms) => ms > 0 && ms <= 36_500 * 86_400_000, 'retention must be more than 0 and at most 36500d');

const seriesSchema = z
  .object({ retention: retentionMs.optional() })
  .strict()
  .nullable()
  .transform((series) => (series?.retention !== undefined ? { retentionMs: series.retention } : {}));

/** One schema per action kind; the key in the stack file is the kind (AWS TopicRulePayload style). */
export const ACTION_SCHEMAS = {
  s3: z.object({ bucket: nonEmpty, key: nonEmpty, contentType: nonEmpty.optional() }).strict(),
  function: z.object({ name: nonEmpty }).strict(),
  republish: z.object({ topic: nonEmpty, qos: z.union([z.literal(0), z.literal(1)], { error: 'qos must be 0 or 1' }).default(0) }).strict(),
  http: httpActionSchema,
  archive: archiveActionSchema,
  timeseries: timeseriesActionSchema,
} as const;

export const ACTION_KINDS = Object.keys(ACTION_SCHEMAS) as Array<keyof typeof ACTION_SCHEMAS>;

/**
 * An action is an object with exactly one key naming its kind. Modelled as a
 * strict object of optional kinds plus a one-key check, so that a misspelt
 * kind gets "unknown field" with a suggestion rather than a union dump.
 */
const actionSchema = z
  .object({
    s3: ACTION_SCHEMAS.s3.optional(),
    function: ACTION_SCHEMAS.function.optional(),
    republish: ACTION_SCHEMAS.republish.optional(),
    http: ACTION_SCHEMAS.http.optional(),
    archive: ACTION_SCHEMAS.archive.optional(),
    timeseries: ACTION_SCHEMAS.timeseries.optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    const kinds = Object.keys(value).filter((k) => value[k as keyof typeof value] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `an action has exactly one kind (${ACTION_KINDS.join(', ')}), found ${kinds.length === 0 ? 'none' : kinds.join(' and ')}`,
      });
    }
  })
  .transform((value): ActionSpec => {
    if (value.s3) return { kind: 's3', ...value.s3 };
    if (value.function) return { kind: 'function', ...value.function };
    if (value.republish) return { kind: 'republish', ...value.republish };
    if (value.http) return { kind: 'http', ...value.http };
    if (value.archive) return { kind: 'archive', ...value.archive };
    if (value.timeseries) return { kind: 'timeseries', ...value.timeseries };
    // Unreachable: the refinement above guarantees one kind.
    throw new Error('action without a kind');
  });

/**
 * A JSON value as YAML gives it: YAML also has `.nan` and `.inf`, which JSON
 * has not. The issue points at the offending element, not at the whole value.
 */
const jsonValue = z.unknown().superRefine((value, ctx) => {
  const walk = (v: unknown, path: Array<string | number>): void => {
    if (typeof v === 'number' && !Number.isFinite(v)) {
      ctx.addIssue({ code: 'custom', message: `expected a JSON value, got ${String(v)} (JSON numbers are finite)`, path });
    } else if (Array.isArray(v)) v.forEach((item, i) => walk(item, [...path, i]));
    else if (v && typeof v === 'object') for (const [key, item] of Object.entries(v)) walk(item, [...path, key]);
  };
  walk(value, []);
});

const base64 = (field: string) => z.string({ error: `${field} must be a base64 string` }).base64(`${field} must be base64 (RFC 4648, padded with =)`);

/** The fields of a test case of which exactly one must be given, by group. */
const PAYLOAD_FIELDS = ['payload', 'payloadBase64'] as const;
const EXPECT_FIELDS = ['expect', 'expectBase64', 'noMatch'] as const;

/**
 * One case of a rule's `tests:`: a message and what the rule should make of it.
 * Run by `sluice test`; validated on deploy, never deployed.
 */
const ruleTestSchema = z
  .object({
    name: nonEmpty.optional(),
    topic: nonEmpty,
    /** A JSON value is sent as JSON.stringify(value); a string as its UTF-8 text. */
    payload: jsonValue.optional(),
    payloadBase64: base64('payloadBase64').optional(),
    clientId: z.string().optional(),
    timestamp: z.number().int('timestamp must be an integer (ms since the epoch)').min(0, 'timestamp must be ms since the epoch, 0 or more').optional(),
    principal: z.string().optional(),
    expect: jsonValue.optional(),
    expectBase64: base64('expectBase64').optional(),
    noMatch: z.literal(true, { error: 'noMatch must be true (to expect a match, give expect or expectBase64 instead)' }).optional(),
  })
  .strict()
  .superRefine((test, ctx) => {
    // Presence, not value: `expect: null` expects the JSON value null.
    const given = (fields: readonly string[]) => fields.filter((field) => Object.hasOwn(test, field));
    const payloads = given(PAYLOAD_FIELDS);
    if (payloads.length === 0) ctx.addIssue({ code: 'custom', message: "a test needs a 'payload' (a JSON value or text) or a 'payloadBase64'" });
    if (payloads.length > 1) ctx.addIssue({ code: 'custom', message: "give 'payload' or 'payloadBase64', not both", path: ['payloadBase64'] });
    const expectations = given(EXPECT_FIELDS);
    if (expectations.length === 0) ctx.addIssue({ code: 'custom', message: "a test needs one of 'expect' (the output as JSON), 'expectBase64' (the output bytes) or 'noMatch: true'" });
    if (expectations.length > 1) {
      ctx.addIssue({ code: 'custom', message: `give one of 'expect', 'expectBase64' and 'noMatch', not ${expectations.map((f) => `'${f}'`).join(' and ')}`, path: [expectations[1] ?? 'expect'] });
    }
  })
  .transform((test): RuleTestSpec => {
    const payload =
      test.payloadBase64 !== undefined
        ? test.payloadBase64
        : Buffer.from(typeof test.payload === 'string' ? test.payload : JSON.stringify(test.payload), 'utf8').toString('base64');
    const expect: RuleTestExpectation =
      test.noMatch === true
        ? { kind: 'noMatch' }
        : test.expectBase64 !== undefined
          ? { kind: 'outputBytes', base64: test.expectBase64 }
          : { kind: 'output', value: test.expect };
    return {
      ...(test.name === undefined ? {} : { name: test.name }),
      topic: test.topic,
      payloadBase64: payload,
      ...(test.clientId === undefined ? {} : { clientId: test.clientId }),
      ...(test.timestamp === undefined ? {} : { timestamp: test.timestamp }),
      ...(test.principal === undefined ? {} : { principal: test.principal }),
      expect,
    };
  });

const ruleSchema = z
  .object({
    description: z.string().optional(),
    sql: nonEmpty,
    // AWS IoT's awsIotSqlVersion. The default is the version AWS recommends; AWS's own API falls back to 2015-10-08 when it is left out.
    sqlVersion: z.enum(SQL_VERSIONS, { error: `sqlVersion must be one of ${SQL_VERSIONS.map((v) => `'${v}'`).join(', ')} (AWS IoT SQL versions)` }).default(DEFAULT_SQL_VERSION),
    enabled: z.boolean().default(true),
    actions: z.array(actionSchema).min(1, 'a rule needs at least one action'),
    errorAction: actionSchema.optional(),
    /** Bounds on retries for this rule's actions; unset fields keep each action kind's defaults. */
    retry: z
      .object({
        maxAttempts: z.number().int().min(1, 'maxAttempts counts the first attempt, so at least 1').max(100).optional(),
        maxAge: durationMs('maxAge', 7 * 86_400_000).optional(),
      })
      .strict()
      .optional()
      .transform((retry) =>
        retry === undefined
          ? undefined
          : { ...(retry.maxAttempts !== undefined ? { maxAttempts: retry.maxAttempts } : {}), ...(retry.maxAge !== undefined ? { maxAgeMs: retry.maxAge } : {}) },
      ),
    /** Cases for `sluice test`; parseStack keeps them out of the RuleSpec, so they are never deployed nor hashed. */
    tests: z.array(ruleTestSchema).default([]),
  })
  .strict();

const handlerSchema = z
  .string()
  .regex(/^[^#]+(#[A-Za-z_$][\w$]*)?$/, "expected 'path/to/module.ts' or 'path/to/module.ts#exportName'")
  .transform((text) => {
    const [file = '', exportName = 'handler'] = text.split('#');
    return { handler: file, exportName };
  });

/** One of Lambda's destination kinds; an MQTT destination is a topic name, not a filter. */
const destinationSchema = z.union([
  z.object({ topic: TOPIC_NAME }).strict(),
  z.object({ function: FUNCTION_NAME }).strict(),
  z.object({ bucket: BUCKET_NAME, prefix: z.string().optional() }).strict(),
  z.object({ mqtt: z.string().min(1).regex(/^[^#+]*$/, 'an mqtt destination is a topic name, without + or #') }).strict(),
], { error: 'a destination is one of { topic: NAME }, { function: NAME }, { bucket: NAME, prefix: TEXT } or { mqtt: TOPIC }' });

const functionSchema = z
  .object({
    handler: handlerSchema,
    // Lambda's limits: timeout up to 900 s; memory 128..10240 MB.
    timeout: durationMs('timeout', 900_000).default(3_000), // ms (3s, Lambda's default),
    memorySize: z.number().int().min(128).max(10240).default(128),
    environment: z.record(name(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names use letters, digits and _'), z.string()).default({}),
    reservedConcurrency: z.number().int().min(0).optional(),
    // Lambda's asynchronous invocation limits: 0..2 retries, events kept 60 s..6 h.
    retryAttempts: z.number().int().min(0).max(2).optional(),
    maxEventAge: durationMs('maxEventAge', 6 * 3_600_000)
      .refine((ms) => ms >= 60_000, 'maxEventAge must be at least 60s')
      .optional(),
    destinations: z.object({ onSuccess: destinationSchema.optional(), onFailure: destinationSchema.optional() }).strict().optional(),
  })
  .strict()
  .transform(({ handler, timeout, memorySize, environment, reservedConcurrency, retryAttempts, maxEventAge, destinations }) => ({
    handler: handler.handler,
    exportName: handler.exportName,
    timeoutMs: timeout,
    memorySizeMb: memorySize,
    environment,
    // Only when set, so an unchanged function keeps its deployed hash.
    ...(reservedConcurrency !== undefined ? { reservedConcurrency } : {}),
    ...(retryAttempts !== undefined ? { retryAttempts } : {}),
    ...(maxEventAge !== undefined ? { maxEventAgeMs: maxEventAge } : {}),
    ...(destinations !== undefined ? { destinations: stripUndefined(destinations) } : {}),
  }));

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** AWS IoT thing attributes: names of A-Z, a-z, 0-9 and _.,@/:#=[]-, values of at most 800 characters (the registry checks them again). */
const thingSchema = z
  .object({
    attributes: z
      .record(name(/^[a-zA-Z0-9_.,@/:#=[\]-]{1,128}$/, 'attribute names are 1-128 characters of A-Z, a-z, 0-9 and _.,@/:#=[]-'), z.string().max(800, 'attribute values are at most 800 characters'))
      .default({}),
    thingTypeName: THING_TYPE_NAME.optional(),
  })
  .strict()
  .nullable()
  .transform((t) => ({ attributes: t?.attributes ?? {}, ...(t?.thingTypeName !== undefined ? { thingTypeName: t.thingTypeName } : {}) }));

/**
 * A thing type: the registry's own checks on thingTypeProperties (description
 * length, at most 3 searchable attributes, none repeated), under the stack
 * file's field names. `SoilSensor: {}` and a bare `SoilSensor:` declare a type
 * with no properties.
 */
const thingTypeSchema = z
  .object({
    description: thingTypePropertiesSchema.shape.thingTypeDescription,
    searchableAttributes: thingTypePropertiesSchema.shape.searchableAttributes,
  })
  .strict()
  .nullable()
  .transform(
    (t): ThingTypeSpec => ({
      ...(t?.description !== undefined ? { description: t.description } : {}),
      searchableAttributes: t?.searchableAttributes ?? [],
    }),
  );

/** The same document checks as `PUT /api/v1/policies/NAME` (registry/policy), with the field path into the YAML. */
const policySchema = z.object({ document: policyDocumentSchema }).strict();

const certificateSchema = z
  .object({
    thing: THING_NAME.optional(),
    policies: z.array(POLICY_NAME).max(10, 'at most 10 policies (AWS IoT allows 10 per principal)').default([]),
    out: nonEmpty,
    keyAlgorithm: z.enum(KEY_ALGORITHMS, { error: `keyAlgorithm must be one of ${KEY_ALGORITHMS.join(', ')}` }).default('RSA-2048'),
  })
  .strict()
  .superRefine((certificate, ctx) => {
    const seen = new Set<string>();
    certificate.policies.forEach((policy, i) => {
      if (seen.has(policy)) ctx.addIssue({ code: 'custom', message: `policy '${policy}' is listed twice`, path: ['policies', i] });
      seen.add(policy);
    });
  });

/** A policy document: a map in the file, or its JSON text (as SNS's attributes are strings). */
const policyDocument = (what: string) =>
  z.union([z.record(z.string(), z.unknown()), z.string()], { error: `${what} must be a map (or its JSON text)` });

/**
 * A topic's subscription. The attributes are SNS's (Subscribe's Attributes);
 * notify checks their content in validate.ts (`validateSubscriptionInput`),
 * so a stack file gets the same errors as the API, at the field's line.
 */
const subscriptionSchema = z
  .object({
    protocol: z.enum(PROTOCOLS, { error: `protocol must be one of ${PROTOCOLS.join(', ')}` }),
    endpoint: nonEmpty,
    filterPolicy: policyDocument('filterPolicy').optional(),
    filterPolicyScope: z.enum(FILTER_POLICY_SCOPES, { error: `filterPolicyScope must be ${FILTER_POLICY_SCOPES.join(' or ')}` }).optional(),
    rawMessageDelivery: z.boolean({ error: 'rawMessageDelivery must be true or false' }).optional(),
    deliveryPolicy: policyDocument('deliveryPolicy').optional(),
    /** Alert hygiene: this subscription's own de-duplication window (notify's `hygiene.ts`). */
    dedupe: alertHygieneConfigSchema.optional(),
  })
  .strict();

const scalarDefault = z.union([z.string(), z.number(), z.boolean()]).transform(String);

/**
 * A bucket: its driver (`fs` or `s3`, default the server's) with, for `s3`,
 * where and as whom (each unset field falls back to `sluice up`'s `--s3-*`),
 * and S3-style lifecycle rules. Secrets belong in parameters:
 * `secretAccessKey: ${param:minioSecret}`. `photos:` alone is a bucket with the defaults.
 */
const bucketSchema = z
  .object({
    driver: z.enum(['fs', 's3'], { error: 'driver must be fs or s3' }).optional(),
    endpoint: z.url({ protocol: /^https?$/, error: 'endpoint must be an http(s) URL such as http://127.0.0.1:9000' }).optional(),
    region: z.string().regex(/^[a-z0-9-]{1,64}$/, 'expected a region such as us-east-1 (Garage: garage)').optional(),
    forcePathStyle: z.boolean({ error: 'forcePathStyle must be true or false' }).optional(),
    /** The bucket's name at the provider, when it is not the stack's name for it. */
    bucket: BUCKET_NAME.optional(),
    accessKeyId: nonEmpty.optional(),
    secretAccessKey: nonEmpty.optional(),
    sessionToken: nonEmpty.optional(),
    // S3: at most 1,000 rules per bucket; Expiration Days is a positive integer.
    lifecycle: z
      .array(
        z
          .object({
            prefix: z.string().optional(),
            expireAfterDays: z.number({ error: 'expireAfterDays must be a number of days' }).int('expireAfterDays must be a whole number of days').min(1, 'expireAfterDays must be at least 1'),
          })
          .strict(),
      )
      .max(1000, 'at most 1000 lifecycle rules per bucket (S3)')
      .optional(),
  })
  .strict()
  .nullable()
  .superRefine((b, ctx) => {
    if (!b) return;
    if ((b.accessKeyId === undefined) !== (b.secretAccessKey === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give both accessKeyId and secretAccessKey, or neither (then the server\'s credentials are used)', path: [b.accessKeyId === undefined ? 'accessKeyId' : 'secretAccessKey'] });
    }
    if (b.sessionToken !== undefined && b.accessKeyId === undefined) {
      ctx.addIssue({ code: 'custom', message: 'sessionToken goes with accessKeyId and secretAccessKey', path: ['sessionToken'] });
    }
    if (b.driver === 'fs') {
      for (const field of ['endpoint', 'region', 'forcePathStyle', 'bucket', 'accessKeyId', 'secretAccessKey', 'sessionToken'] as const) {
        if (b[field] !== undefined) ctx.addIssue({ code: 'custom', message: `${field} applies to driver s3 only; this bucket is driver fs`, path: [field] });
      }
    }
  })
  .transform((b): BucketSpec => {
    if (!b) return {};
    const { accessKeyId, secretAccessKey, sessionToken, ...rest } = b;
    return {
      ...(Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Omit<BucketSpec, 'credentials'>),
      ...(accessKeyId !== undefined && secretAccessKey !== undefined
        ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken !== undefined ? { sessionToken } : {}) } }
        : {}),
    };
  });

export const parameterSchema = z.object({ description: z.string().optional(), default: scalarDefault.optional() }).strict();
export const parametersSchema = z.record(PARAM_NAME, parameterSchema).default({});

export const stackSchema = z
  .object({
    stack: STACK_NAME,
    description: z.string().optional(),
    parameters: parametersSchema,
    buckets: z.record(BUCKET_NAME, bucketSchema).default({}),
    /** Series of readings for `timeseries` actions, with their retention. */
    series: z.record(SERIES_NAME, seriesSchema).default({}),
    topics: z
      .record(
        TOPIC_NAME,
        z
          .object({
            displayName: z.string().max(100).optional(),
            /** Alert hygiene: a de-duplication window over every message published to the topic. */
            dedupe: alertHygieneConfigSchema.optional(),
            subscriptions: z.array(subscriptionSchema).default([]),
          })
          .strict(),
      )
      .default({}),
    functions: z.record(FUNCTION_NAME, functionSchema).default({}),
    rules: z.record(RULE_NAME, ruleSchema).default({}),
    thingTypes: z.record(THING_TYPE_NAME, thingTypeSchema).default({}),
    things: z.record(THING_NAME, thingSchema).default({}),
    policies: z.record(POLICY_NAME, policySchema).default({}),
    certificates: z.record(CERTIFICATE_NAME, certificateSchema).default({}),
    simulator: z
      .object({
        devices: z.number().int().min(1).max(10_000).default(3),
        interval: durationMs('interval', 86_400_000).default(30_000), // ms (30s, as the reference simulator),
        qos: z.union([z.literal(0), z.literal(1)], { error: 'qos must be 0 or 1' }).default(0),
        namePrefix: name(/^[A-Za-z0-9_-]{1,100}$/, 'namePrefix uses letters, digits, _ and -').default('device'),
        topic: nonEmpty.default('device/${name}/devicePayload'),
        thing: z.string().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type ParsedStackFile = z.output<typeof stackSchema>;
