import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { SluiceError } from '../core/index.js';
import { apiRequest, resolveServer, type ConnectionOptions } from './client.js';
import { action, collect, printJson, printTable } from './output.js';

/** SNS Publish's MessageAttributes: `{ Name: { DataType, StringValue | BinaryValue } }`. */
export type PublishMessageAttributes = Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;

export interface AttributeFlags {
  attr?: string[];
  attrNumber?: string[];
  attrList?: string[];
  attrBinary?: string[];
}

interface PublishResult {
  messageId: string;
  deliveries: Array<{ subscriptionId: string; endpoint: string; status: string; error?: string }>;
  /** Confirmed subscriptions whose filter policy did not match (not in `deliveries`). */
  filtered?: number;
}

interface MessageStatus {
  messageId: string;
  deliveries: Array<{ subscriptionId: string; endpoint?: string; protocol?: string; status: string; attempts: number; lastError?: string }>;
}

/** SNS attribute names: up to 256 of letters, digits, `_`, `-` and `.`. */
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Deliveries in these states will not change any more. */
const SETTLED = new Set(['delivered', 'skipped', 'dead_letter', 'failed', 'sent', 'duplicate']);

function invalid(message: string): SluiceError {
  return new SluiceError('SLUICE_ERR_REQUEST_INVALID', message);
}

function splitPair(flag: string, pair: string, valueHint: string): [string, string] {
  const at = pair.indexOf('=');
  if (at <= 0) throw invalid(`${flag} expects NAME=${valueHint}, got ${JSON.stringify(pair)}`);
  const name = pair.slice(0, at);
  if (!ATTRIBUTE_NAME.test(name)) {
    throw invalid(`${flag}: attribute name ${JSON.stringify(name)} is not valid: use 1 to 256 letters, digits, '_', '-' or '.'`);
  }
  return [name, pair.slice(at + 1)];
}

/**
 * The `--attr*` flags as SNS message attributes:
 * `--attr k=v` String, `--attr-number k=12.5` Number, `--attr-list k=a,b`
 * String.Array (`["a","b"]`; a value starting with `[` is taken as a JSON
 * array), `--attr-binary k=BASE64` Binary. A name may be given once.
 */
export function parseMessageAttributes(flags: AttributeFlags): PublishMessageAttributes | undefined {
  const attributes: PublishMessageAttributes = {};
  const add = (flag: string, name: string, value: PublishMessageAttributes[string]) => {
    if (Object.hasOwn(attributes, name)) throw invalid(`${flag}: attribute ${JSON.stringify(name)} is given more than once`);
    attributes[name] = value;
  };
  for (const pair of flags.attr ?? []) {
    const [name, value] = splitPair('--attr', pair, 'VALUE');
    if (value === '') throw invalid(`--attr: attribute ${JSON.stringify(name)} has an empty value; SNS needs at least one character`);
    add('--attr', name, { DataType: 'String', StringValue: value });
  }
  for (const pair of flags.attrNumber ?? []) {
    const [name, value] = splitPair('--attr-number', pair, 'NUMBER');
    if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value.trim()) || !Number.isFinite(Number(value))) {
      throw invalid(`--attr-number: attribute ${JSON.stringify(name)}: ${JSON.stringify(value)} is not a number`);
    }
    add('--attr-number', name, { DataType: 'Number', StringValue: value.trim() });
  }
  for (const pair of flags.attrList ?? []) {
    const [name, value] = splitPair('--attr-list', pair, 'A,B,...');
    add('--attr-list', name, { DataType: 'String.Array', StringValue: JSON.stringify(listValue(name, value)) });
  }
  for (const pair of flags.attrBinary ?? []) {
    const [name, value] = splitPair('--attr-binary', pair, 'BASE64');
    if (value === '' || !BASE64.test(value)) throw invalid(`--attr-binary: attribute ${JSON.stringify(name)}: the value is not base64`);
    add('--attr-binary', name, { DataType: 'Binary', BinaryValue: value });
  }
  return Object.keys(attributes).length > 0 ? attributes : undefined;
}

function listValue(name: string, value: string): unknown[] {
  if (!value.trimStart().startsWith('[')) return value === '' ? [] : value.split(',');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw invalid(`--attr-list: attribute ${JSON.stringify(name)}: not a JSON array: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw invalid(`--attr-list: attribute ${JSON.stringify(name)}: not a JSON array`);
  if (parsed.some((item) => item !== null && typeof item === 'object')) {
    throw invalid(`--attr-list: attribute ${JSON.stringify(name)}: items must be strings, numbers, true, false or null`);
  }
  return parsed;
}

async function readMessage(flags: { message?: string; messageFile?: string }): Promise<string> {
  if ((flags.message === undefined) === (flags.messageFile === undefined)) {
    throw invalid('give the message with --message TEXT or --message-file FILE (one of them)');
  }
  if (flags.message !== undefined) return flags.message;
  const file = flags.messageFile as string;
  try {
    return file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (error) {
    throw invalid(`--message-file: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** SNS's rule for MessageStructure json: a JSON object with a string `default`, checked before it is sent. */
function checkJsonStructure(message: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch (error) {
    throw invalid(`--message-structure json: the message is not JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || typeof (parsed as { default?: unknown }).default !== 'string') {
    throw invalid('--message-structure json: the message must be a JSON object with a "default" string, e.g. {"default":"...","email":"..."}');
  }
}

/** `sluice notify`: SNS Publish to a topic from the command line. */
export function registerNotifyCommand(program: Command, connection: () => ConnectionOptions): void {
  program
    .command('notify')
    .description('publish a message to a notification topic (SNS Publish) and print its delivery to each subscription')
    .argument('<topic>', 'topic name or ARN')
    .option('--message <text>', 'the message')
    .option('--message-file <file>', 'read the message from a file (- for stdin)')
    .option('--subject <text>', 'subject (email subject line; at most 100 characters)')
    .option('--attr <name=value>', 'a String message attribute (repeatable)', collect, [])
    .option('--attr-number <name=number>', 'a Number message attribute (repeatable)', collect, [])
    .option('--attr-list <name=a,b>', 'a String.Array message attribute: comma-separated strings, or a JSON array (repeatable)', collect, [])
    .option('--attr-binary <name=base64>', 'a Binary message attribute, base64-encoded (repeatable)', collect, [])
    .addOption(new Option('--message-structure <structure>', 'json: the message is a JSON object of per-protocol messages with a "default"').choices(['json']))
    .option('--wait', 'wait until every delivery is delivered or has failed for good; exit 1 unless all were delivered', false)
    .option('--timeout <seconds>', 'with --wait: how long to wait', (v) => Number.parseFloat(v), 60)
    .option('--json', 'print as JSON', false)
    .action(
      action(
        async (
          topic: string,
          flags: AttributeFlags & {
            message?: string; messageFile?: string; subject?: string; messageStructure?: 'json'; wait: boolean; timeout: number; json: boolean;
          },
        ) => {
          const message = await readMessage(flags);
          if (flags.messageStructure === 'json') checkJsonStructure(message);
          const messageAttributes = parseMessageAttributes(flags);
          if (!Number.isFinite(flags.timeout) || flags.timeout <= 0) throw invalid('--timeout expects a positive number of seconds');
          const target = await resolveServer(connection());
          const result = await apiRequest<PublishResult>(target, 'POST', `/api/v1/topics/${encodeURIComponent(topic)}/publish`, {
            message,
            ...(flags.subject !== undefined ? { subject: flags.subject } : {}),
            ...(messageAttributes !== undefined ? { messageAttributes } : {}),
            ...(flags.messageStructure !== undefined ? { messageStructure: flags.messageStructure } : {}),
          });
          if (!flags.wait) {
            if (flags.json) return printJson(result);
            printPublished(topic, result);
            return;
          }
          const status = await waitForDeliveries(target, result, flags.timeout * 1000);
          if (flags.json) printJson(status);
          else {
            printPublished(topic, {
              messageId: result.messageId,
              ...(result.filtered !== undefined ? { filtered: result.filtered } : {}),
              deliveries: status.deliveries.map((d) => ({ ...d, endpoint: d.endpoint ?? '-' })),
            });
          }
          const unsettled = status.deliveries.filter((d) => !SETTLED.has(d.status));
          if (unsettled.length > 0) {
            process.stderr.write(`error: ${unsettled.length} deliveries still pending after ${flags.timeout} s\n`);
            process.exitCode = 1;
          } else if (status.deliveries.some((d) => d.status !== 'delivered' && d.status !== 'sent' && d.status !== 'duplicate')) {
            process.exitCode = 1;
          }
        },
      ),
    );
}

function printPublished(
  topic: string,
  result: { messageId: string; filtered?: number; deliveries: Array<{ subscriptionId: string; endpoint: string; status: string; error?: string; lastError?: string }> },
): void {
  const n = result.deliveries.length;
  const filtered = result.filtered ?? 0;
  const filteredNote = filtered > 0 ? `; ${filtered} ${filtered === 1 ? 'subscription' : 'subscriptions'} filtered it out` : '';
  if (n === 0) {
    const why = filtered > 0 ? 'no subscription\'s filter policy matched it' : 'it has no confirmed subscriptions';
    process.stdout.write(`Published message ${result.messageId} to topic ${topic}; ${why}, so nobody was notified\n`);
    return;
  }
  process.stdout.write(`Published message ${result.messageId} to topic ${topic}: ${n} ${n === 1 ? 'delivery' : 'deliveries'}${filteredNote}\n`);
  const rows = result.deliveries.map((d) => [d.subscriptionId, d.endpoint, d.status, d.error ?? d.lastError ?? '']);
  const anyError = rows.some((row) => row[3] !== '');
  printTable(
    ['SUBSCRIPTION', 'ENDPOINT', 'STATUS', ...(anyError ? ['ERROR'] : [])],
    anyError ? rows : rows.map((row) => row.slice(0, 3)),
  );
}

/** Polls the message's delivery status until nothing is queued or retrying, or the time is up. */
async function waitForDeliveries(target: Awaited<ReturnType<typeof resolveServer>>, result: PublishResult, timeoutMs: number): Promise<MessageStatus> {
  const deadline = Date.now() + timeoutMs;
  // Delivered inline (no outbox): the publish answer is final.
  if (result.deliveries.every((d) => SETTLED.has(d.status))) return { messageId: result.messageId, deliveries: result.deliveries.map((d) => ({ ...d, attempts: 1 })) };
  for (;;) {
    const status = await apiRequest<MessageStatus>(target, 'GET', `/api/v1/notifications/messages/${encodeURIComponent(result.messageId)}`);
    if (status.deliveries.every((d) => SETTLED.has(d.status)) || Date.now() >= deadline) return status;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
