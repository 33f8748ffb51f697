/**
 * `npm run bench:profile`: the reference pipeline at full load under V8's CPU
 * profiler. Starts `sluice up` (stacks/soil-moisture.yaml) with --cpu-prof,
 * drives it with QoS 1 readings below the threshold (every message stored,
 * every message invoking the function) until the queue drains, stops it, and
 * prints the functions with the most self time, grouped by source file.
 * The .cpuprofile is kept (path printed) for Chrome DevTools or speedscope.
 *
 *   npm run bench:profile -- [--messages 20000] [--window 100] [--stack FILE]
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { publishLoad } from './broker.js';
import { drained, REPO_ROOT, startSluiceUp } from './sluice-up.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const argument = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};

const messages = argument('--messages', 20_000);
const window = argument('--window', 100);
const profileDir = join(REPO_ROOT, 'bench', 'results', 'profiles');

const stackAt = process.argv.indexOf('--stack');
const stack = stackAt >= 0 ? process.argv[stackAt + 1] : undefined;
const sluice = await startSluiceUp({ nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir], ...(stack ? { stack } : {}) });
let profileFile: string | undefined;
try {
  const acks = await publishLoad('profile', sluice.endpoints.mqtt, { messages, window, budgetMs: 120_000 });
  await drained(sluice.endpoints.http);
  process.stderr.write(`published ${acks.operations} messages (${Math.round(acks.rate)} PUBACKs/s), queue drained\n`);
} finally {
  const before = new Set(await readdir(profileDir).catch(() => [] as string[]));
  await sluice.stop();
  profileFile = (await readdir(profileDir)).find((name) => name.endsWith('.cpuprofile') && !before.has(name));
}
if (!profileFile) throw new Error(`no new .cpuprofile in ${profileDir}`);

const profile = JSON.parse(await readFile(join(profileDir, profileFile), 'utf8')) as CpuProfile;
const selfMs = new Map<number, number>();
profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
const total = [...selfMs.values()].reduce((a, b) => a + b, 0);
const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
for (const node of profile.nodes) {
  const ms = selfMs.get(node.id) ?? 0;
  if (ms === 0) continue;
  const file = node.callFrame.url ? relative(REPO_ROOT, node.callFrame.url.replace(/^file:\/\//, '')) : `(${node.callFrame.functionName || 'native'})`;
  const name = `${node.callFrame.functionName || '(anonymous)'}  ${file}:${node.callFrame.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
  const group = file.startsWith('node_modules/') ? file.split('/').slice(0, file.startsWith('node_modules/@') ? 3 : 2).join('/') : file;
  byFile.set(group, (byFile.get(group) ?? 0) + ms);
}
const top = (map: Map<string, number>, n: number): string =>
  [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, ms]) => `${((100 * ms) / total).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(6)} ms  ${name}`).join('\n');
process.stdout.write(`profile: ${join(profileDir, profileFile)} (${(total / 1000).toFixed(1)} s of samples)\n\nself time by file or package:\n${top(byFile, 25)}\n\nself time by function:\n${top(byFunction, 30)}\n`);
