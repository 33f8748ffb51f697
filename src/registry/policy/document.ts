/**
 * AWS IoT Core policy documents: the shape, checked with messages that name
 * the field (`Statement[1].Resource[0]: ...`), and the warnings worth showing
 * for documents that are valid but will not do what they seem to.
 *
 * The schema validates and returns the document unchanged (a single statement
 * object stays an object), so a stored policy reads back as it was written.
 */
import { z } from 'zod';
import { zodToSluiceError, type ErrorCode } from '../../core/index.js';
import { parseOperator, conditionValues, parseCidr, parseDate, parseNumber, type ConditionBlock } from './conditions.js';
import { describeKey } from './context.js';
import { parseTemplate, templateVariables } from './template.js';

export type PolicyEffect = 'Allow' | 'Deny';
export type StringOrList = string | string[];
export type ConditionScalar = string | number | boolean;

export interface PolicyStatement {
  Sid?: string;
  Effect: PolicyEffect;
  /** Exactly one of Action and NotAction. */
  Action?: StringOrList;
  NotAction?: StringOrList;
  /** Exactly one of Resource and NotResource. */
  Resource?: StringOrList;
  NotResource?: StringOrList;
  /** operator → condition key → value or values. */
  Condition?: Record<string, Record<string, ConditionScalar | ConditionScalar[]>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Id?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

export const POLICY_VERSION = '2012-10-17';

/** The actions Sluice enforces: the MQTT ones. */
export const MQTT_ACTIONS = ['iot:Connect', 'iot:Publish', 'iot:Subscribe', 'iot:Receive', 'iot:RetainPublish'] as const;

/**
 * Every action AWS lists under "AWS IoT Core policy actions" (MQTT, Device
 * Shadow, retained messages, job executions, credential provider). Sluice
 * accepts all of them; those outside MQTT_ACTIONS have no effect yet.
 */
export const IOT_POLICY_ACTIONS = [
  ...MQTT_ACTIONS,
  'iot:DeleteConnection',
  'iot:GetRetainedMessage',
  'iot:ListRetainedMessages',
  'iot:DeleteThingShadow',
  'iot:GetThingShadow',
  'iot:ListNamedShadowsForThing',
  'iot:UpdateThingShadow',
  'iot:DescribeJobExecution',
  'iot:GetPendingJobExecutions',
  'iot:StartNextPendingJobExecution',
  'iot:UpdateJobExecution',
  'iot:AssumeRoleWithCertificate',
  'iotjobsdata:DescribeJobExecution',
  'iotjobsdata:GetPendingJobExecutions',
  'iotjobsdata:StartNextPendingJobExecution',
  'iotjobsdata:UpdateJobExecution',
] as const;

/**
 * Service prefixes an AWS IoT policy may name: `iot` and `iotjobsdata` (the
 * action table above) and `greengrass` (AWS IoT Greengrass core devices
 * authorize `greengrass:*` through their AWS IoT policy). Any other prefix is
 * an error: it belongs in an IAM policy.
 */
export const POLICY_SERVICES = ['iot', 'iotjobsdata', 'greengrass'] as const;

const KNOWN_ACTIONS = new Map<string, string>(IOT_POLICY_ACTIONS.map((a) => [a.toLowerCase(), a]));
const ACTION_SYNTAX = /^([A-Za-z0-9-]+):([A-Za-z0-9*?]+)$/;
const STATEMENT_FIELDS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
const DOCUMENT_FIELDS = new Set(['Version', 'Id', 'Statement']);

type Path = Array<string | number>;
type Report = (path: Path, message: string) => void;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A document's statements as a list, whichever form it was written in. */
export function statementsOf(document: PolicyDocument): PolicyStatement[] {
  return Array.isArray(document.Statement) ? document.Statement : [document.Statement];
}

function validateDocument(value: unknown, report: Report): void {
  if (!isRecord(value)) {
    report([], 'a policy document is a JSON object with Version and Statement');
    return;
  }
  for (const field of Object.keys(value)) {
    if (!DOCUMENT_FIELDS.has(field)) report([field], `unknown field '${field}': a policy document has Version, Id and Statement`);
  }
  if (value.Version === undefined) report(['Version'], `Version is required: use '${POLICY_VERSION}'`);
  else if (value.Version !== POLICY_VERSION) {
    report(['Version'], `Version must be '${POLICY_VERSION}' (the policy language version that has policy variables), not ${JSON.stringify(value.Version)}`);
  }
  if (value.Id !== undefined && typeof value.Id !== 'string') report(['Id'], 'Id must be a string');
  const statement = value.Statement;
  if (statement === undefined) {
    report(['Statement'], 'Statement is required: one statement object or a list of them');
  } else if (Array.isArray(statement)) {
    if (statement.length === 0) report(['Statement'], 'a policy needs at least one statement');
    statement.forEach((s, i) => validateStatement(s, (path, message) => report(['Statement', i, ...path], message)));
  } else if (isRecord(statement)) {
    validateStatement(statement, (path, message) => report(['Statement', ...path], message));
  } else {
    report(['Statement'], 'Statement must be a statement object or a list of statement objects');
  }
}

function validateStatement(value: unknown, report: Report): void {
  if (!isRecord(value)) {
    report([], 'a statement is an object with Effect, Action (or NotAction) and Resource (or NotResource)');
    return;
  }
  for (const field of Object.keys(value)) {
    if (STATEMENT_FIELDS.has(field)) continue;
    if (field === 'Principal' || field === 'NotPrincipal') {
      report([field], `an AWS IoT policy has no ${field}: it applies to the certificates and identities it is attached to`);
    } else {
      report([field], `unknown field '${field}': a statement has Sid, Effect, Action/NotAction, Resource/NotResource and Condition`);
    }
  }
  if (value.Sid !== undefined && typeof value.Sid !== 'string') report(['Sid'], 'Sid must be a string');
  if (value.Effect === undefined) report(['Effect'], "Effect is required: 'Allow' or 'Deny'");
  else if (value.Effect !== 'Allow' && value.Effect !== 'Deny') report(['Effect'], `Effect must be 'Allow' or 'Deny', not ${JSON.stringify(value.Effect)}`);

  exactlyOne(value, 'Action', 'NotAction', report, validateAction);
  exactlyOne(value, 'Resource', 'NotResource', report, validateResource);

  if (value.Condition !== undefined) validateCondition(value.Condition, (path, message) => report(['Condition', ...path], message));
}

function exactlyOne(
  statement: Record<string, unknown>,
  field: string,
  notField: string,
  report: Report,
  validateEntry: (entry: string, report: (message: string) => void) => void,
): void {
  const has = statement[field] !== undefined;
  const hasNot = statement[notField] !== undefined;
  if (has && hasNot) report([notField], `a statement has ${field} or ${notField}, not both`);
  if (!has && !hasNot) report([field], `${field} (or ${notField}) is required`);
  for (const name of [field, notField]) {
    const list = statement[name];
    if (list === undefined) continue;
    if (typeof list === 'string') {
      validateEntry(list, (message) => report([name], message));
    } else if (Array.isArray(list)) {
      if (list.length === 0) report([name], `${name} must not be an empty list`);
      list.forEach((entry, i) => {
        if (typeof entry === 'string') validateEntry(entry, (message) => report([name, i], message));
        else report([name, i], `${name} entries must be strings`);
      });
    } else {
      report([name], `${name} must be a string or a list of strings`);
    }
  }
}

function validateAction(action: string, report: (message: string) => void): void {
  if (action === '*') return;
  const match = ACTION_SYNTAX.exec(action);
  if (!match) {
    report(`'${action}' is not an action: write service:Action, e.g. iot:Publish, or a pattern such as iot:*`);
    return;
  }
  const service = match[1]!.toLowerCase();
  const name = match[2]!;
  if (!(POLICY_SERVICES as readonly string[]).includes(service)) {
    report(`unknown service prefix '${match[1]}' in '${action}': an AWS IoT policy takes iot:, iotjobsdata: and greengrass: actions`);
    return;
  }
  if (service === 'greengrass' || name.includes('*') || name.includes('?')) return;
  if (!KNOWN_ACTIONS.has(action.toLowerCase())) {
    const suggestion = closest(action, IOT_POLICY_ACTIONS);
    report(
      `unknown AWS IoT policy action '${action}'${suggestion ? ` (did you mean ${suggestion}?)` : ''}: ` +
        'AWS IoT policies cover the data plane (MQTT, shadows, retained messages, jobs); control-plane actions belong in IAM policies',
    );
  }
}

function validateResource(resource: string, report: (message: string) => void): void {
  if (resource === '*') return;
  const parsed = parseTemplate(resource);
  if (!parsed.ok) {
    report(parsed.message);
    return;
  }
  if (!resource.startsWith('arn:')) {
    report(`'${resource}' is not an ARN: write arn:aws:iot:<region>:<account>:<type>/<name>, e.g. arn:aws:iot:*:*:topic/device/*, or '*'`);
    return;
  }
  let colons = 0;
  let at = -1;
  while (colons < 5 && (at = resource.indexOf(':', at + 1)) >= 0) colons++;
  if (colons < 5) {
    report(`'${resource}' is not an ARN: it needs six colon-separated parts, arn:aws:iot:<region>:<account>:<type>/<name>`);
    return;
  }
  if (resource.slice(0, at).includes('${')) {
    report(`policy variables may appear only in the resource part of an ARN (after the fifth colon), as in IAM`);
  }
}

function validateCondition(value: unknown, report: Report): void {
  if (!isRecord(value)) {
    report([], 'Condition is an object: { "<operator>": { "<key>": <value or values> } }');
    return;
  }
  for (const [operatorName, entries] of Object.entries(value)) {
    const operator = parseOperator(operatorName);
    if (!operator) {
      report([operatorName], `unknown condition operator '${operatorName}'`);
      continue;
    }
    if (!isRecord(entries)) {
      report([operatorName], `${operatorName} takes an object of condition keys`);
      continue;
    }
    for (const [key, raw] of Object.entries(entries)) {
      if (!/^[^:\s]+:\S+$/.test(key)) report([operatorName, key], `'${key}' is not a condition key: keys look like iot:ClientId or aws:SourceIp`);
      const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
      if (Array.isArray(raw) ? !raw.every(scalar) : !scalar(raw)) {
        report([operatorName, key], 'a condition value is a string, number or boolean, or a list of them');
        continue;
      }
      conditionValues(raw).forEach((v, i) => {
        const message = checkConditionValue(operator.family, v);
        if (message) report(Array.isArray(raw) ? [operatorName, key, i] : [operatorName, key], message);
      });
    }
  }
}

function checkConditionValue(family: string, value: string): string | undefined {
  switch (family) {
    case 'string':
    case 'arn': {
      const parsed = parseTemplate(value);
      return parsed.ok ? undefined : parsed.message;
    }
    case 'bool':
    case 'null':
      return /^(true|false)$/i.test(value) ? undefined : `expected "true" or "false", not ${JSON.stringify(value)}`;
    case 'numeric':
      return Number.isNaN(parseNumber(value)) ? `expected a number, not ${JSON.stringify(value)}` : undefined;
    case 'date':
      return Number.isNaN(parseDate(value)) ? `expected an ISO 8601 date or epoch seconds, not ${JSON.stringify(value)}` : undefined;
    case 'ip':
      return parseCidr(value) ? undefined : `expected an IP address or CIDR range (203.0.113.0/24, 2001:db8::/32), not ${JSON.stringify(value)}`;
    case 'binary':
      return /^[A-Za-z0-9+/]*={0,2}$/.test(value) ? undefined : `expected base64, not ${JSON.stringify(value)}`;
    default:
      return undefined;
  }
}

function closest(input: string, candidates: readonly string[]): string | undefined {
  const lower = input.toLowerCase();
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The AWS IoT policy document schema. Every issue's path names the field:
 * `Statement[1].Resource[0]` through core's formatFieldPath / zodToSluiceError.
 */
export const policyDocumentSchema: z.ZodType<PolicyDocument> = z.custom<PolicyDocument>(() => true).superRefine((value, ctx) => {
  validateDocument(value, (path, message) => ctx.addIssue({ code: 'custom', message, path }));
});

/** Validates a document or throws a SluiceError naming the field, e.g. `policy 'p': Statement[1].Resource: ...`. */
export function parsePolicyDocument(value: unknown, what = 'policy document', code: ErrorCode = 'SLUICE_ERR_REQUEST_INVALID'): PolicyDocument {
  const result = policyDocumentSchema.safeParse(value);
  if (!result.success) throw zodToSluiceError(result.error, code, what);
  return result.data;
}

export interface PolicyWarning {
  /** `Statement[0].Condition.StringEquals.aws:CurrentTime` */
  path: string;
  message: string;
}

/**
 * What a valid document does differently in Sluice than a reader may expect:
 * actions Sluice does not enforce, condition keys and variables it never
 * provides (such a condition is always false; such a resource never matches).
 */
export function policyDocumentWarnings(document: PolicyDocument): PolicyWarning[] {
  const warnings: PolicyWarning[] = [];
  const single = !Array.isArray(document.Statement);
  statementsOf(document).forEach((statement, i) => {
    const at = single ? 'Statement' : `Statement[${i}]`;
    for (const field of ['Action', 'NotAction'] as const) {
      for (const action of list(statement[field])) {
        if (action.includes('*') || action.includes('?')) continue;
        if (!(MQTT_ACTIONS as readonly string[]).some((a) => a.toLowerCase() === action.toLowerCase())) {
          warnings.push({ path: `${at}.${field}`, message: `${action} is accepted but not enforced by Sluice (it enforces ${MQTT_ACTIONS.join(', ')})` });
        }
      }
    }
    for (const field of ['Resource', 'NotResource'] as const) {
      for (const resource of list(statement[field])) {
        const parsed = parseTemplate(resource);
        if (!parsed.ok) continue;
        for (const name of templateVariables(parsed.parts)) {
          if (!describeKey(name)) {
            warnings.push({ path: `${at}.${field}`, message: `\${${name}} is never set in Sluice: '${resource}' matches nothing` });
          }
        }
      }
    }
    for (const [operator, entries] of Object.entries((statement.Condition ?? {}) as ConditionBlock)) {
      for (const [key, raw] of Object.entries(entries)) {
        if (!describeKey(key)) {
          warnings.push({
            path: `${at}.Condition.${operator}.${key}`,
            message: `condition key ${key} is not available in Sluice: this condition is always false, so the statement never applies`,
          });
        }
        for (const v of conditionValues(raw)) {
          const parsed = parseTemplate(v);
          if (!parsed.ok) continue;
          for (const name of templateVariables(parsed.parts)) {
            if (!describeKey(name)) warnings.push({ path: `${at}.Condition.${operator}.${key}`, message: `\${${name}} is never set in Sluice` });
          }
        }
      }
    }
  });
  return warnings;
}

function list(value: StringOrList | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
