/**
 * The Markdown view of a diff, for a merge-request comment: the flags and a summary table first, then one
 * collapsible `<details>` per section with its objects and field diffs.
 *
 * The whole comment stays under MAX_CHARS: GitHub refuses a comment body over 65,536 characters (its API answers
 * "body is too long"), GitLab a note over 1,000,000 (docs.gitlab.com, "Notes API"); what does not fit is counted
 * and left to `npm run diff` on a checkout.
 */
import { fieldLine, flagHeadline } from './format-terminal';
import { DiffReport, ObjectChange, ObjectStatus } from './model';

export const MAX_CHARS = 60_000;
/** Flags in the table; more are counted (a change with this many is read on a checkout anyway). */
const MAX_FLAGS = 60;
const MAX_FIELDS = 25;
const STATUS: Record<ObjectStatus, string> = { added: 'added', changed: 'changed', removed: 'removed' };

export interface MarkdownOptions {
  readonly against: string;
  /** @default MAX_CHARS */
  readonly maxChars?: number;
}

export function formatMarkdown(report: DiffReport, opts: MarkdownOptions): string {
  const max = opts.maxChars ?? MAX_CHARS;
  const head = [`### Platform diff against ${html(opts.against)}`, ''];
  if (!report.sections.length) return [...head, `No object changes (${report.unchanged} objects unchanged).`, ''].join('\n');
  head.push(`**${flagHeadline(report.flags)}**`, '');
  if (report.flags.length) {
    head.push('| category | where | object | why |', '| --- | --- | --- | --- |');
    for (const flag of report.flags.slice(0, MAX_FLAGS))
      head.push(`| ${flag.category} | ${cell(`${flag.section}/${flag.unit}`)} | ${code(flag.object)} | ${cell(flag.reason)} ${code(flag.id)} |`);
    if (report.flags.length > MAX_FLAGS) head.push(`| … | | ${report.flags.length - MAX_FLAGS} more flags | |`);
    head.push('');
  }
  head.push('| where | added | changed | removed | flags |', '| --- | ---: | ---: | ---: | ---: |');
  for (const s of report.sections) head.push(`| ${cell(s.section)} | ${s.added} | ${s.changed} | ${s.removed} | ${s.flags.length} |`);
  const total = (k: 'added' | 'changed' | 'removed') => report.sections.reduce((n, s) => n + s[k], 0);
  head.push(`| **total** | ${total('added')} | ${total('changed')} | ${total('removed')} | ${report.flags.length} |`, '');
  head.push(`${report.unchanged} objects unchanged.`, '');

  const tail = (omitted: number) => (omitted ? `\n_${omitted} more objects not shown: run \`npm run diff\` on a checkout of this branch._\n` : '');
  let out = head.join('\n');
  const all = report.sections.flatMap((s) => s.objects).length;
  let shown = 0;
  // Room for the closing tags and the "more objects" line.
  const budget = max - 400;
  for (const section of report.sections) {
    const counts = (['added', 'changed', 'removed'] as const).filter((k) => section[k] > 0).map((k) => `${section[k]} ${k}`);
    const open = `\n<details><summary><b>${html(section.section)}</b>: ${counts.join(', ') || 'flags only'}</summary>\n\n`;
    const close = '\n</details>\n';
    if (out.length + open.length + close.length > budget) break;
    out += open;
    let unit: string | undefined;
    for (const change of section.objects) {
      const block = (change.unit !== unit ? `${unit === undefined ? '' : '\n'}**${html(change.unit)}**\n\n` : '') + objectBlock(change);
      if (out.length + block.length + close.length > budget) break;
      out += block;
      unit = change.unit;
      shown++;
    }
    out += close;
    if (shown < all && out.length > budget - 200) break;
  }
  return out + tail(all - shown);
}

function objectBlock(change: ObjectChange): string {
  const line = `- ${STATUS[change.status]} ${code(change.label)}\n`;
  if (!change.fields.length) return line;
  const fields = change.fields.slice(0, MAX_FIELDS).map((f) => fence(fieldLine(f)));
  if (change.fields.length > MAX_FIELDS) fields.push(`… ${change.fields.length - MAX_FIELDS} more fields`);
  return `${line}\n  \`\`\`\n${fields.map((f) => `  ${f}`).join('\n')}\n  \`\`\`\n`;
}

/** Inline code that survives any content (names never hold backticks; values might). */
function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function cell(text: string): string {
  return html(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function html(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A line inside a fenced block: a run of backticks would close the fence. */
function fence(text: string): string {
  return text.replace(/`{3,}/g, (run) => "'".repeat(run.length));
}
