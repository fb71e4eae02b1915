/** The README's configuration reference, generated from the schemas' descriptions. */
import { z } from 'zod';
import { CONNECTORS } from '../connectors/registry.js';
import { pipelineSchema } from './config.js';

interface Field {
  path: string;
  type: string;
  required: boolean;
  def: string;
  description: string;
}

function unwrap(s: z.ZodType): { inner: z.ZodType; optional: boolean; def?: unknown } {
  let cur = s as z.ZodType & {
    def?: { type?: string; innerType?: z.ZodType; defaultValue?: unknown; in?: z.ZodType; schema?: z.ZodType };
  };
  let optional = false;
  let def: unknown;
  for (let i = 0; i < 10; i++) {
    const d = cur.def ?? (cur as unknown as { _zod: { def: typeof cur.def } })._zod?.def;
    if (!d) break;
    if (d.type === 'optional' || d.type === 'nullable') optional = true;
    if (d.type === 'default') {
      optional = true;
      def = typeof d.defaultValue === 'function' ? (d.defaultValue as () => unknown)() : d.defaultValue;
    }
    const next = d.innerType ?? (d.type === 'pipe' ? d.in : undefined);
    if (!next) break;
    cur = next as typeof cur;
  }
  return { inner: cur, optional, def };
}

function typeName(s: z.ZodType): string {
  const d = (
    s as unknown as {
      _zod: { def: { type: string; entries?: Record<string, string>; values?: unknown[]; element?: z.ZodType } };
    }
  )._zod.def;
  if (d.type === 'enum')
    return Object.values(d.entries ?? {})
      .map((v) => `\`${v}\``)
      .join(' \\| ');
  if (d.type === 'literal') return (d.values ?? []).map((v) => `\`${String(v)}\``).join(' \\| ');
  if (d.type === 'array') return `list of ${d.element ? typeName(unwrap(d.element).inner) : 'values'}`;
  return d.type;
}

function describe(s: z.ZodType): string {
  return (s as { description?: string }).description ?? (unwrap(s).inner as { description?: string }).description ?? '';
}

function fields(schema: z.ZodType, prefix: string): Field[] {
  const { inner } = unwrap(schema);
  const shape = (inner as unknown as { shape?: Record<string, z.ZodType> }).shape;
  if (!shape) return [];
  const out: Field[] = [];
  for (const [key, child] of Object.entries(shape)) {
    const u = unwrap(child);
    const path = prefix ? `${prefix}.${key}` : key;
    const nested = (u.inner as unknown as { shape?: unknown }).shape;
    out.push({
      path,
      type: nested ? 'object' : typeName(u.inner),
      required: !u.optional,
      def: u.def === undefined ? '' : `\`${JSON.stringify(u.def)}\``,
      description: (describe(child) || (key === 'type' ? 'Connector type.' : '')).replace(/\n/g, ' '),
    });
    if (nested) out.push(...fields(u.inner, path));
  }
  return out;
}

function table(rows: Field[]): string {
  return [
    '| key | type | required | default | description |',
    '|---|---|---|---|---|',
    ...rows.map(
      (f) =>
        `| \`${f.path}\` | ${f.type} | ${f.required ? 'yes' : 'no'} | ${f.def} | ${f.description.replace(/\|/g, '\\|')} |`,
    ),
  ].join('\n');
}

export function configReference(): string {
  const parts = [
    '### Reference',
    '',
    'Generated from the configuration schemas (`callhouse config-docs` prints it).',
    '',
    '#### Pipeline settings',
    '',
    table(fields(pipelineSchema, '')),
    '',
  ];
  for (const c of CONNECTORS) {
    parts.push(
      `#### Connector \`${c.type}\` (${c.title})`,
      '',
      table(
        fields(c.configSchema, `connectors[].`).map((f) => ({
          ...f,
          path: f.path.replace('connectors[]..', 'connectors[].'),
        })),
      ),
      '',
    );
  }
  return parts.join('\n');
}
