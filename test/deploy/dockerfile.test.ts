/**
 * The image builds the artefact `npm run build` builds: the Dockerfile runs that script, copies its
 * output (dist/) and what dist/ reads at run time (sql/, bin/), and the build really emits
 * dist/runtime/cli.js, the file bin/callhouse.js runs in the container (CALLHOUSE_USE_DIST=1).
 * Docker itself is not available to the tests, so the Dockerfile is checked statically and the
 * TypeScript build is run for real into a temporary directory.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

interface Instruction {
  op: string;
  args: string;
  stage: string;
}

/** Dockerfile instructions (continuations joined, comments dropped), each with its stage name. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = '';
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  for (const line of lines) {
    const [op, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op!.toUpperCase() === 'FROM') stage = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? '';
    out.push({ op: op!.toUpperCase(), args, stage });
  }
  return out;
}

const dockerfile = instructions(readFileSync('Dockerfile', 'utf8'));
const inStage = (stage: string, op: string): Instruction[] =>
  dockerfile.filter((i) => i.stage === stage && i.op === op);
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  scripts: Record<string, string>;
  engines: { node: string };
};
const buildConfig = JSON.parse(readFileSync('tsconfig.build.json', 'utf8')) as {
  extends: string;
  include: string[];
  compilerOptions: Record<string, unknown>;
};
const baseConfig = JSON.parse(readFileSync('tsconfig.json', 'utf8')) as { compilerOptions: Record<string, unknown> };

describe('Dockerfile', () => {
  it('is multi-stage on a pinned slim image of a maintained Node LTS line (22 or 24)', () => {
    const from = dockerfile.filter((i) => i.op === 'FROM');
    expect(from.map((f) => f.stage)).toEqual(['build', 'runtime']);
    const arg = dockerfile.find((i) => i.op === 'ARG' && i.args.startsWith('NODE_IMAGE='))!;
    expect(arg.args).toMatch(/^NODE_IMAGE=node:(22|24)\.\d+\.\d+-(bookworm-|trixie-)?slim$/);
    // The image's Node satisfies the package's engines.
    expect(pkg.engines.node).toBe('>=22');
    for (const f of from) expect(f.args).toMatch(/^\$\{NODE_IMAGE\} AS /);
  });

  it('runs `npm ci` and `npm run build` in the build stage, and `npm run build` is the tsc build of tsconfig.build.json', () => {
    const runs = inStage('build', 'RUN').map((i) => i.args);
    expect(runs.some((r) => /^npm ci\b/.test(r))).toBe(true);
    // `prepare` builds dist/: in the image the build is its own step, after the sources are copied.
    for (const r of [...runs, ...inStage('runtime', 'RUN').map((i) => i.args)].filter((x) => /^npm ci\b/.test(x))) {
      expect(r).toContain('--ignore-scripts');
    }
    expect(pkg.scripts.prepare).toBe(pkg.scripts.build);
    expect(runs).toContain('npm run build');
    expect(pkg.scripts.build).toBe('tsc -p tsconfig.build.json');
  });

  it('ships production dependencies, dist/, bin/ and sql/ where the compiled code looks for them', () => {
    const runs = inStage('runtime', 'RUN')
      .map((i) => i.args)
      .join('\n');
    expect(runs).toMatch(/npm ci --omit=dev/);
    const copies = inStage('runtime', 'COPY').map((i) => i.args);
    expect(copies).toContain('--from=build /app/dist ./dist');
    expect(copies).toContain('bin ./bin');
    // runtime/migrations.ts reads sql/ from the package root, for the compiled code as for the sources.
    expect(readFileSync('runtime/migrations.ts', 'utf8')).toContain("join(PACKAGE_ROOT, 'sql')");
    expect(copies).toContain('sql ./sql');
    expect(copies).toContain('package.json package-lock.json ./');
  });

  it('runs as a non-root user from dist/, with a health check on /healthz and `start` by default', () => {
    const user = dockerfile.filter((i) => i.op === 'USER').at(-1)!;
    expect(user.stage).toBe('runtime');
    expect(user.args).not.toMatch(/^(root|0)(:|$)/);
    const envs = inStage('runtime', 'ENV')
      .map((i) => i.args)
      .join(' ');
    expect(envs).toMatch(/CALLHOUSE_USE_DIST=1/);
    const hc = dockerfile.find((i) => i.op === 'HEALTHCHECK')!;
    expect(hc.args).toContain('/healthz');
    expect(hc.args).toContain('8080');
    expect(hc.args).toMatch(/CMD \["node", "-e"/);
    expect(dockerfile.find((i) => i.op === 'ENTRYPOINT')!.args).toBe('["node", "bin/callhouse.js"]');
    expect(dockerfile.find((i) => i.op === 'CMD')!.args).toBe('["start"]');
    expect(readFileSync('bin/callhouse.js', 'utf8')).toContain("new URL('../dist/runtime/cli.js', import.meta.url)");
    expect(readFileSync('bin/callhouse.js', 'utf8')).toContain('const forced = process.env.CALLHOUSE_USE_DIST;');
    expect(readFileSync('bin/callhouse.js', 'utf8')).toContain("if (forced === '1') return true;");
  });

  it('.dockerignore keeps everything the build reads in the build context', () => {
    const ignored = readFileSync('.dockerignore', 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const needed = [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'bin',
      'sql',
      ...buildConfig.include,
    ];
    for (const n of needed) {
      for (const pattern of ignored) {
        const re = new RegExp(
          `^${pattern
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*\*\//g, '(.*/)?')
            .replace(/\*/g, '[^/]*')}(/.*)?$`,
        );
        expect(re.test(n), `${pattern} would drop ${n}`).toBe(false);
      }
    }
    for (const n of ['node_modules', 'dist', '.git', '.env', 'var']) expect(ignored, n).toContain(n);
  });
});

describe('the build the image runs', () => {
  it('tsconfig.build.json emits dist/runtime/cli.js', () => {
    expect(buildConfig.extends).toBe('./tsconfig.json');
    expect(buildConfig.include).toContain('runtime');
    expect(buildConfig.compilerOptions.noEmit).toBe(false);
    expect(baseConfig.compilerOptions.outDir).toBe('dist');
    expect(baseConfig.compilerOptions.rootDir).toBe('.');
    expect(existsSync('runtime/cli.ts')).toBe(true);
  });

  // About 25 s on two cores; into a temporary directory inside the package (the compiled code finds
  // sql/ from the package root) so that the tree's dist/ is left alone.
  it('`tsc -p tsconfig.build.json` succeeds, and the compiled CLI applies the migrations from sql/', () => {
    mkdirSync('.vitest-tmp', { recursive: true });
    const out = mkdtempSync(join(resolve('.vitest-tmp'), 'build-'));
    try {
      const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
      const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', out], {
        encoding: 'utf8',
        timeout: 170_000,
      });
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
      expect(existsSync(join(out, 'runtime', 'cli.js'))).toBe(true);
      expect(existsSync(join(out, 'runtime', 'migrations.js'))).toBe(true);
      const dataDir = mkdtempSync(join(tmpdir(), 'callhouse-dist-'));
      const m = spawnSync(process.execPath, [join(out, 'runtime', 'cli.js'), 'migrate'], {
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, CALLHOUSE_DATA_DIR: dataDir, CLICKHOUSE_URL: '' },
      });
      rmSync(dataDir, { recursive: true, force: true });
      expect(m.status, m.stderr).toBe(0);
      expect(m.stdout).toMatch(/^migrations applied: 001_/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});
