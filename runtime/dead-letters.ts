/** Building dead letters: the reason, and the original bytes so that a replay can put them back. */
import { randomUUID } from 'node:crypto';
import type { DeadLetter } from '../transforms/core/model.js';
import { nowCh } from '../transforms/core/times.js';
import { payloadText } from './codec.js';
import { asCallhouseError } from './errors.js';
import { redactText } from './redact.js';

export function deadLetter(opts: {
  stage: DeadLetter['stage'];
  error: unknown;
  connectorId: string;
  source: string;
  payload: Buffer;
  originTopic: string;
  originKey?: string | null;
  originHeaders?: Record<string, string>;
  id?: string;
}): DeadLetter {
  const err = asCallhouseError(opts.error);
  return {
    id: opts.id ?? randomUUID(),
    at: nowCh(),
    connector_id: opts.connectorId,
    source: opts.source,
    stage: opts.stage,
    error_code: err.code,
    error: redactText(err.message).slice(0, 2000),
    payload: payloadText(opts.payload),
    origin_topic: opts.originTopic,
    origin_key: opts.originKey ?? '',
    origin_headers: JSON.stringify(opts.originHeaders ?? {}),
  };
}
