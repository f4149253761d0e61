/**
 * Time zone names as the API server reads a CronJob's `timeZone`: loaded by that exact name from
 * the tz database, case-sensitively. The runtime's tz data says whether a zone exists; the
 * spelling rule refuses what it would still accept: abbreviations (PST, EST) and wrong case (utc).
 */
const TZDB_SPELLING = /^(UTC|Etc\/(UTC|GMT([+-]\d{1,2})?)|[A-Z][A-Za-z]+(\/[A-Z0-9][A-Za-z0-9_+-]*)+)$/;

/** Whether `tz` is a tz database name; `canonical` is the runtime's name for it, for a hint. */
export function checkTimeZone(tz: string): { valid: boolean; canonical?: string } {
  let canonical: string | undefined;
  try {
    canonical = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return { valid: false };
  }
  const wrongCase = canonical !== tz && canonical.toLowerCase() === tz.toLowerCase();
  return { valid: tz !== 'Local' && !wrongCase && TZDB_SPELLING.test(tz), canonical };
}
