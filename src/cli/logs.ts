import type { Command } from 'commander';
import { SluiceError } from '../core/index.js';
import { apiRequest, resolveServer, type ConnectionOptions, type ServerTarget } from './client.js';
import { action } from './output.js';

/** A line of `GET /api/v1/functions/:name/logs` (FunctionLogLine in src/functions/log-store.ts). */
interface LogLine {
  seq: number;
  timestamp: string;
  requestId: string | null;
  level: string;
  message: string;
}

interface LogsFlags {
  follow: boolean;
  since?: string;
  requestId?: string;
  limit?: string;
  json: boolean;
}

/** As Lambda prints it (formatLogLine in src/functions/log-store.ts): platform lines as they are, the function's with time, request id and level. */
function lambdaFormat(line: LogLine): string {
  if (line.level === 'START' || line.level === 'END' || line.level === 'REPORT') return line.message;
  return `${line.timestamp}\t${line.requestId ?? 'undefined'}\t${line.level}\t${line.message}`;
}

export function registerLogsCommand(program: Command, connection: () => ConnectionOptions): void {
  program
    .command('logs')
    .description("print a function's recent log lines as Lambda does: START, its console lines, END, REPORT (kept in the server's memory)")
    .argument('<function>', 'function name')
    .option('-f, --follow', 'keep printing lines as the function logs them, until Ctrl-C', false)
    .option('--since <time>', 'only lines this recent (30s, 10m, 2h) or since an ISO 8601 time')
    .option('--request-id <id>', 'only the lines of this invocation')
    .option('--limit <n>', 'at most the newest N lines (1 to 10000; default 1000)')
    .option('--json', 'print one JSON object per line: seq, timestamp, requestId, level, message', false)
    .action(
      action(async (name: string, flags: LogsFlags) => {
        // `sluice logs f | head` closes stdout early: that is not an error.
        process.stdout.on('error', (error: NodeJS.ErrnoException) => {
          if (error.code === 'EPIPE') process.exit(0);
          throw error;
        });
        const print = (line: LogLine): void => void process.stdout.write(`${flags.json ? JSON.stringify(line) : lambdaFormat(line)}\n`);
        const params = new URLSearchParams();
        if (flags.since !== undefined) params.set('since', flags.since);
        if (flags.requestId !== undefined) params.set('requestId', flags.requestId);
        if (flags.limit !== undefined) params.set('limit', flags.limit);
        const target = await resolveServer(connection());
        const path = `/api/v1/functions/${encodeURIComponent(name)}/logs`;
        if (!flags.follow) {
          const query = params.size > 0 ? `?${params.toString()}` : '';
          const { lines } = await apiRequest<{ lines: LogLine[] }>(target, 'GET', `${path}${query}`);
          for (const line of lines) print(line);
          return;
        }
        params.set('follow', '1');
        await follow(target, `${path}?${params.toString()}`, print);
      }),
    );
}

/** Reads the server's NDJSON stream until it ends (the server stopped) or the user presses Ctrl-C. */
async function follow(target: ServerTarget, path: string, print: (line: LogLine) => void): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`${target.http}${path}`, { headers: target.token ? { authorization: `Bearer ${target.token}` } : {} });
  } catch (error) {
    throw new SluiceError('SLUICE_ERR_SERVER_UNREACHABLE', `cannot reach ${target.http}: ${(error as Error).message}. Is "sluice up" running?`, {
      cause: error,
    });
  }
  if (!response.ok || !response.body) {
    // Same error as the non-following request would give (unknown function, bad --since, no token).
    const text = await response.text();
    const apiError = (text ? (JSON.parse(text) as { error?: { code?: string; message?: string } }) : {}).error;
    const code = apiError?.code?.startsWith('SLUICE_ERR_') ? apiError.code : 'SLUICE_ERR_INTERNAL';
    throw new SluiceError(code as SluiceError['code'], apiError?.message ?? `HTTP ${response.status}`);
  }
  const decoder = new TextDecoder();
  let pending = '';
  try {
    for await (const chunk of response.body) {
      pending += decoder.decode(chunk as Uint8Array, { stream: true });
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const text = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (text.trim()) print(JSON.parse(text) as LogLine); // blank lines are the server's heartbeats
        newline = pending.indexOf('\n');
      }
    }
  } catch (error) {
    throw new SluiceError('SLUICE_ERR_SERVER_UNREACHABLE', `the log stream from ${target.http} broke: ${(error as Error).message}`, { cause: error });
  }
  throw new SluiceError('SLUICE_ERR_SERVER_UNREACHABLE', `${target.http} ended the log stream (the server stopped)`);
}
