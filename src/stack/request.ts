/** What the CLI sends to the server to deploy a stack: the file itself plus bundled function code. */
import { z } from 'zod';

export const stackDeployRequestSchema = z
  .object({
    /** The name errors are reported against (the path the user typed). */
    fileName: z.string().min(1).max(1024),
    /** The stack file's YAML text. */
    source: z.string().max(1_048_576, 'stack files are at most 1 MiB'),
    params: z.record(z.string(), z.string()).default({}),
    /** Bundled code per function name, from `prepareStackDeployment`. */
    functions: z.record(z.string(), z.object({ code: z.string() }).strict()).default({}),
  })
  .strict();

export interface StackDeployRequest {
  fileName: string;
  source: string;
  params: Record<string, string>;
  functions: Record<string, { code: string }>;
}

// Keep the interface and the schema in step: this line fails to compile if they drift.
const _sameShape: (value: z.output<typeof stackDeployRequestSchema>) => StackDeployRequest = (value) => value;
