// Timing helpers shared by the benchmarks: warm up, then take the median of several timed runs.

/** Median seconds per call of `work` over `rounds` runs of `iterations` calls each, after a warm-up. */
export function secondsPerCall(work: () => unknown, iterations: number, rounds = 7): number {
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
