// Column-aligned text tables, the way calicoctl and birdc print them.

/** `header` and `rows` as lines padded to each column's widest cell, two spaces apart. */
export function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((line) => line[column].length)));
  return all.map((line) => line.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd()).join("\n") + "\n";
}
