import { readableMailTransportContract } from './contract.js';
import { createMemoryTransport } from './memory.js';

readableMailTransportContract('memory', async () => ({ transport: createMemoryTransport(), cleanup: async () => {} }));
