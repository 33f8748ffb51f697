export interface MessageContext {
  topic: string;
  payload: Buffer;
  clientId: string;
  /** ms since epoch when the broker received it */
  timestamp: number;
  /** the authenticated identity that published it (certificate id, username); for principal() */
  principal?: string;
  /** the publisher's IP address; for sourceip() */
  sourceIp?: string;
  /** the message's trace id (MQTT 5 correlation data when it exists); for traceid() */
  traceId?: string;
}

export type JsonResult = { ok: true; value: unknown } | { ok: false; error: string };

/** Parses the payload as JSON at most once, shared by every rule that reads it. */
export interface DecodedMessage extends MessageContext {
  json(): JsonResult;
}

// fatal: a binary payload that is not UTF-8 is "not JSON", not JSON of replacement characters.
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeMessage(ctx: MessageContext): DecodedMessage {
  let cached: JsonResult | undefined;
  return {
    topic: ctx.topic,
    payload: ctx.payload,
    clientId: ctx.clientId,
    timestamp: ctx.timestamp,
    ...(ctx.principal !== undefined ? { principal: ctx.principal } : {}),
    ...(ctx.sourceIp !== undefined ? { sourceIp: ctx.sourceIp } : {}),
    ...(ctx.traceId !== undefined ? { traceId: ctx.traceId } : {}),
    json(): JsonResult {
      cached ??= parseJson(ctx.payload);
      return cached;
    },
  };
}

function parseJson(payload: Buffer): JsonResult {
  try {
    return { ok: true, value: JSON.parse(utf8.decode(payload)) as unknown };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
