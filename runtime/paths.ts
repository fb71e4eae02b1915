/**
 * The package root, found the same way from the TypeScript sources (runtime/) and from the
 * compiled build (dist/runtime/): files read at run time (sql/, kafka/pom.xml) live there, not
 * beside the compiled code.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'callhouse')
      return dir;
    if (dirname(dir) === dir) return resolve(from, '..');
  }
}

export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
