/**
 * A Sluice broker in its own process, for the end-to-end benchmark: the load
 * generator then shares no event loop with it, as with Mosquitto. Prints
 * `{"port":N}` once listening; stops on SIGTERM or when stdin closes (so it
 * cannot outlive the benchmark).
 */
import { ALLOW_ALL, Broker } from '../src/broker/index.js';
import { silentLogger } from '../src/core/index.js';

const broker = await Broker.create({
  logger: silentLogger(),
  hooks: {
    // No rules: this measures the broker and its hook, not the pipeline.
    onMessage: () => Promise.resolve(),
    authenticate: () => ({ ok: true, permissions: ALLOW_ALL }),
  },
});
const address = await broker.listenTcp('127.0.0.1', 0);
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  void broker.close().then(() => process.stdin.destroy());
}
process.once('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
