/**
 * README.md is assembled from its chapters, so that each part lives beside what it documents:
 * docs/*.md, each connector's own README, and the configuration reference generated from the
 * schemas. `npm run docs` rewrites it; a test checks that it is up to date.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONNECTORS } from '../connectors/registry.js';
import { configReference } from './config-docs.js';

/** Shifts Markdown headings down by `levels` (outside fenced code). */
export function demote(markdown: string, levels: number): string {
  let fenced = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^```/.test(line)) fenced = !fenced;
      return !fenced && /^#{1,5} /.test(line) ? `${'#'.repeat(levels)}${line}` : line;
    })
    .join('\n');
}

function read(root: string, path: string): string {
  return readFileSync(join(root, path), 'utf8').trim();
}

export function buildReadme(root = '.'): string {
  const parts: string[] = [
    read(root, 'docs/00-overview.md'),
    read(root, 'docs/10-configuration.md'),
    configReference().trim(),
    [
      '## Connectors',
      '',
      'Each connector type has its own folder in `connectors/`, with this chapter beside its code.',
      'Every vendor URL is configurable (`base_url`), so a connector can be pointed at its',
      'simulator (`callhouse simulate <type>`).',
    ].join('\n'),
    ...CONNECTORS.map((c) => demote(read(root, `connectors/${c.type}/README.md`), 2)),
  ];
  for (const doc of [
    'warehouse',
    'operations',
    'deployment',
    'reliability',
    'benchmark',
    'adding-a-connector',
    'development',
  ]) {
    const path = `docs/${doc}.md`;
    if (existsSync(join(root, path))) parts.push(demote(read(root, path), 1));
  }
  return `${parts.join('\n\n')}\n`;
}
