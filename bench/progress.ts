// Progress bars for the long steps (cli-progress on stderr). Off a terminal (output sent to a
// file) cli-progress prints the bar every few seconds instead of redrawing it; `quiet` turns
// bars off entirely (the smoke test).
import cliProgress from 'cli-progress';

export interface Progress {
  increment(by?: number): void;
  update(value: number): void;
  stop(): void;
}

const NONE: Progress = { increment: () => undefined, update: () => undefined, stop: () => undefined };

export function progressBar(quiet: boolean, label: string, total: number, start = 0): Progress {
  if (quiet || total <= 0) return NONE;
  const bar = new cliProgress.SingleBar(
    {
      format: `${label.padEnd(34)} [{bar}] {percentage}% | {value}/{total} | {duration_formatted} elapsed | eta {eta_formatted}`,
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 10_000,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, start);
  let stopped = false;
  return {
    increment: (by = 1) => bar.increment(by),
    update: (value) => bar.update(value),
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}

/** A one-line status message on stderr (also when not a terminal), unless quiet. */
export function note(quiet: boolean, message: string): void {
  if (!quiet) process.stderr.write(`${message}\n`);
}
