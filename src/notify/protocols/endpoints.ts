import type { Protocol } from '../types.js';
import { normalizeEmailAddress } from './email-address.js';
import { normalizeFunctionEndpoint } from './function.js';
import { normalizeHttpEndpoint } from './http.js';
import { normalizeMqttEndpoint } from './mqtt.js';

/** Each protocol's endpoint check and normal form, without a driver (pure: for validating stack files). */
export const ENDPOINT_NORMALIZERS: Readonly<Record<Protocol, (endpoint: string) => string>> = {
  email: normalizeEmailAddress,
  'email-json': normalizeEmailAddress,
  http: (endpoint) => normalizeHttpEndpoint('http', endpoint),
  https: (endpoint) => normalizeHttpEndpoint('https', endpoint),
  function: normalizeFunctionEndpoint,
  mqtt: normalizeMqttEndpoint,
};
