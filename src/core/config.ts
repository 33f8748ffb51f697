import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { SluiceError } from './errors.js';
import { formatFieldPath } from './zod-errors.js';

const port = z.coerce.number().int().min(0).max(65535);

/**
 * `sluice up` settings, from flags or `SLUICE_<FLAG>` env vars. Validated
 * once at start-up and frozen; the rest of the server trusts them.
 */
export const serverConfigSchema = z
  .object({
    dataDir: z.string().min(1).default('./data'),
    host: z.string().min(1).default('127.0.0.1'),
    mqttPort: port.default(1883),
    /** MQTT over TLS with client certificates (AWS IoT: 8883). */
    mqttsPort: port.default(8883),
    /** MQTT over secure WebSocket, at /mqtt (AWS IoT: 443). */
    wssPort: port.default(8443),
    /** Host names and IPs the built-in CA's server certificate is issued for (besides localhost, 127.0.0.1 and ::1). */
    tlsHosts: z.array(z.string().min(1)).default([]),
    /** The operator's own server certificate and key (PEM files), instead of one from the built-in CA. */
    tlsCert: z.string().min(1).optional(),
    tlsKey: z.string().min(1).optional(),
    /** Region and account in policy resource ARNs (arn:aws:iot:REGION:ACCOUNT:topic/...), so AWS policies work as written. */
    iotRegion: z.string().regex(/^[a-z0-9-]+$/, 'expected a region such as us-east-1').default('local'),
    iotAccount: z.string().regex(/^\d{12}$/, 'expected a 12-digit account id').default('000000000000'),
    httpPort: port.default(8080),
    smtp: z
      .string()
      .regex(/^smtps?:\/\//, 'expected a URL such as smtp://HOST:PORT or smtps://USER:PASS@HOST:465')
      .optional(),
    /** Base of links in emails (confirm, unsubscribe); defaults to the HTTP endpoint. */
    publicUrl: z.url().optional(),
    mailFrom: z.string().default('Sluice <no-reply@sluice.local>'),
    stacks: z.array(z.string().min(1)).default([]),
    params: z.record(z.string(), z.string()).default({}),
    simulate: z.boolean().default(false),
    /** Jobs on disk beyond which QoS 1 PUBACKs wait and QoS 0 messages are dropped (counted). */
    maxBacklog: z.coerce.number().int().min(1).default(100_000),
    /**
     * `sqlite` (default) keeps queued actions across crashes. `memory` loses
     * them; it exists to measure what durability costs, not for use.
     */
    actionQueue: z.enum(['sqlite', 'memory']).default('sqlite'),
    /** Input limits; unset ones take AWS IoT Core's (payload 128 KB, topic 256 B and 7 levels, client id 128 B). */
    maxPayloadBytes: z.coerce.number().int().min(1).optional(),
    maxTopicBytes: z.coerce.number().int().min(1).optional(),
    maxTopicLevels: z.coerce.number().int().min(1).max(100).optional(),
    maxClientIdBytes: z.coerce.number().int().min(1).optional(),
    insecure: z.boolean().default(false),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict()
  .refine((c) => (c.tlsCert === undefined) === (c.tlsKey === undefined), { message: 'give both --tls-cert and --tls-key, or neither', path: ['tlsCert'] });

export type ServerOptions = z.input<typeof serverConfigSchema>;
export type ServerConfig = Readonly<z.output<typeof serverConfigSchema>>;

export function resolveServerConfig(options: ServerOptions): ServerConfig {
  const parsed = serverConfigSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue ? formatFieldPath(issue.path) : '';
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `invalid option ${field}: ${issue?.message ?? 'invalid'}`, {
      place: { field },
    });
  }
  const config = parsed.data;
  const dataDir = isAbsolute(config.dataDir) ? config.dataDir : resolve(config.dataDir);
  return Object.freeze({ ...config, dataDir, publicUrl: config.publicUrl?.replace(/\/+$/, '') });
}

/** `KEY=VALUE` pairs from repeated `--param` flags. */
export function parseParams(pairs: ReadonlyArray<string>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `--param '${pair}': expected KEY=VALUE`, { place: { field: 'param' } });
    }
    params[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return params;
}
