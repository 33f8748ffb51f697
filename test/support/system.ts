import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';

/** The path of an executable on PATH, or undefined. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * A test that needs a Debian package: skipped, with a message naming the
 * package, on a machine without it, unless SLUICE_REQUIRE_SYSTEM_TESTS=1
 * (set by .ci/run after installing the packages), where it fails instead.
 * Returns whether the test may go on.
 */
export function requireExecutable(t: TestContext, executable: string, debianPackage: string): boolean {
  if (findOnPath(executable)) return true;
  const message = `needs ${executable} (Debian package ${debianPackage}: apt-get install -y ${debianPackage})`;
  if (process.env.SLUICE_REQUIRE_SYSTEM_TESTS === '1') throw new Error(`${message}; SLUICE_REQUIRE_SYSTEM_TESTS=1 forbids skipping`);
  t.skip(message);
  return false;
}
