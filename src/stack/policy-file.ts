/**
 * A policy document in its own file (`sluice policies create NAME --document
 * FILE`): JSON, as AWS's `--policy-document file://...`, or YAML. Errors name
 * the file, line, column and field, as stack file errors do.
 */
import { SluiceError } from '../core/index.js';
import { policyDocumentSchema, type PolicyDocument } from '../registry/index.js';
import { loadYaml } from './yaml-source.js';

export function parsePolicyDocumentFile(fileName: string, text: string): PolicyDocument {
  const yaml = /\.ya?ml$/i.test(fileName);
  if (!yaml) strictJson(fileName, text);
  // JSON is YAML: one reader gives positions for both.
  let loaded: ReturnType<typeof loadYaml>;
  try {
    loaded = loadYaml({ fileName, source: text });
  } catch (error) {
    if (error instanceof SluiceError) throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', error.message, { ...(error.place ? { place: error.place } : {}), cause: error });
    throw error;
  }
  const result = policyDocumentSchema.safeParse(loaded.value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', issue?.message ?? 'not a policy document', {
    place: issue && issue.path.length > 0 ? loaded.locator.place(issue.path) : { file: fileName },
  });
}

/** JSON.parse, with the error's position turned into line and column. */
function strictJson(fileName: string, text: string): void {
  try {
    JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    const lineColumn = /line (\d+) column (\d+)/.exec(message);
    let place: { file: string; line?: number; column?: number } = { file: fileName };
    if (lineColumn) place = { file: fileName, line: Number(lineColumn[1]), column: Number(lineColumn[2]) };
    else if (position) {
      const before = text.slice(0, Number(position[1]));
      const lines = before.split('\n');
      place = { file: fileName, line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
    }
    const reason = message.replace(/^JSON\.parse: /, '').replace(/ in JSON at position \d+.*$/, '').replace(/ \(line \d+ column \d+\)$/, '');
    throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `not valid JSON: ${reason}`, { place, cause: error });
  }
}
