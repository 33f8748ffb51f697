import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Message, type Plugin } from 'esbuild';
import { SluiceError } from '../core/index.js';
import { isTypeCheckedFile, typeCheckFunction, type TypeCheckOptions } from './typecheck.js';

/** The source of `sluice/runtime`, resolved from this file so bundling works from any directory. */
export const RUNTIME_ENTRY = fileURLToPath(new URL('./runtime/index.ts', import.meta.url));

// ESM output has no `require`, but bundled CommonJS packages call it for Node
// built-ins. esbuild renames user code's own top-level `require` around this.
const REQUIRE_BANNER =
  "import { createRequire as __sluiceCreateRequire } from 'node:module';\n" +
  'const require = __sluiceCreateRequire(import.meta.url);';

const runtimeAlias: Plugin = {
  name: 'sluice-runtime',
  setup(b) {
    b.onResolve({ filter: /^sluice\/runtime$/ }, () => ({ path: RUNTIME_ENTRY }));
  },
};

export interface BundleOptions {
  /** Extra esbuild plugins, e.g. to alias more modules. */
  plugins?: Plugin[];
  /**
   * Type-check a TypeScript entry (`.ts`, `.tsx`, `.mts`, `.cts`) after bundling
   * it; a type error fails like a syntax error. Default: true, unless the
   * environment has `SLUICE_FUNCTION_TYPECHECK=0`. An object sets the check's
   * options (its cache directory).
   */
  typeCheck?: boolean | TypeCheckOptions;
}

/** `SLUICE_FUNCTION_TYPECHECK=0` (or `false`, `off`, `no`) turns the type check off for whoever bundles in this process. */
export function typeCheckEnabledByEnvironment(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.SLUICE_FUNCTION_TYPECHECK?.trim().toLowerCase();
  return !(value === '0' || value === 'false' || value === 'off' || value === 'no');
}

/**
 * Bundles a function's entry (TypeScript or JavaScript) and everything it
 * imports into one self-contained ES module, so the server needs only this
 * string, never the source tree. Node built-ins stay imports. A TypeScript
 * entry is then type-checked (see `typecheck.ts`): esbuild only strips types.
 */
export async function bundleFunction(entryFile: string, exportName = 'handler', options: BundleOptions = {}): Promise<{ code: string }> {
  const entry = path.resolve(entryFile);
  let result;
  try {
    result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // An outfile name is needed for the metafile's export list; nothing is written.
      // Beside the entry, so source-map paths are relative to the entry's folder...
      outfile: path.join(path.dirname(entry), '.sluice-function.mjs'),
      metafile: true,
      // ...and, rooted there, stack traces name the author's own files and lines.
      sourcemap: 'inline',
      sourceRoot: `${pathToFileURL(path.dirname(entry)).href}/`,
      sourcesContent: false,
      logLevel: 'silent',
      banner: { js: REQUIRE_BANNER },
      plugins: [runtimeAlias, ...(options.plugins ?? [])],
    });
  } catch (error) {
    throw bundleError(entry, error);
  }
  const output = result.outputFiles[0];
  const meta = Object.values(result.metafile.outputs)[0];
  if (!output || !meta) throw new SluiceError('SLUICE_ERR_FUNCTION_BUNDLE', `${entryFile}: esbuild produced no output`, { place: { file: entryFile } });
  if (!meta.exports.includes(exportName)) {
    throw new SluiceError(
      'SLUICE_ERR_FUNCTION_BUNDLE',
      `${entryFile}: does not export ${JSON.stringify(exportName)} (exports: ${meta.exports.join(', ') || 'none'})`,
      { place: { file: entryFile } },
    );
  }
  // After the bundle: esbuild's errors (syntax, a missing import or export) come first and fast.
  const typeCheck = options.typeCheck ?? typeCheckEnabledByEnvironment();
  if (typeCheck !== false && isTypeCheckedFile(entry)) await typeCheckFunction(entry, typeCheck === true ? {} : typeCheck);
  return { code: output.text };
}

function bundleError(entry: string, error: unknown): SluiceError {
  const errors = (error as { errors?: Message[] }).errors;
  const first = errors?.[0];
  if (!first) {
    return new SluiceError('SLUICE_ERR_FUNCTION_BUNDLE', `${entry}: ${String(error)}`, { place: { file: entry }, cause: error });
  }
  if (!first.location) {
    // e.g. the entry file does not exist: esbuild has no position to give.
    return new SluiceError('SLUICE_ERR_FUNCTION_BUNDLE', `${entry}: ${first.text}`, { place: { file: entry }, cause: error });
  }
  const { file, line } = first.location;
  // esbuild columns count from 0; editors and `file:line:column` links count from 1.
  const column = first.location.column + 1;
  const absolute = path.resolve(file);
  return new SluiceError('SLUICE_ERR_FUNCTION_BUNDLE', `${absolute}:${line}:${column}: ${first.text}`, {
    place: { file: absolute, line, column },
    cause: error,
    details: { errors: errors.length },
  });
}
