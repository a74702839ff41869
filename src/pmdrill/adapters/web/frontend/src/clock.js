// Clock arithmetic for countdowns and stopwatches, kept free of the DOM so it can be tested.

const pad = (n) => String(n).padStart(2, "0");

/** Whole seconds as mm:ss (minutes may pass 59); negative as -mm:ss. formatClock(-61) === "-01:01" */
export function formatClock(seconds) {
  const whole = Math.trunc(seconds);
  const sign = whole < 0 ? "-" : "";
  const abs = Math.abs(whole);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** Seconds left of `total` counted from `startMs` at `nowMs`; goes negative once over. */
export function remainingSeconds(total, startMs, nowMs) {
  return total - Math.floor(Math.max(0, nowMs - startMs) / 1000);
}

/** When a countdown started: `startedAt` (ISO) if it parses, else `fallbackMs`. */
export function startMillis(startedAt, fallbackMs) {
  const parsed = startedAt ? Date.parse(startedAt) : NaN;
  return Number.isFinite(parsed) ? parsed : fallbackMs;
}
