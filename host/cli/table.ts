// Column-aligned text tables, the way birdc and calicoctl print them.

/** `header` and `rows` as lines padded to each column's widest cell, two spaces apart. */
export function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((line) => line[column].length)));
  return all.map((line) => line.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd()).join("\n") + "\n";
}

/** calicoctl's bordered table: the same columns between +---+ rules and | bars. */
export function bordered(header: string[], rows: string[][]): string {
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((line) => line[column].length)));
  const rule = `+${widths.map((width) => "-".repeat(width + 2)).join("+")}+`;
  const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column])).join(" | ")} |`;
  return [rule, line(header), rule, ...rows.map(line), rule].join("\n") + "\n";
}
