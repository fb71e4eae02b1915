/** `callhouse transform`: what a vendor payload becomes, without Kafka or the warehouse. */
import type { BaseConnectorConfig } from '../../connectors/core/config.js';
import type { RawPayload } from '../../connectors/core/contract.js';
import { connectorSpec, CONNECTORS } from '../../connectors/registry.js';
import { nowCh } from '../../transforms/core/times.js';
import { CallhouseError } from '../errors.js';

/** A configuration for trying a normaliser: the schema's defaults plus the given options. */
export function trialConfig(type: string, opts: Record<string, unknown>): BaseConnectorConfig {
  const spec = connectorSpec(type);
  if (!spec)
    throw new CallhouseError(
      'USAGE',
      `unknown type ${JSON.stringify(type)}: expected one of ${CONNECTORS.map((c) => c.type).join(', ')}`,
    );
  const candidate: Record<string, unknown> = {
    ...(spec.example ?? {}),
    id: 'transform',
    type,
    ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)),
  };
  for (let i = 0; i < 5; i++) {
    const r = spec.configSchema.safeParse(candidate);
    if (r.success) return r.data;
    const issues = r.error.issues;
    const bad = issues.find(
      (x) => x.code !== 'unrecognized_keys' && x.path.length === 1 && Object.keys(opts).includes(String(x.path[0])),
    );
    if (bad) throw new CallhouseError('USAGE', `--${String(bad.path[0]).replace(/_/g, '-')}: ${bad.message}`);
    let changed = false;
    for (const x of issues) {
      if (x.code === 'unrecognized_keys') {
        for (const k of (x as { keys: string[] }).keys) {
          if (x.path.length === 0) {
            delete candidate[k];
            changed = true;
          }
        }
      }
    }
    if (!changed) break;
  }
  return {
    id: 'transform',
    type,
    tenant: 'transform',
    enabled: true,
    max_body_bytes: 1 << 20,
    ...opts,
  } as BaseConnectorConfig;
}

/** Splits input text into payloads: one JSON body, JSON lines, or a CSV report. */
export function splitInput(
  type: string,
  input: Buffer,
  config: BaseConnectorConfig,
  meta: Record<string, string>,
): RawPayload[] {
  const text = input.toString('utf8').replace(/^\uFEFF/, '');
  const spec = connectorSpec(type)!;
  const asPayloads = (body: Buffer, contentType: string): RawPayload[] => {
    if (spec.ingest) {
      try {
        return spec.ingest.accept(body, contentType, config).map((p) => ({ ...p, meta: { ...p.meta, ...meta } }));
      } catch {
        // Not a pushed body: a polled item, normalised as it is.
      }
    }
    return [{ key: '', body, content_type: contentType, meta }];
  };
  const trimmed = text.trim();
  if (/^[[{"]/.test(trimmed)) {
    try {
      JSON.parse(trimmed);
      return asPayloads(Buffer.from(trimmed), 'application/json');
    } catch {
      const lines = trimmed.split(/\r?\n/).filter((l) => l.trim() !== '');
      if (lines.every((l) => /^\s*[[{]/.test(l)))
        return lines.flatMap((l) => asPayloads(Buffer.from(l), 'application/json'));
      return asPayloads(Buffer.from(trimmed), 'application/json');
    }
  }
  return [{ key: '', body: input, content_type: 'text/csv', meta }];
}

export function transformInput(
  type: string,
  input: Buffer,
  opts: { timezone?: string; country?: string; displayFormat?: string; meta?: Record<string, string> },
  warn: (m: string) => void,
): Record<string, unknown>[] {
  const config = trialConfig(type, {
    timezone: opts.timezone,
    country: opts.country,
    ...(opts.displayFormat ? { display_format: opts.displayFormat } : {}),
  });
  const spec = connectorSpec(type)!;
  const out: Record<string, unknown>[] = [];
  const ingestedAt = nowCh();
  for (const p of splitInput(type, input, config, opts.meta ?? {})) {
    const n = spec.normalise(p.body, p.content_type, {
      config,
      received_at: ingestedAt,
      ingested_at: ingestedAt,
      meta: p.meta,
      warn,
    });
    for (const r of n.calls) out.push({ kind: 'call', ...r });
    for (const r of n.events) out.push({ kind: 'event', ...r });
    for (const r of n.reportRows) out.push({ kind: 'report_row', ...r });
    for (const r of n.billing) out.push({ kind: 'billing', ...r });
  }
  return out;
}
