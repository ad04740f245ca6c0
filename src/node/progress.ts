// A one-line live progress display on stderr, redrawn at most a few times a
// second, and silent when stderr is not a terminal (logs, CI).

export class Progress {
  private last = 0;
  private shown = false;
  readonly enabled: boolean;

  constructor(private readonly total: number, enabled = Boolean(process.stderr.isTTY)) {
    this.enabled = enabled;
  }

  update(done: number, fields: Record<string, string | number | undefined>, stepsPerSec: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 250 && done < this.total) return;
    this.last = now;
    const pct = this.total > 0 ? Math.min(100, (100 * done) / this.total) : 100;
    const eta = stepsPerSec > 0 ? formatDuration((this.total - done) / stepsPerSec) : "?";
    const parts = [`${pct.toFixed(1)}%`, `${done.toLocaleString("en")}/${this.total.toLocaleString("en")} steps`, `${Math.round(stepsPerSec)} steps/s`];
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) parts.push(`${k} ${typeof v === "number" ? fmt(v) : v}`);
    parts.push(`ETA ${eta}`);
    const cols = process.stderr.columns || 120;
    process.stderr.write(`\r\x1b[K${parts.join(" | ").slice(0, cols - 1)}`);
    this.shown = true;
  }

  done(): void {
    if (this.shown) process.stderr.write("\n");
    this.shown = false;
  }
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3);
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : m > 0 ? `${m}m${String(sec).padStart(2, "0")}s` : `${sec}s`;
}
