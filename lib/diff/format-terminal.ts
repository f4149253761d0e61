/** The terminal view of a diff: flags first, a summary per section, then each section's objects and fields. */
import { FieldChange } from './field-diff';
import { DiffReport, ObjectChange, ObjectStatus, SectionDiff } from './model';
import { CATEGORIES, RiskFlag } from './risks';

/** Lines stay within this many columns where the content allows it (long paths and values are not broken). */
const WIDTH = 100;
/** Fields shown per changed object; the rest are counted. */
const MAX_FIELDS = 25;
const MARK: Record<ObjectStatus, string> = { added: '+', changed: '~', removed: '-' };

export interface FormatOptions {
  /** What the tree was compared with, e.g. `main (merge base 1a2b3c4)`. */
  readonly against: string;
}

export function formatTerminal(report: DiffReport, opts: FormatOptions): string {
  const lines = [`diff of dist/ against ${opts.against}`];
  if (!report.sections.length) return [...lines, `no object changes (${report.unchanged} objects unchanged)`].join('\n') + '\n';
  lines.push('', flagHeadline(report.flags));
  for (const flag of report.flags) {
    const head = `  ${flag.category.toUpperCase().padEnd(10)} ${flag.section}/${flag.unit}`;
    if (head.length + 2 + flag.object.length <= WIDTH) lines.push(`${head}  ${flag.object}`);
    else lines.push(head, `${' '.repeat(13)}${flag.object}`);
    lines.push(...wrap(`${flag.reason} [${flag.id}]`, 13));
  }
  lines.push('', ...summaryTable(report).map((row) => `  ${row}`));
  for (const section of report.sections) lines.push('', ...sectionLines(section));
  return lines.join('\n') + '\n';
}

/** `Risk flags: 2 data-loss, 1 exposure`, or that there are none. */
export function flagHeadline(flags: readonly RiskFlag[]): string {
  if (!flags.length) return 'Risk flags: none';
  const counts = CATEGORIES.map((c) => [c, flags.filter((f) => f.category === c).length] as const).filter(([, n]) => n > 0);
  return `Risk flags: ${counts.map(([c, n]) => `${n} ${c}`).join(', ')}`;
}

function summaryTable(report: DiffReport): string[] {
  const rows = report.sections.map((s) => [s.section, s.added, s.changed, s.removed, s.flags.length] as const);
  const total = (i: 1 | 2 | 3 | 4) => rows.reduce((sum, row) => sum + row[i], 0);
  const all = [['where', 'added', 'changed', 'removed', 'flags'], ...rows, ['total', total(1), total(2), total(3), total(4)]];
  const first = Math.max(...all.map((row) => String(row[0]).length));
  const table = all.map((row) => [String(row[0]).padEnd(first), ...row.slice(1).map((cell) => String(cell).padStart(8))].join(''));
  table[table.length - 1] += `   (${report.unchanged} objects unchanged)`;
  return table;
}

function sectionLines(section: SectionDiff): string[] {
  const counts = (['added', 'changed', 'removed'] as const).filter((s) => section[s] > 0).map((s) => `${section[s]} ${s}`);
  const lines = [`${section.section}: ${counts.join(', ') || 'flags only'}`];
  let unit: string | undefined;
  for (const change of section.objects) {
    if (change.unit !== unit) lines.push(`  ${(unit = change.unit)}`);
    lines.push(`    ${MARK[change.status]} ${change.label}`);
    lines.push(...fieldLines(change).flatMap((line) => fit(line, 8)));
  }
  return lines;
}

/** A field line indented; one too long for WIDTH puts its values on lines of their own under the path. */
function fit(line: FieldLine, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (indent + line.text.length <= WIDTH || !line.field) return [`${pad}${line.text}`];
  const { path, from, to } = line.field;
  return [`${pad}${path}:`, ...(from === undefined ? [] : [`${pad}  - ${from}`]), ...(to === undefined ? [] : [`${pad}  + ${to}`])];
}

interface FieldLine {
  readonly text: string;
  readonly field?: FieldChange;
}

function fieldLines(change: ObjectChange): FieldLine[] {
  const shown: FieldLine[] = change.fields.slice(0, MAX_FIELDS).map((field) => ({ text: fieldLine(field), field }));
  if (change.fields.length > MAX_FIELDS) shown.push({ text: `… ${change.fields.length - MAX_FIELDS} more fields` });
  return shown;
}

/** `path: old → new`, `path: + new` for a new field, `path: - old` for one that is gone. */
export function fieldLine(field: FieldChange): string {
  if (field.from === undefined) return `${field.path}: + ${field.to}`;
  if (field.to === undefined) return `${field.path}: - ${field.from}`;
  return `${field.path}: ${field.from} → ${field.to}`;
}

/** Words wrapped to WIDTH columns, every line indented by `indent`. */
function wrap(text: string, indent: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && indent + line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l) => `${' '.repeat(indent)}${l}`);
}
