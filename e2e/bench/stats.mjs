// Percentiles, medians and the Markdown table.

/** Nearest-rank percentile of `values` (not necessarily sorted), p in [0, 100]. */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

export function fmtRate(x) {
  if (!Number.isFinite(x)) return "–";
  return x >= 100 ? Math.round(x).toLocaleString("en-US") : x.toFixed(1);
}

export function fmtMs(x) {
  if (!Number.isFinite(x)) return "–";
  if (x >= 1000) return `${(x / 1000).toFixed(2)} s`;
  if (x >= 100) return `${Math.round(x)} ms`;
  if (x >= 10) return `${x.toFixed(1)} ms`;
  return `${x.toFixed(2)} ms`;
}

export function fmtRatio(x) {
  return Number.isFinite(x) ? `${x.toFixed(2)}x` : "–";
}

/**
 * One row per scenario from its runs ({ impl, rep, value, p50, p99 }): medians over the reps of the
 * value and of each run's p50 and p99; the ratio is the median of the per-repetition ratios
 * (example/peer for a throughput, peer/example for a time: ≥ 1 always means the example is better).
 */
export function summarize(scenario, runs) {
  const of = (impl) => runs.filter((r) => r.impl === impl && !r.failed);
  const ex = of("example");
  const pe = of("peer");
  const ratios = [];
  for (const e of ex) {
    const p = pe.find((r) => r.rep === e.rep);
    if (!p) continue;
    ratios.push(scenario.lowerIsBetter ? p.value / e.value : e.value / p.value);
  }
  const side = (rs) => ({
    value: median(rs.map((r) => r.value)),
    min: Math.min(...rs.map((r) => r.value)),
    max: Math.max(...rs.map((r) => r.value)),
    p50: median(rs.map((r) => r.p50)),
    p99: median(rs.map((r) => r.p99)),
    n: rs.length,
  });
  return { scenario, example: side(ex), peer: side(pe), ratio: median(ratios), ratios };
}

export function markdownTable(rows) {
  const fmtValue = (row, side) => (row.scenario.lowerIsBetter ? fmtMs(side.value) : fmtRate(side.value));
  const lines = [
    "| scenario | peer | example | ratio | peer p50 | peer p99 | example p50 | example p99 |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.scenario.title} | ${fmtValue(row, row.peer)} | ${fmtValue(row, row.example)} | ${fmtRatio(row.ratio)} | ` +
        `${fmtMs(row.peer.p50)} | ${fmtMs(row.peer.p99)} | ${fmtMs(row.example.p50)} | ${fmtMs(row.example.p99)} |`,
    );
  }
  return lines.join("\n");
}

/** The per-repetition figures, one line per scenario and implementation. */
export function repLines(rows, runsByKey) {
  const out = [];
  for (const row of rows) {
    const runs = runsByKey.get(row.scenario.key);
    for (const impl of ["peer", "example"]) {
      const mine = runs.filter((r) => r.impl === impl);
      const fmt = (r) => {
        if (r.failed) return `failed (${r.failed})`;
        const v = row.scenario.lowerIsBetter ? fmtMs(r.value) : fmtRate(r.value);
        const lat = Number.isFinite(r.p50) ? ` [p50 ${fmtMs(r.p50)}, p99 ${fmtMs(r.p99)}]` : "";
        return `${v}${lat}${r.note ? ` ${r.note}` : ""}`;
      };
      out.push(`- ${row.scenario.key}, ${impl}: ${mine.map(fmt).join("; ")}`);
    }
    out.push(`  ratios per repetition: ${row.ratios.map(fmtRatio).join(", ")}`);
  }
  return out.join("\n");
}
