/**
 * Who may connect to the broker and what each connection may do: the
 * broker's `authenticate` hook, built from the registry (certificates,
 * things, attached policies), the token store and the policy engine.
 *
 * - A client certificate (TLS listeners) must be known and ACTIVE; the
 *   policies attached to it decide, with AWS IoT's semantics.
 * - A device token (username + token as password) is governed the same way
 *   by the policies attached to `token/<id>`.
 * - An admin token may do everything (the operator's tools, the console); a
 *   read-only token may subscribe and receive but not publish.
 * - `--insecure`: plaintext TCP and WebSocket clients need nothing.
 *
 * Registry and token changes re-decide every live connection at once, so a
 * revoked certificate's session is dropped within a second.
 */
import { ALLOW_ALL, type Broker, type ClientPermissions, type ConnectDecision, type ConnectRequest } from '../broker/index.js';
import type { Logger } from '../core/index.js';
import { createAuthorizer, type Authorizer, type CertificateFields, type PolicyScope, type Registry, type TokenStore } from '../registry/index.js';

export interface DeviceAuthOptions {
  identity: Pick<Registry, 'identifyClient' | 'certificateFields' | 'listAttachedPolicies' | 'listPrincipalThings' | 'describeThing'>;
  tokens: Pick<TokenStore, 'verify'>;
  scope: PolicyScope;
  insecure: boolean;
  logger: Logger;
}

const READ_ONLY: ClientPermissions = Object.freeze({
  principal: 'read-only',
  canPublish: () => false,
  canSubscribe: () => true,
  canReceive: () => true,
});

const ADMIN: ClientPermissions = Object.freeze({ ...ALLOW_ALL, principal: 'admin' });

export class DeviceAuth {
  readonly #options: DeviceAuthOptions;

  constructor(options: DeviceAuthOptions) {
    this.#options = options;
  }

  /** The broker's `authenticate` hook. */
  readonly authenticate = async (request: ConnectRequest): Promise<ConnectDecision> => {
    if (request.certificate) return this.#byCertificate(request, request.certificate);
    if (request.password !== undefined) return this.#byToken(request, request.password);
    if (this.#options.insecure && (request.transport === 'tcp' || request.transport === 'ws')) {
      // The demo: anyone, anything. principal() is the username the client gave, if any.
      return { ok: true, permissions: { ...ALLOW_ALL, principal: request.username } };
    }
    return { ok: false, reason: 'no client certificate and no token: connect over TLS with a device certificate, or with a device token as password' };
  };

  /**
   * Re-decides every live connection; called on registry and token changes.
   * Debounced, because one stack deploy changes many things at once.
   */
  watch(broker: Broker): { changed: () => void; close: () => void } {
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<void> = Promise.resolve();
    const run = (): void => {
      timer = undefined;
      running = running
        .then(async () => {
          const closed = await broker.recheck(async (connection) => {
            const decision = await this.authenticate(connection.request);
            return decision.ok ? decision.permissions : undefined;
          });
          if (closed > 0) this.#options.logger.info({ closed }, 'connections closed after a registry change');
        })
        .catch((error: unknown) => this.#options.logger.error({ err: error }, 'could not re-check live connections'));
    };
    return {
      changed: () => {
        timer ??= setTimeout(run, 100);
      },
      close: () => clearTimeout(timer),
    };
  }

  async #byCertificate(request: ConnectRequest, certificate: { der: Buffer; chain: Buffer[] }): Promise<ConnectDecision> {
    const identified = await this.#options.identity.identifyClient(certificate.der, certificate.chain);
    if (!identified.ok) return { ok: false, reason: identified.reason };
    const principal = identified.certificate.certificateId;
    const fields = await this.#options.identity.certificateFields(principal);
    return this.#byPolicies(request, principal, undefined, fields);
  }

  async #byToken(request: ConnectRequest, password: Buffer): Promise<ConnectDecision> {
    const token = await this.#options.tokens.verify(password.toString('utf8'));
    if (!token) return { ok: false, reason: 'unknown, expired or revoked token' };
    switch (token.scope) {
      case 'admin':
        return { ok: true, permissions: ADMIN };
      case 'read-only':
        return { ok: true, permissions: READ_ONLY };
      case 'device':
        if (token.clientId !== undefined && token.clientId !== request.clientId) {
          return { ok: false, reason: `device token ${token.tokenId} is for client id '${token.clientId}', not '${request.clientId}'` };
        }
        return this.#byPolicies(request, `token/${token.tokenId}`, token.thingName, undefined);
    }
  }

  /**
   * AWS: iot:Connection.Thing.ThingName is set when the client id is the
   * name of a thing attached to the principal (for a device token, the thing
   * it was issued for).
   */
  async #byPolicies(request: ConnectRequest, principal: string, tokenThing: string | undefined, certificate: CertificateFields | undefined): Promise<ConnectDecision> {
    const { identity, scope } = this.#options;
    const [policies, things] = await Promise.all([identity.listAttachedPolicies(principal), identity.listPrincipalThings(principal)]);
    const attachedThing = things.includes(request.clientId) ? request.clientId : tokenThing !== undefined && things.includes(tokenThing) ? tokenThing : undefined;
    const thing = attachedThing !== undefined ? await identity.describeThing(attachedThing) : undefined;
    const authorizer = createAuthorizer(
      policies.map((p) => p.document),
      {
        clientId: request.clientId,
        principal,
        isAttached: thing !== undefined,
        ...(thing && attachedThing !== undefined ? { thingName: attachedThing, thingAttributes: thing.attributes } : {}),
        ...(thing?.thingTypeName !== undefined ? { thingTypeName: thing.thingTypeName } : {}),
        ...(certificate ? { certificate } : {}),
        ...(request.sourceIp !== undefined ? { sourceIp: request.sourceIp } : {}),
      },
      scope,
    );
    if (!authorizer.allows('iot:Connect', request.clientId)) {
      const { reason } = authorizer.explain('iot:Connect', request.clientId);
      return { ok: false, reason: `policy does not allow iot:Connect for client id '${request.clientId}' (${reason})` };
    }
    return { ok: true, permissions: permissionsOf(principal, authorizer) };
  }
}

function permissionsOf(principal: string, authorizer: Authorizer): ClientPermissions {
  return {
    principal,
    // AWS: a retained publish needs iot:RetainPublish as well as iot:Publish.
    canPublish: (topic, retain) => authorizer.allows('iot:Publish', topic) && (!retain || authorizer.allows('iot:RetainPublish', topic)),
    canSubscribe: (filter) => authorizer.allows('iot:Subscribe', filter),
    canReceive: (topic) => authorizer.allows('iot:Receive', topic),
  };
}
