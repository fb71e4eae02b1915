/** Progress of a backfill: a bar on a terminal, plain lines otherwise. */
import cliProgress from 'cli-progress';
import type { BackfillProgress } from '../roles/poll.js';

export function progressReporter(label: string): { update(p: BackfillProgress): void; done(): void } {
  const started = Date.now();
  if (process.stdout.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {value}/{total} days | {records} records | {rate}/s | ETA {eta_formatted}`,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let startedBar = false;
    return {
      update(p) {
        const rate = Math.round(p.records / Math.max(0.001, (Date.now() - started) / 1000));
        if (!startedBar) {
          bar.start(p.total, p.done, { records: p.records, rate });
          startedBar = true;
        }
        bar.update(p.done, { records: p.records, rate });
      },
      done: () => bar.stop(),
    };
  }
  let last = -1;
  return {
    update(p) {
      if (p.done === last) return;
      last = p.done;
      const rate = Math.round(p.records / Math.max(0.001, (Date.now() - started) / 1000));
      console.log(
        `${label}: ${p.done}/${p.total} days, ${p.records} records, ${rate}/s, at ${p.window.from.toISOString().slice(0, 10)}`,
      );
    },
    done() {},
  };
}
