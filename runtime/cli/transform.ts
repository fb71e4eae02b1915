/** `callhouse transform`: what a vendor payload becomes, without Kafka or the warehouse. */
import type { BaseConnectorConfig } from '../../connectors/core/config.js';
import type { RawPayload } from '../../connectors/core/contract.js';
import { connectorSpec, CONNECTORS } from '../../connectors/registry.js';
import { nowCh } from '../../transforms/core/times.js';
import { CallhouseError } from '../errors.js';

/**
 * Settings that change what a normaliser makes of a payload. `callhouse transform` takes them
 * from its options or else from the configuration schema's defaults, as the service would for a
 * connector configured with nothing but its connection, and says which it assumed.
 */
const NORMALISER_SETTINGS = [
  'timezone',
  'country',
  'currency',
  'display_format',
  'clock',
  'cost_divisor',
  'access_prefixes',
  'usegmtime',
  'extra_columns',
  'trunks',
  'trunk_technologies',
  'inbound_contexts',
  'max_extension_digits',
] as const;

/** What a setting means when neither the options nor the schema give it. */
const UNSET: Record<string, string> = {
  timezone: 'not set: local times are read as UTC',
  country: 'not set: numbers without a country code get no E.164',
  currency: 'not set',
};

/** Where a schema requires a normaliser setting the options did not give (a zone of local times). */
const REQUIRED_FALLBACK: Record<string, unknown> = { timezone: 'UTC' };

export interface TrialConfig {
  config: BaseConnectorConfig;
  /** The normaliser settings taken from defaults, as `name=value (why)`, for stderr. */
  assumed: string[];
}

/**
 * A configuration for trying a normaliser: the given options, the schema's defaults for every
 * other setting, and (only where the schema requires them to validate) connection settings from
 * the connector's example, which no normaliser reads.
 */
export function trialConfig(type: string, opts: Record<string, unknown>): TrialConfig {
  const spec = connectorSpec(type);
  if (!spec)
    throw new CallhouseError(
      'USAGE',
      `unknown type ${JSON.stringify(type)}: expected one of ${CONNECTORS.map((c) => c.type).join(', ')}`,
    );
  const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
  const example = (spec.example ?? {}) as Record<string, unknown>;
  const candidate: Record<string, unknown> = { id: 'transform', type, ...given };
  const fellBack = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const r = spec.configSchema.safeParse(candidate);
    if (r.success) {
      const config = r.data as BaseConnectorConfig & Record<string, unknown>;
      return { config, assumed: assumedOf(config, given, fellBack) };
    }
    const issues = r.error.issues;
    const bad = issues.find((x) => x.path.length >= 1 && String(x.path[0]) in given);
    if (bad) throw new CallhouseError('USAGE', `--${String(bad.path[0]).replace(/_/g, '-')}: ${bad.message}`);
    let changed = false;
    for (const x of issues) {
      const key = x.path.length >= 1 ? String(x.path[0]) : undefined;
      if (key === undefined || key in given) continue;
      if ((NORMALISER_SETTINGS as readonly string[]).includes(key)) {
        if (!(key in REQUIRED_FALLBACK) || candidate[key] === REQUIRED_FALLBACK[key]) continue;
        candidate[key] = REQUIRED_FALLBACK[key];
        fellBack.add(key);
        changed = true;
      } else if (key in example && candidate[key] !== example[key]) {
        candidate[key] = example[key];
        changed = true;
      }
    }
    if (!changed) {
      const first = issues[0];
      throw new CallhouseError(
        'USAGE',
        `cannot try ${type} without a configuration: ${first ? `${first.path.join('.')}: ${first.message}` : 'invalid'}`,
      );
    }
  }
  throw new CallhouseError('USAGE', `cannot try ${type} without a configuration`);
}

function assumedOf(config: Record<string, unknown>, given: Record<string, unknown>, fellBack: Set<string>): string[] {
  const out: string[] = [];
  for (const key of NORMALISER_SETTINGS) {
    if (key in given) continue;
    const value = config[key];
    if (value === undefined) {
      if (key in UNSET) out.push(`${key} (${UNSET[key]})`);
      continue;
    }
    const why = fellBack.has(key) ? ' (required, not given: local times are read as UTC)' : '';
    out.push(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}${why}`);
  }
  return out;
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
  opts: {
    timezone?: string;
    country?: string;
    displayFormat?: string;
    meta?: Record<string, string>;
    /** Told the assumed settings before anything is normalised (so a dead letter still shows them). */
    onAssumed?: (assumed: string[]) => void;
  },
  warn: (m: string) => void,
): { records: Record<string, unknown>[]; assumed: string[] } {
  const { config, assumed } = trialConfig(type, {
    timezone: opts.timezone,
    country: opts.country,
    ...(opts.displayFormat ? { display_format: opts.displayFormat } : {}),
  });
  opts.onAssumed?.(assumed);
  const spec = connectorSpec(type)!;
  const records: Record<string, unknown>[] = [];
  const ingestedAt = nowCh();
  for (const p of splitInput(type, input, config, opts.meta ?? {})) {
    const n = spec.normalise(p.body, p.content_type, {
      config,
      received_at: ingestedAt,
      ingested_at: ingestedAt,
      meta: p.meta,
      warn,
    });
    for (const r of n.calls) records.push({ kind: 'call', ...r });
    for (const r of n.events) records.push({ kind: 'event', ...r });
    for (const r of n.reportRows) records.push({ kind: 'report_row', ...r });
    for (const r of n.billing) records.push({ kind: 'billing', ...r });
  }
  return { records, assumed };
}
