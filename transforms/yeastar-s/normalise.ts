/**
 * Yeastar S reports → canonical records: every report is one call event; a NewCdr is also one
 * call. All body shapes and wrappings are read (see body.ts and report.ts).
 */
import type { Normaliser } from '../../connectors/core/contract.js';
import { emptyNormalised, type Normalised } from '../core/model.js';
import { readReports } from './body.js';
import { callOfCdr, cdrStart } from './cdr.js';
import { eventOf, eventTypeOf } from './events.js';
import { readReport } from './report.js';

export const normaliseYeastarS: Normaliser = (body, _contentType, ctx) => {
  const out: Normalised = emptyNormalised();
  for (const { value } of readReports(body)) {
    const view = readReport(value);
    if (eventTypeOf(view.action) === 'cdr') {
      const started = cdrStart(ctx, view);
      const call = callOfCdr(ctx, view, started);
      out.calls.push(call);
      out.events.push(eventOf(ctx, view, started, { from: call.caller, to: call.callee, trunk: call.trunk }));
    } else {
      out.events.push(eventOf(ctx, view, ctx.received_at));
    }
  }
  return out;
};
