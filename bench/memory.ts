/** Samples this process's resident set every 100 ms, so each stage can report its peak. */
export class RssSampler {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => this.sample(), 100);
    this.timer.unref();
  }

  sample(): number {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
    return rss;
  }

  /** The peak since the last reset, in MiB. */
  peakMb(): number {
    this.sample();
    return Math.round(this.peak / 1048576);
  }

  reset(): void {
    this.peak = 0;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
