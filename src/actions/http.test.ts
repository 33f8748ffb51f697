import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage } from '../rules/index.js';
import { ActionError } from './action-error.js';
import { executeAction } from './execute.js';
import { postHttp, type HttpTarget } from './http.js';
import { awsActionName, targetResource, type ActionInput, type ActionJob } from './model.js';
import type { ActionPorts } from './ports.js';
import { targetKey } from './queue/port.js';
import { RuleSet } from './rule-set.js';

interface Received {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A real HTTP server on a free port that records each request and answers with `respond`; closed after the test. */
async function receiver(t: TestContext, respond: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end('ok')) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      respond(req, res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  const { port } = server.address() as AddressInfo;
  return { received, base: `http://127.0.0.1:${port}` };
}

const PAYLOAD = Buffer.from('{"name":"soilSensor1","humidity":22}');
const INPUT: ActionInput = {
  topic: 'device/soilSensor1/devicePayload',
  clientId: 'soilSensor1',
  timestamp: 1598536072677,
  payload: PAYLOAD,
  value: { name: 'soilSensor1', humidity: 22 },
};

function target(url: string, overrides: Partial<HttpTarget> = {}): HttpTarget {
  return { kind: 'http', url, headers: [], timeoutMs: 10_000, ...overrides };
}

/** Asserts that `promise` rejects with an ActionError of the given retryability whose message matches. */
async function rejectsWith(promise: Promise<unknown>, retryable: boolean, message: RegExp): Promise<ActionError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof ActionError, `expected an ActionError, got ${String(caught)}`);
  assert.equal(caught.retryable, retryable, caught.message);
  assert.match(caught.message, message);
  return caught;
}

test('http: POSTs the payload bytes with JSON content type, the configured headers, the job id and user-agent', async (t) => {
  const server = await receiver(t);
  await postHttp(target(`${server.base}/ingest/soilSensor1?k=v`, { headers: [{ key: 'x-source', value: 'sluice' }] }), INPUT, 'm1:Rule:0');
  assert.equal(server.received.length, 1);
  const [request] = server.received;
  assert.ok(request);
  assert.equal(request.method, 'POST');
  assert.equal(request.url, '/ingest/soilSensor1?k=v');
  assert.deepEqual(request.body, PAYLOAD);
  assert.equal(request.headers['content-type'], 'application/json');
  assert.equal(request.headers['x-source'], 'sluice');
  assert.equal(request.headers['x-sluice-job-id'], 'm1:Rule:0');
  assert.equal(request.headers['user-agent'], 'sluice');
});

test('http: a binary payload (no JSON value) is sent as application/octet-stream, byte for byte', async (t) => {
  const server = await receiver(t);
  const binary = Buffer.from([0x00, 0xff, 0x10]);
  await postHttp(target(`${server.base}/bin`), { ...INPUT, payload: binary, value: undefined }, 'job-1');
  assert.deepEqual(server.received[0]?.body, binary);
  assert.equal(server.received[0]?.headers['content-type'], 'application/octet-stream');
});

test("http: a stack's own content-type replaces the default; x-sluice-job-id cannot be overridden", async (t) => {
  const server = await receiver(t);
  const headers = [
    { key: 'Content-Type', value: 'application/vnd.soil+json' },
    { key: 'x-tag', value: 'a' },
    { key: 'x-tag', value: 'b' },
  ];
  await postHttp(target(`${server.base}/`, { headers }), INPUT, 'job-1');
  assert.equal(server.received[0]?.headers['content-type'], 'application/vnd.soil+json');
  assert.equal(server.received[0]?.headers['x-tag'], 'a, b', 'a repeated key is sent repeated');
  assert.equal(server.received[0]?.headers['x-sluice-job-id'], 'job-1');
});

test('http: templates in the url and header values are rendered per message (rule set → execute)', async (t) => {
  const server = await receiver(t);
  const rules = new RuleSet();
  rules.put({
    name: 'Forward',
    sql: "SELECT humidity FROM 'device/+/devicePayload'",
    enabled: true,
    actions: [
      {
        kind: 'http',
        url: `${server.base}/ingest/\${topic(2)}`,
        headers: [
          { key: 'x-source', value: 'sluice' },
          { key: 'x-device', value: '${name}-${clientid()}' },
        ],
        timeoutMs: 5_000,
      },
    ],
  });
  const message = decodeMessage({ topic: 'device/soilSensor3/devicePayload', payload: Buffer.from('{"name":"soilSensor3","humidity":29}'), clientId: 'c3', timestamp: 1 });
  const [job] = rules.route(message, 'msg-7').jobs;
  assert.ok(job);
  assert.deepEqual(job.target, {
    kind: 'http',
    url: `${server.base}/ingest/soilSensor3`,
    headers: [
      { key: 'x-source', value: 'sluice' },
      { key: 'x-device', value: 'soilSensor3-c3' },
    ],
    timeoutMs: 5_000,
  });
  const noPorts = {} as ActionPorts; // the http action uses none
  await executeAction(job.target, job.input, job.id, noPorts);
  const [request] = server.received;
  assert.ok(request);
  assert.equal(request.url, '/ingest/soilSensor3');
  assert.equal(request.headers['x-device'], 'soilSensor3-c3');
  assert.equal(request.headers['x-sluice-job-id'], 'msg-7:Forward:0');
  assert.deepEqual(JSON.parse(request.body.toString('utf8')), { humidity: 29 }, 'the SELECT output, not the original payload');
});

// [case, status, retryable]
const STATUS_CASES: Array<[string, number, boolean]> = [
  ['500 is retryable', 500, true],
  ['503 is retryable', 503, true],
  ['429 is retryable', 429, true],
  ['408 is retryable', 408, true],
  ['400 is not retryable', 400, false],
  ['404 is not retryable', 404, false],
  ['302 (redirects are not followed) is not retryable', 302, false],
];

for (const [name, status, retryable] of STATUS_CASES) {
  test(`http: ${name}`, async (t) => {
    const server = await receiver(t, (_req, res) => {
      res.writeHead(status, status === 302 ? { location: '/elsewhere?token=secret' } : {});
      res.end(`  failure\n  body ${status}`);
    });
    const error = await rejectsWith(postHttp(target(`${server.base}/ingest?apikey=secret`), INPUT, 'job-1'), retryable, new RegExp(`HTTP ${status}`));
    assert.match(error.message, new RegExp(`: failure body ${status}$`), 'a whitespace-collapsed body excerpt');
    assert.match(error.message, new RegExp(`^POST ${server.base}/ingest `), 'origin and path');
    assert.doesNotMatch(error.message, /secret/, 'no query string');
    if (status === 302) assert.match(error.message, /redirect to .*\/elsewhere not followed/);
    assert.equal(server.received.length, 1, 'one request, no redirect followed');
  });
}

test('http: the body excerpt in an error is at most 200 characters', async (t) => {
  const server = await receiver(t, (_req, res) => {
    res.writeHead(500);
    res.end('x'.repeat(100_000));
  });
  const error = await rejectsWith(postHttp(target(`${server.base}/`), INPUT, 'job-1'), true, /HTTP 500: x+…$/);
  const excerpt = error.message.slice(error.message.indexOf(': ') + 2);
  assert.equal(excerpt.length, 200);
});

test('http: a server that never answers times out (retryable)', async (t) => {
  const server = await receiver(t, () => {
    // Never answers; the connection is closed when the test ends.
  });
  const started = Date.now();
  await rejectsWith(postHttp(target(`${server.base}/slow`, { timeoutMs: 200 }), INPUT, 'job-1'), true, /timed out after 200 ms/);
  assert.ok(Date.now() - started < 5_000, 'the timeout, not some default, ended the wait');
});

test('http: connection refused is retryable', async () => {
  // Take a free port, then close the server so nothing listens on it.
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  await rejectsWith(postHttp(target(`http://127.0.0.1:${port}/`), INPUT, 'job-1'), true, /ECONNREFUSED/);
});

// [case, rendered url or header, message]
const BAD_RENDERED: Array<[string, HttpTarget, RegExp]> = [
  ['a url that no longer parses', target('http://exa mple.org:port/'), /does not parse/],
  ['a url that is not http(s)', target('ftp://example.org/'), /must be http or https/],
  ['a url with credentials', target('https://user:pw@example.org/'), /credentials/],
  ['a header value with a line break', target('http://127.0.0.1:9/', { headers: [{ key: 'x-device', value: 'a\r\nx-injected: 1' }] }), /header 'x-device'/],
];

for (const [name, bad, message] of BAD_RENDERED) {
  test(`http: ${name} is not retryable, and nothing is sent`, async () => {
    const error = await rejectsWith(postHttp(bad, INPUT, 'job-1'), false, message);
    assert.doesNotMatch(error.message, /pw@/);
  });
}

test('http: named HttpAction; resource is origin and path (no query, no credentials); queue key is per origin', () => {
  const secretive = target('https://user:pw@example.org:8443/ingest/soilSensor1?apikey=secret#frag');
  assert.equal(awsActionName(secretive), 'HttpAction');
  assert.equal(targetResource(secretive), 'https://example.org:8443/ingest/soilSensor1');
  const job = { target: secretive } as ActionJob;
  assert.equal(targetKey(job), 'http:https://example.org:8443');
  assert.equal(targetKey({ target: target('https://example.org:8443/other') } as ActionJob), targetKey(job), 'same origin, same key');
  assert.equal(targetResource(target('not a url')), 'invalid URL');
});
