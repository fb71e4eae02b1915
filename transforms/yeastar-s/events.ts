/** Every report → one call_events row. */
import type { NormaliseContext } from '../../connectors/core/contract.js';
import type { CallEvent, EventType } from '../core/model.js';
import { buildEvent, digest } from '../core/records.js';
import type { DateTime } from 'luxon';
import { stringifyOrdered } from './ordered-json.js';
import { field, type ReportView } from './report.js';

/** Vendor action (any case) → event type; anything not listed is `other`, kept as sent. */
const EVENT_TYPES: Record<string, EventType> = {
  ring: 'ring',
  alert: 'ringback',
  answer: 'answer',
  // The guide's "Answer a Call" sample sends "RI" where its table and the other samples have
  // ANSWER (the callee answered; RING has a sample of its own): a cut-short ANSWER.
  ri: 'answer',
  answered: 'answered',
  bye: 'hangup',
  tranfer: 'transfer', // sic: the vendor's spelling in its samples
  transfer: 'transfer',
  callfailed: 'failed',
  invite: 'invite',
  incoming: 'incoming',
  dtmf: 'dtmf',
  playpromptend: 'prompt_end',
  satisfaction: 'survey',
  newcdr: 'cdr',
};

export function eventTypeOf(action: string): EventType {
  return EVENT_TYPES[action.trim().toLowerCase()] ?? 'other';
}

/**
 * The free-text detail of a report: the DTMF key (v2 also sends the keys so far in `infos`),
 * the CallFailed reason (text, or an integer from the OpenVox clone), the prompt played, the
 * survey result, or an ExtensionStatus status.
 */
function infoOf(view: ReportView): string {
  for (const name of ['info', 'infos', 'reason', 'prompt', 'surveyresult', 'status']) {
    if (name === 'status' && eventTypeOf(view.action) === 'cdr') continue;
    const v = field(view, name);
    if (v !== '') return v;
  }
  return '';
}

/**
 * `eventAt`: the report's own time when it has one (NewCdr), else the receipt time. `ends`: the
 * from/to/trunk of the first trunk leg, or for a NewCdr (which names no parties) its own.
 */
export function eventOf(
  ctx: NormaliseContext,
  view: ReportView,
  eventAt: DateTime | string,
  ends: { from: string; to: string; trunk: string } = {
    from: view.leg?.from ?? '',
    to: view.leg?.to ?? '',
    trunk: view.leg?.trunk ?? '',
  },
): CallEvent {
  return buildEvent(ctx, {
    call_id: view.callid,
    event_at: eventAt,
    event_type: eventTypeOf(view.action),
    vendor_action: view.action,
    parties: view.parties,
    ...ends,
    info: infoOf(view),
    event_key: eventKey(ctx, view),
  });
}

/**
 * The report's content in the order sent (whitespace aside), within this connector: a resend has
 * the same key, while two BYE reports listing the parties in another order differ. A system
 * report without a callid (ExtensionStatus, BootUp) recurs with the same content, so its receipt
 * time is part of its identity: a repeat is a new event, at the price of keeping its resends.
 */
function eventKey(ctx: NormaliseContext, view: ReportView): string {
  const when = view.callid === '' ? ctx.received_at : '';
  return digest(`${ctx.config.id}\n${when}\n${stringifyOrdered(view.report)}`);
}
