/**
 * The performance targets (issue "Performance to the limit"), each measured by a benchmark of this
 * folder and recorded here; `npm run bench` ends with one table of them: the target, what was
 * measured, the goal, measured ÷ goal, and whether it is met. A benchmark run in a child process
 * prints its figures as `@figure {json}` lines, which the parent records as its own.
 */

export interface Figure {
  target: string;
  measured: number;
  unit: string;
  goal: number;
  /** Which side of the goal meets it. */
  better: 'higher' | 'lower';
}

const figures: Figure[] = [];
const marker = '@figure ';

/** Records a figure; returns the line the benchmark prints for it. */
export function figure(measured: Figure): string {
  figures.push(measured);
  return `${measured.target}: ${format(measured.measured)} ${measured.unit} (goal ${measured.better === 'higher' ? '≥' : '≤'} ${format(measured.goal)})`;
}

/** A figure as a line a parent process reads back (see `recordPrinted`). */
export function printedFigure(measured: Figure): string {
  return marker + JSON.stringify(measured);
}

/** Records the `@figure` lines of a child's output; returns the other lines. */
export function recordPrinted(lines: string[]): string[] {
  return lines.flatMap((line) => {
    if (!line.startsWith(marker)) return [line];
    return [figure(JSON.parse(line.slice(marker.length)) as Figure)];
  });
}

/** Whether a figure meets its goal. */
export const meets = (f: Figure): boolean =>
  f.better === 'higher' ? f.measured >= f.goal : f.measured <= f.goal;

/** The table of every figure recorded in this run, as Markdown. */
export function targetTable(): string[] {
  if (figures.length === 0) return [];
  const rows = figures.map((f) => [
    f.target,
    `${format(f.measured)} ${f.unit}`,
    `${f.better === 'higher' ? '≥' : '≤'} ${format(f.goal)} ${f.unit}`,
    (f.measured / f.goal).toFixed(2),
    meets(f) ? 'pass' : 'FAIL',
  ]);
  const header = ['target', 'measured', 'goal', 'measured ÷ goal', 'verdict'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

function format(value: number): string {
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  // Three significant digits, kept: 1.0006 against a goal of 1 reads "1.00", not "1".
  return value.toPrecision(3);
}
