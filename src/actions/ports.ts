/**
 * What actions need from the other capabilities, as narrow ports; the
 * composition root plugs in the object store, the function runtime and the
 * broker. Actions never import those capabilities themselves.
 */
export interface ObjectWriter {
  putObject(bucket: string, key: string, body: Buffer, options?: { contentType?: string; metadata?: Record<string, string> }): Promise<void>;
}

export interface FunctionInvoker {
  /** Resolves with the invocation's outcome; rejects only if the function does not exist. */
  invokeAsync(functionName: string, event: unknown, requestId: string): Promise<{ ok: true } | { ok: false; errorMessage: string }>;
}

export interface MessagePublisher {
  publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
}

export interface ActionPorts {
  objects: ObjectWriter;
  functions: FunctionInvoker;
  broker: MessagePublisher;
}
