import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildReadme } from '../../runtime/readme.js';

describe('the README', () => {
  const readme = readFileSync('README.md', 'utf8');
  it('shows the two fresh-machine commands at its top', () => {
    const top = readme.slice(0, 1500);
    expect(top).toContain('npm ci && npm run demo');
    expect(top).toContain('npm test');
  });
  it('is assembled from its chapters and the configuration reference generated from the schemas (run `npm run docs`)', () => {
    expect(buildReadme()).toBe(readme);
  });
});
