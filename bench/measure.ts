// Timing helpers shared by the benchmarks: warm up, then take the median of several timed runs.
// With PODNET_BENCH_SMOKE=1 (npm test's smoke run) every bench runs at a tiny size: the figures
// mean nothing, but a bench that no longer runs fails the suite.

/** True in the smoke run. */
export const SMOKE = process.env.PODNET_BENCH_SMOKE === "1";

/** `full`, or `smoke` in the smoke run. */
export function sized<T>(full: T, smoke: T): T {
  return SMOKE ? smoke : full;
}

/** Median seconds per call of `work` over `rounds` runs of `iterations` calls each, after a warm-up. */
export function secondsPerCall(work: () => unknown, fullIterations: number, fullRounds = 7): number {
  const iterations = sized(fullIterations, Math.min(fullIterations, 2));
  const rounds = sized(fullRounds, 1);
  for (let i = 0; i < iterations; i++) work();
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) work();
    samples.push(Number(process.hrtime.bigint() - start) / 1e9 / iterations);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

/** One row of a benchmark's output: the same metric for podnet and for a baseline, same run. */
export interface BenchRow {
  metric: string;
  unit: string;
  podnet: number;
  baseline: number;
  baselineName: string;
  /** Lowest and highest of the runs behind `podnet` / `baseline`, where a figure is a median of several. */
  podnetRange?: [number, number];
  baselineRange?: [number, number];
  /** True when smaller is better (times); ratios are then baseline / podnet. */
  lowerIsBetter?: boolean;
}

/** Prints a benchmark's result as the one JSON object the runner collects. */
export function report(name: string, rows: BenchRow[]): void {
  console.log(JSON.stringify({ name, rows }));
}
