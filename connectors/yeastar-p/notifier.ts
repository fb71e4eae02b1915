/**
 * Hands event 30027 ("report ready") from the ingest side to a poller waiting on an asynchronous
 * report request in the same process. Notices are kept a while, because the PBX may post the
 * event before the poller has started waiting.
 */
import { CallhouseError } from '../../runtime/errors.js';

export interface ReportNotice {
  file: string;
  download_resource_url: string;
  result: string;
  error: string;
  /** When the notice arrived (ms since epoch). */
  at: number;
}

interface Waiter {
  file: string | undefined;
  since: number;
  resolve(n: ReportNotice): void;
}

const KEEP_MS = 30 * 60_000;
const KEEP_COUNT = 50;

export class ReportNotifier {
  private readonly notices = new Map<string, ReportNotice[]>();
  private readonly waiters = new Map<string, Waiter[]>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** The notifier's clock: take it before sending an asynchronous request, as `since`. */
  stamp(): number {
    return this.clock();
  }

  notify(connectorId: string, notice: Omit<ReportNotice, 'at'>): void {
    const full = { ...notice, at: this.clock() };
    const waiting = this.waiters.get(connectorId) ?? [];
    const i = waiting.findIndex((w) => matches(w, full));
    if (i >= 0) {
      const [w] = waiting.splice(i, 1);
      w!.resolve(full);
      return;
    }
    const kept = (this.notices.get(connectorId) ?? []).filter((n) => full.at - n.at < KEEP_MS);
    kept.push(full);
    this.notices.set(connectorId, kept.slice(-KEEP_COUNT));
  }

  /**
   * The notice for `file` (or, when the PBX named no file, the first one that arrived after
   * `since`). Rejects with a retriable TIMEOUT when `sleep(timeoutMs)` ends first.
   */
  async wait(
    connectorId: string,
    want: { file?: string | undefined; since: number },
    timeoutMs: number,
    sleep: (ms: number) => Promise<void>,
  ): Promise<ReportNotice> {
    const waiter: Waiter = { file: want.file || undefined, since: want.since, resolve: () => undefined };
    const kept = this.notices.get(connectorId) ?? [];
    const i = kept.findIndex((n) => matches(waiter, n));
    if (i >= 0) return kept.splice(i, 1)[0]!;

    const arrived = new Promise<ReportNotice>((resolve) => {
      waiter.resolve = resolve;
    });
    const list = this.waiters.get(connectorId) ?? [];
    list.push(waiter);
    this.waiters.set(connectorId, list);
    const timer = sleep(timeoutMs).then(() => undefined);
    timer.catch(() => undefined);
    try {
      const got = await Promise.race([arrived, timer]);
      if (got) return got;
      throw new CallhouseError(
        'TIMEOUT',
        `no report-ready event (30027) within ${Math.round(timeoutMs / 1000)} s: the PBX webhook must reach /ingest/yeastar-p/${connectorId} on this callhouse process`,
      );
    } finally {
      const rest = (this.waiters.get(connectorId) ?? []).filter((w) => w !== waiter);
      this.waiters.set(connectorId, rest);
    }
  }
}

function matches(w: Waiter, n: ReportNotice): boolean {
  return w.file !== undefined ? n.file === w.file : n.at >= w.since;
}

/** The process-wide notifier: ingest `accept` notifies, the poller waits. */
export const reportNotifier = new ReportNotifier();
