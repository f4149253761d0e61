/** CronJob schedules as the CronJob controller takes them: five fields, or a macro such as @daily. */
import { CronExpressionParser } from 'cron-parser';

const MACRO = /^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/;

export function isCronSchedule(expr: string, opts: { macros?: boolean } = {}): boolean {
  if (opts.macros && MACRO.test(expr.trim())) return true;
  if (expr.trim().split(/\s+/).length !== 5) return false;
  try {
    CronExpressionParser.parse(expr, { strict: false });
    return true;
  } catch {
    return false;
  }
}
