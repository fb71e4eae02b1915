#!/usr/bin/env node
// Assembles README.md from docs/, the connectors' chapters and the generated configuration reference.
import { writeFileSync } from 'node:fs';
const { register } = await import('tsx/esm/api');
register();
const { buildReadme } = await import('../runtime/readme.ts');
writeFileSync('README.md', buildReadme());
