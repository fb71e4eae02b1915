import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withReference } from '../../runtime/config-docs.js';

describe('the README', () => {
  const readme = readFileSync('README.md', 'utf8');
  it('shows the two fresh-machine commands at its top', () => {
    const top = readme.slice(0, 1500);
    expect(top).toContain('npm ci && npm run demo');
    expect(top).toContain('npm test');
  });
  it('carries the configuration reference generated from the schemas, up to date', () => {
    expect(withReference(readme)).toBe(readme);
  });
});
