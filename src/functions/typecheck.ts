/**
 * The type check of a function's TypeScript source before it is deployed:
 * esbuild only strips types, so without this a type error would deploy.
 *
 * One `ts.Program` per entry, rooted at the entry alone, with the compiler
 * options of the nearest `tsconfig.json` above it (or strict defaults), and
 * `sluice/runtime` resolved to Sluice's own `runtime/index.ts`. A program costs
 * seconds, so a success is remembered on disk: a marker named by the entry and
 * its tsconfig, listing every file (and every file-existence answer) the
 * compiler used; the next check of the same entry re-reads and re-hashes them
 * instead of compiling, and does not even load `typescript` when all match.
 */
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type ts from 'typescript';
import { SluiceError } from '../core/index.js';

const require = createRequire(import.meta.url);

/** What `sluice/runtime` resolves to, for the type check as for the bundle. */
const RUNTIME_ENTRY = fileURLToPath(new URL('./runtime/index.ts', import.meta.url));
/**
 * Sluice's own sources reached through `sluice/runtime`: they give the user's
 * code its types, but their diagnostics are not the user's (Sluice checks
 * them itself, perhaps under other options).
 */
const SLUICE_SOURCE_DIRS = [
  fileURLToPath(new URL('./runtime/', import.meta.url)),
  fileURLToPath(new URL('./worker/', import.meta.url)),
];
/** Sluice's own `node_modules/@types`, so `types: ['node']` works for a function outside any project. */
const SLUICE_TYPE_ROOT = path.dirname(path.dirname(require.resolve('@types/node/package.json')));
const TYPESCRIPT_VERSION = (require('typescript/package.json') as { version: string }).version;

/** Bumped whenever the defaults or the marker format change, so old markers stop matching. */
const CACHE_SCHEMA = 1;
/** Markers kept in a cache directory; the oldest beyond this are deleted. */
const MAX_MARKERS = 500;
/** Errors written out in full; the rest are counted. */
const MAX_LISTED = 10;
/** tsconfig's "No inputs were found": the check never reads `include`, its program is the entry alone. */
const TS_NO_INPUTS = 18003;

export const TYPE_CHECKED_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts'] as const;

export function isTypeCheckedFile(file: string): boolean {
  return (TYPE_CHECKED_EXTENSIONS as readonly string[]).includes(path.extname(file).toLowerCase());
}

export interface TypeCheckOptions {
  /**
   * Where success markers are kept: a directory, or `false` for this process's
   * memory only. Default: `defaultTypeCheckCacheDir()`.
   */
  cacheDir?: string | false;
}

export interface TypeCheckResult {
  /** Where a previous success was found, or false when the compiler ran. */
  cached: 'memory' | 'disk' | false;
  durationMs: number;
  /** Files the compiler read (or, from a marker, re-checked), lib files aside. */
  files: number;
}

/** Counters for tests and measurements: how many checks ran the compiler, how many hit a marker. */
export const typeCheckStats = { checks: 0, compiled: 0, memoryHits: 0, diskHits: 0 };

/** `<tmpdir>/sluice-typecheck-<uid>`: per user, created with mode 0700. */
export function defaultTypeCheckCacheDir(): string {
  const user = typeof process.getuid === 'function' ? String(process.getuid()) : os.userInfo().username;
  return path.join(os.tmpdir(), `sluice-typecheck-${user}`);
}

/** The strict defaults for a function with no tsconfig.json above it. */
function defaultCompilerOptions(t: typeof ts): ts.CompilerOptions {
  return {
    strict: true,
    target: t.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts'],
    module: t.ModuleKind.ESNext,
    moduleResolution: t.ModuleResolutionKind.Bundler,
    moduleDetection: t.ModuleDetectionKind.Force,
    esModuleInterop: true,
    resolveJsonModule: true,
    allowJs: true,
    allowImportingTsExtensions: true,
    isolatedModules: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [SLUICE_TYPE_ROOT],
    jsx: t.JsxEmit.Preserve,
  };
}

/** Options that only matter for emitting; with `noEmit` some of them are errors (TS5053), others point checks elsewhere. */
const EMIT_ONLY_OPTIONS = [
  'composite',
  'declaration',
  'declarationMap',
  'declarationDir',
  'emitDeclarationOnly',
  'incremental',
  'tsBuildInfoFile',
  'outDir',
  'outFile',
  'rootDir',
  'sourceMap',
  'inlineSourceMap',
] as const;

/** The nearest `tsconfig.json` in the entry's directory or above, like `ts.findConfigFile`, without loading TypeScript. */
function findTsconfig(entry: string): string | undefined {
  let dir = path.dirname(entry);
  for (;;) {
    const candidate = path.join(dir, 'tsconfig.json');
    if (isFile(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

// ---------------------------------------------------------------- the marker

/**
 * One thing the compiler learned from the file system: a file's content
 * (`f`: its hash, or null if unreadable), whether a file (`e`) or directory
 * (`d`) exists, a directory's subdirectories (`l`), a real path (`r`).
 */
type Observation = ['f' | 'e' | 'd' | 'l' | 'r', string, string | boolean | null];

interface Marker {
  schema: number;
  entry: string;
  checkedAt: string;
  observations: Observation[];
}

function observe(kind: Observation[0], target: string): Observation[2] {
  switch (kind) {
    case 'f':
      try {
        return sha256(readFileSync(target));
      } catch {
        return null;
      }
    case 'e':
      return isFile(target);
    case 'd':
      return isDirectory(target);
    case 'l':
      return sha256(listDirectories(target).join('\n'));
    case 'r':
      try {
        return realpathSync.native(target);
      } catch {
        return target;
      }
  }
}

/** A directory's subdirectories, symbolic links to directories included, as `ts.sys.getDirectories` lists them. */
function listDirectories(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => (d.isSymbolicLink() ? isDirectory(path.join(dir, d.name)) : d.isDirectory()))
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

/** A source file's text as `ts.sys.readFile` decodes it: UTF-8, or UTF-16 after its byte order mark. */
function decodeSource(bytes: Buffer): string {
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    return Buffer.from(bytes.subarray(2, bytes.length - (bytes.length % 2))).swap16().toString('utf16le');
  }
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.toString('utf16le', 2);
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.toString('utf8', 3);
  return bytes.toString('utf8');
}

/** True when every observation still holds: the compiler would read the same inputs. */
function stillHolds(observations: readonly Observation[]): boolean {
  return observations.every(([kind, target, value]) => observe(kind, target) === value);
}

/** The marker's name: what decides the inputs before any is read (the entry, its tsconfig, the compiler, Sluice's runtime). */
function markerKey(entry: string, tsconfig: string | undefined): string {
  return sha256(JSON.stringify({ schema: CACHE_SCHEMA, typescript: TYPESCRIPT_VERSION, entry, tsconfig: tsconfig ?? null, runtime: RUNTIME_ENTRY, types: SLUICE_TYPE_ROOT }));
}

const memoryMarkers = new Map<string, Observation[]>();

/** Forgets this process's successes (not the markers on disk): for tests of the disk cache. */
export function forgetTypeCheckSuccesses(): void {
  memoryMarkers.clear();
}

/** The cache directory, created if needed; undefined when it cannot be used safely (not ours, a symlink). */
function usableCacheDir(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const info = lstatSync(dir);
    if (!info.isDirectory()) return undefined;
    if (typeof process.getuid === 'function' && info.uid !== process.getuid()) return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

function readMarker(dir: string, key: string): Observation[] | undefined {
  try {
    const marker = JSON.parse(readFileSync(path.join(dir, `${key}.json`), 'utf8')) as Marker;
    return marker.schema === CACHE_SCHEMA && Array.isArray(marker.observations) ? marker.observations : undefined;
  } catch {
    return undefined;
  }
}

function writeMarker(dir: string, key: string, marker: Marker): void {
  const file = path.join(dir, `${key}.json`);
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, JSON.stringify(marker), { mode: 0o600 });
    renameSync(temp, file);
    pruneMarkers(dir);
  } catch {
    // A cache that cannot be written costs time, never correctness.
    try {
      unlinkSync(temp);
    } catch {
      // not written
    }
  }
}

/** Keeps at most MAX_MARKERS markers (each entry file has one; temp dirs of tests leave theirs). */
function pruneMarkers(dir: string): void {
  const names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  if (names.length <= MAX_MARKERS) return;
  const aged = names
    .map((name) => {
      try {
        return { name, mtime: statSync(path.join(dir, name)).mtimeMs };
      } catch {
        return { name, mtime: 0 };
      }
    })
    .sort((a, b) => a.mtime - b.mtime);
  for (const { name } of aged.slice(0, names.length - Math.floor(MAX_MARKERS * 0.8))) {
    try {
      unlinkSync(path.join(dir, name));
    } catch {
      // another process pruned it
    }
  }
}

// ---------------------------------------------------------------- the compiler

let typescript: typeof ts | undefined;

/** Loaded on the first check that misses the cache: `import('typescript')` costs a few hundred ms. */
async function loadTypeScript(): Promise<typeof ts> {
  typescript ??= (await import('typescript')).default;
  return typescript;
}

/**
 * Parsed and bound SourceFiles of earlier programs in this process, reused when
 * the options and the text are the same (lib files, @types/node, the runtime):
 * like `ts.createDocumentRegistry`, without its language-service bookkeeping.
 */
const sourceFiles = new Map<string, { text: string; file: ts.SourceFile }>();

/**
 * Type-checks a function's entry and everything it imports. Throws
 * `SLUICE_ERR_FUNCTION_BUNDLE` listing the errors as `file:line:column: TS1234: message`,
 * the first one in `place`.
 */
export async function typeCheckFunction(entryFile: string, options: TypeCheckOptions = {}): Promise<TypeCheckResult> {
  const started = performance.now();
  typeCheckStats.checks += 1;
  const entry = path.resolve(entryFile);
  const tsconfig = findTsconfig(entry);
  const key = markerKey(entry, tsconfig);
  const cacheDir = options.cacheDir === false ? undefined : usableCacheDir(options.cacheDir ?? defaultTypeCheckCacheDir());
  const elapsed = () => Math.round(performance.now() - started);

  // The memory entry is per cache setting: a test with its own cacheDir must not see another's successes.
  const memoryKey = `${cacheDir ?? ''}\0${key}`;
  const remembered = memoryMarkers.get(memoryKey);
  if (remembered && stillHolds(remembered)) {
    typeCheckStats.memoryHits += 1;
    return { cached: 'memory', durationMs: elapsed(), files: remembered.length };
  }
  if (cacheDir) {
    const observations = readMarker(cacheDir, key);
    if (observations && stillHolds(observations)) {
      memoryMarkers.set(memoryKey, observations);
      typeCheckStats.diskHits += 1;
      return { cached: 'disk', durationMs: elapsed(), files: observations.length };
    }
  }

  const t = await loadTypeScript();
  typeCheckStats.compiled += 1;
  const { diagnostics, observations } = compile(t, entry, tsconfig);
  if (diagnostics.length > 0) throw typeError(t, entry, tsconfig, diagnostics);
  memoryMarkers.set(memoryKey, observations);
  if (cacheDir) writeMarker(cacheDir, key, { schema: CACHE_SCHEMA, entry, checkedAt: new Date().toISOString(), observations });
  return { cached: false, durationMs: elapsed(), files: observations.length };
}

function compile(t: typeof ts, entry: string, tsconfig: string | undefined): { diagnostics: ts.Diagnostic[]; observations: Observation[] } {
  const libDir = path.dirname(t.getDefaultLibFilePath({}));
  const observed = new Map<string, Observation>();
  const record = (kind: Observation[0], target: string, value: Observation[2]) => {
    // Lib files come with the compiler, whose version is in the marker's key.
    if (target.startsWith(libDir + path.sep) || target === libDir) return;
    observed.set(`${kind}\0${target}`, [kind, target, value]);
  };
  const sys = t.sys;
  const readFile = (file: string): string | undefined => {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      record('f', file, null);
      return undefined;
    }
    record('f', file, sha256(bytes));
    return decodeSource(bytes);
  };
  const fileExists = (file: string): boolean => {
    const exists = sys.fileExists(file);
    record('e', file, exists);
    return exists;
  };
  const directoryExists = (dir: string): boolean => {
    const exists = sys.directoryExists(dir);
    record('d', dir, exists);
    return exists;
  };

  const configErrors: ts.Diagnostic[] = [];
  let options: ts.CompilerOptions;
  if (tsconfig) {
    const read = t.readConfigFile(tsconfig, readFile);
    if (read.error) return { diagnostics: [read.error], observations: [] };
    const parsed = t.parseJsonConfigFileContent(
      read.config,
      { useCaseSensitiveFileNames: sys.useCaseSensitiveFileNames, readDirectory: () => [], fileExists, readFile },
      path.dirname(tsconfig),
      undefined,
      tsconfig,
    );
    configErrors.push(...parsed.errors.filter((d) => d.code !== TS_NO_INPUTS));
    options = { ...parsed.options };
    for (const name of EMIT_ONLY_OPTIONS) delete options[name];
  } else {
    options = defaultCompilerOptions(t);
  }
  options.noEmit = true;

  const host = t.createCompilerHost(options);
  const optionsKey = sha256(JSON.stringify(options));
  host.readFile = readFile;
  host.fileExists = fileExists;
  host.directoryExists = directoryExists;
  host.getDirectories = (dir) => {
    const dirs = sys.getDirectories(dir);
    record('l', dir, sha256([...dirs].sort().join('\n')));
    return dirs;
  };
  host.realpath = (file) => {
    const real = sys.realpath ? sys.realpath(file) : file;
    record('r', file, real);
    return real;
  };
  host.getSourceFile = (fileName, languageVersionOrOptions, onError) => {
    const text = readFile(fileName);
    if (text === undefined) {
      onError?.(`cannot read ${fileName}`);
      return undefined;
    }
    const parse =
      typeof languageVersionOrOptions === 'object'
        ? [languageVersionOrOptions.languageVersion, languageVersionOrOptions.impliedNodeFormat, languageVersionOrOptions.jsDocParsingMode]
        : [languageVersionOrOptions];
    const cacheKey = `${optionsKey}\0${JSON.stringify(parse)}\0${fileName}`;
    const known = sourceFiles.get(cacheKey);
    if (known && known.text === text) return known.file;
    const file = t.createSourceFile(fileName, text, languageVersionOrOptions);
    sourceFiles.set(cacheKey, { text, file });
    return file;
  };

  const moduleCache = t.createModuleResolutionCache(host.getCurrentDirectory(), (s) => host.getCanonicalFileName(s), options);
  host.resolveModuleNameLiterals = (literals, containingFile, redirected, compilerOptions, containingSourceFile) =>
    literals.map((literal) => {
      if (literal.text === 'sluice/runtime') {
        return { resolvedModule: { resolvedFileName: RUNTIME_ENTRY, extension: t.Extension.Ts, isExternalLibraryImport: false } };
      }
      const mode = t.getModeForUsageLocation(containingSourceFile, literal, compilerOptions);
      return t.resolveModuleName(literal.text, containingFile, compilerOptions, host, moduleCache, redirected, mode);
    });
  // A tsconfig whose `types: ["node"]` finds no @types/node of its own gets Sluice's.
  const typeCache = t.createTypeReferenceDirectiveResolutionCache(host.getCurrentDirectory(), (s) => host.getCanonicalFileName(s), options, moduleCache.getPackageJsonInfoCache());
  host.resolveTypeReferenceDirectiveReferences = (references, containingFile, redirected, compilerOptions, containingSourceFile) =>
    references.map((reference) => {
      const name = typeof reference === 'string' ? reference : reference.fileName.toLowerCase();
      const mode = typeof reference === 'string' || !containingSourceFile ? undefined : t.getModeForFileReference(reference, containingSourceFile.impliedNodeFormat);
      const resolved = t.resolveTypeReferenceDirective(name, containingFile, compilerOptions, host, redirected, typeCache, mode);
      if (resolved.resolvedTypeReferenceDirective || name !== 'node') return resolved;
      return t.resolveTypeReferenceDirective(name, containingFile, { ...compilerOptions, typeRoots: [SLUICE_TYPE_ROOT] }, host, redirected, undefined, mode);
    });

  const program = t.createProgram({ rootNames: [entry], options, host });
  const diagnostics = [...configErrors, ...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  for (const file of program.getSourceFiles()) {
    if (program.isSourceFileDefaultLibrary(file) || program.isSourceFileFromExternalLibrary(file)) continue;
    const fileName = path.resolve(file.fileName);
    if (SLUICE_SOURCE_DIRS.some((dir) => fileName.startsWith(dir))) continue;
    diagnostics.push(...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file));
  }
  return {
    diagnostics: diagnostics.filter((d) => d.category === t.DiagnosticCategory.Error),
    observations: [...observed.values()],
  };
}

function typeError(t: typeof ts, entry: string, tsconfig: string | undefined, diagnostics: readonly ts.Diagnostic[]): SluiceError {
  const places = diagnostics.map((d) => {
    if (!d.file || d.start === undefined) return { file: d.file ? path.resolve(d.file.fileName) : (tsconfig ?? entry) };
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return { file: path.resolve(d.file.fileName), line: line + 1, column: character + 1 };
  });
  const lines = diagnostics.slice(0, MAX_LISTED).map((d, i) => {
    const place = places[i] ?? { file: entry };
    const where = 'line' in place ? `${place.file}:${place.line}:${place.column}` : place.file;
    return `${where}: TS${d.code}: ${t.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
  if (diagnostics.length > MAX_LISTED) lines.push(`and ${diagnostics.length - MAX_LISTED} more`);
  return new SluiceError('SLUICE_ERR_FUNCTION_BUNDLE', lines.join('\n'), {
    place: places[0] ?? { file: entry },
    details: { typeErrors: diagnostics.length, codes: [...new Set(diagnostics.map((d) => `TS${d.code}`))] },
  });
}
