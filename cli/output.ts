/**
 * The only module that writes to stdout. Commands return data; this renders it as text or as
 * JSON (`--json`), so scripts can rely on stdout carrying nothing else.
 */

/** Writes one block of human-readable text. */
export function printText(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Writes the one line that explains why a command failed, on stderr. */
export function printError(text: string): void {
  process.stderr.write(`hello-cli: ${text}\n`);
}

/** Writes a warning line on stderr, so stdout keeps only results. */
export function printWarning(text: string): void {
  process.stderr.write(`warning: ${text}\n`);
}

/** Writes a value as pretty JSON (for `--json`). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Renders rows as an aligned plain-text table. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/**
 * Live progress on stderr (stdout stays clean for results): on a terminal the line is redrawn
 * in place; elsewhere (CI logs) only lines that changed are written.
 */
export function createProgress(): { update(text: string): void; done(): void } {
  let last = '';
  const tty = process.stderr.isTTY === true;
  return {
    update(text: string) {
      if (text === last) return;
      last = text;
      if (tty) process.stderr.write(`\r\x1b[2K${text}`);
      else process.stderr.write(`${text}\n`);
    },
    done() {
      if (tty && last) process.stderr.write('\n');
      last = '';
    },
  };
}
