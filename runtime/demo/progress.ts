/**
 * What the demo shows while data flows: on a terminal, a bar of the demo's time and one live line
 * per connector and one for the warehouse (cli-progress); otherwise a plain line every few seconds.
 */
import cliProgress from 'cli-progress';

export interface DemoSnapshot {
  elapsedSeconds: number;
  connectors: { id: string; type: string; received: number; state: string }[];
  calls: number;
  reportRows: number;
  deadLetters: number;
  lag: number;
}

export interface DemoProgress {
  update(s: DemoSnapshot): void;
  /** Ends the live display; later output starts on a line of its own. */
  stop(): void;
}

const summary = (s: DemoSnapshot): string =>
  `warehouse: ${s.calls} calls, ${s.reportRows} report rows, ${s.deadLetters} dead letters; Kafka lag ${s.lag}`;
const connectorText = (c: DemoSnapshot['connectors'][number]): string =>
  `${c.received} received${c.state === 'stopped' || c.state === 'error' ? ` (${c.state})` : ''}`;

export function demoProgress(
  durationSeconds: number,
  connectors: { id: string; type: string }[],
  out: (line: string) => void,
): DemoProgress {
  if (!process.stdout.isTTY) {
    let lastAt = -Infinity;
    return {
      update(s) {
        if (s.elapsedSeconds - lastAt < 5) return;
        lastAt = s.elapsedSeconds;
        const per = s.connectors.map((c) => `${c.id} ${connectorText(c)}`).join(', ');
        out(`[${s.elapsedSeconds}s] ${per}; ${summary(s)}`);
      },
      stop() {},
    };
  }
  const multi = new cliProgress.MultiBar(
    { format: '{label}', hideCursor: true, clearOnComplete: false, autopadding: true, linewrap: false },
    cliProgress.Presets.shades_classic,
  );
  const time = multi.create(
    Math.max(1, durationSeconds),
    0,
    {},
    {
      format: 'calls flowing [{bar}] {value}/{total} s',
    },
  );
  const label = (c: { id: string; type: string }, text: string) => `  ${c.id.padEnd(16)} ${c.type.padEnd(10)} ${text}`;
  const rows = new Map(connectors.map((c) => [c.id, multi.create(1, 0, { label: label(c, 'starting') })]));
  const totals = multi.create(1, 0, { label: '  warehouse: starting' });
  return {
    update(s) {
      time.update(Math.min(s.elapsedSeconds, durationSeconds));
      for (const c of s.connectors) rows.get(c.id)?.update(0, { label: label(c, connectorText(c)) });
      totals.update(0, { label: `  ${summary(s)}` });
    },
    stop: () => multi.stop(),
  };
}
