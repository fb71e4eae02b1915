/**
 * CDR notifications for simulated calls: the same calls (same ids) as the Call Log serves, in the
 * notification's own shape: lowercase/snake keys, `time` epoch, `duration` the conversation only
 * (the vendor document: no ringing, and the queue wait is its own field), `actualCallDuration`
 * the talk too, `IVR` as a JSON string, type names spelled loosely.
 */
import type { SimCdr } from './data.js';

export function notificationOf(cdr: SimCdr, index: number): Record<string, unknown> {
  const r = cdr.record;
  const talk = Number(r.Duration);
  const custom = r.CustomData as Record<string, unknown>;
  const type = String(r.Type);
  const n: Record<string, unknown> = {
    caller: r.CallerNumber,
    target: r.TargetNumber,
    time: cdr.epoch,
    duration: talk,
    ivruniqueid: r.CallID,
    // Voicenter's own sample spells the leg types without a space ("Click2Callleg1").
    type: type.startsWith('Click2Call') ? type.replace(' ', '') : type,
    status: r.DialStatus,
    targetextension: r.TargetExtension,
    callerextension: r.CallerExtension,
    did: r.DID,
    queueid: 0,
    queuename: r.QueueName,
    record: r.RecordURL,
    price: r.Price,
    dialtime: r.RingTime,
    representative_name: r.RepresentativeName,
    representative_code: r.RepresentativeCode,
    targetextension_name: r.TargetExtension ? r.RepresentativeName : '',
    callerextension_name: r.CallerExtension ? r.RepresentativeName : '',
    target_country: 'Israel',
    caller_country: 'Israel',
    DepartmentName: r.DepartmentName,
    DepartmentID: r.DepartmentId,
    isAnswer: r.DialStatus === 'ANSWER' ? 1 : 0,
  };
  // Older accounts do not send actualCallDuration; `duration` is the talk then.
  if (index % 2 === 0) n.actualCallDuration = talk;
  if (cdr.queueWait !== null) n.seconds_waiting_in_queue = cdr.queueWait;
  if (typeof custom.OriginalIvrUniqueID === 'string') n.OriginalIvrUniqueID = custom.OriginalIvrUniqueID;
  if (r.CdrType === 1 || r.CdrType === 8) {
    const layers = [
      {
        layer_id: 1234,
        layer_name: 'תפריט ראשי',
        layer_number: 0,
        Dtmf: 2,
        dtmf_order: 1,
      },
    ];
    n.IVR = index % 3 === 0 ? layers : JSON.stringify(layers);
  }
  return n;
}

export function formEncode(n: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(n))
    params.append(k, typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v ?? ''));
  return params.toString();
}
