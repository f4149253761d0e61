/**
 * What a secret looks like when it is about to be committed: the one set of rules behind the config
 * check (config/schema/secret-rules.ts) and the validator (lib/validate/secret-check.ts). Each rule
 * returns why a value looks secret, never the value itself, so no message repeats a secret.
 *
 * The rules aim at the leaks the seeds and real repositories show: a password under a telling
 * name, a private key, credentials inside a URL, tokens with a well-known prefix, a long random
 * string, and a password passed as a command-line flag.
 */

/** Names that hold secrets: PASSWORD, DB_PASS, API_TOKEN, DJANGO_SECRET_KEY, AWS_SECRET_ACCESS_KEY, *_KEY, … */
const SECRET_NAME = /(^|[_.-])(PASSWORD|PASSWD|PASS|PWD|SECRET|TOKEN|APIKEY|CREDENTIALS?|PRIVATE)([_.-]|$)|(^|[_.-])KEY$|API[_-]?KEY/i;
/**
 * Names that say the value is about a secret, not the secret: where it is (PASSWORD_FILE,
 * TOKEN_URL, SECRET_NAME) or how it behaves (TOKEN_LIFETIME, PASSWORD_MIN_LENGTH, JWT_ALGORITHM).
 */
const REFERENCE_NAME =
  /[_.-](FILE|PATH|DIR|NAME|REF|URL|URI|ENDPOINT|HOST|PORT|HEADER|PARAM|FIELD|ISSUER|AUDIENCE|SCOPE|SCOPES|ALGORITHM|ALG|TYPE|LENGTH|SIZE|BITS|TTL|LIFETIME|TIMEOUT|EXPIRY|EXPIRES|EXPIRATION|SECONDS|MINUTES|HOURS|DAYS|ENABLED|REQUIRED|COUNT|RETRIES)$/i;

const PRIVATE_KEY = /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----/;
/** `scheme://user:password@host`, with a non-empty password. */
const URL_CREDENTIALS = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:[^\s/@]+@/i;
/** Prefixes that only issued tokens carry (GitHub, GitLab, Slack, AWS, Stripe, Google, npm, Hugging Face, OpenAI). */
const TOKEN_PREFIXES: readonly [RegExp, string][] = [
  [/\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}/, 'a GitHub token'],
  [/\bgithub_pat_[A-Za-z0-9_]{20,}/, 'a GitHub token'],
  [/\bglpat-[A-Za-z0-9_-]{16,}/, 'a GitLab token'],
  [/\bgl(dt|rt|ptt|cbt|imt|oas|soat)-[A-Za-z0-9_-]{16,}/, 'a GitLab token'],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/, 'a Slack token'],
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, 'an AWS access key'],
  [/\b(sk|rk)_live_[A-Za-z0-9]{16,}/, 'a Stripe key'],
  [/\bAIza[0-9A-Za-z_-]{35}\b/, 'a Google API key'],
  [/\bnpm_[A-Za-z0-9]{36}\b/, 'an npm token'],
  [/\bhf_[A-Za-z0-9]{30,}\b/, 'a Hugging Face token'],
  [/\bsk-[A-Za-z0-9_-]{20,}/, 'an API secret key'],
];
/** Flags whose value is a secret: `--password=x`, `--db-password x`, `--token=x`, `--api-key=x`, `--secret x`. */
const SECRET_FLAG = /^--?([a-z0-9-]*-)?(password|passwd|pass|token|secret|api-?key|access-key|secret-key|private-key|credentials?)$/i;

/** Bits of entropy per character (Shannon), of the characters as they occur in `s`. */
function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / s.length) * Math.log2(n / s.length);
  return bits;
}

/**
 * A long random-looking token: 32+ characters of letters (both cases), digits and `+/=_-`, without
 * spaces, as dense as random base64. Hex digests and words-with-dashes stay below the bar.
 */
function looksRandom(value: string): boolean {
  if (value.length < 32 || value.length > 4096 || !/^[A-Za-z0-9+/=_\-!@#$%^&*.~]+$/.test(value)) return false;
  if (!/[a-z]/.test(value) || !/[A-Z]/.test(value) || !/[0-9]/.test(value)) return false;
  return entropy(value) >= 4.2;
}

/** Why `value` is a secret wherever it appears, or undefined. */
export function secretInValue(value: string): string | undefined {
  if (PRIVATE_KEY.test(value)) return 'a PEM private key';
  if (URL_CREDENTIALS.test(value)) return 'a URL with a password in it (user:password@)';
  for (const [pattern, what] of TOKEN_PREFIXES) if (pattern.test(value)) return what;
  if (looksRandom(value)) return 'a long random string (a key or token)';
  return undefined;
}

/** Why an environment variable (or a ConfigMap key) `name` with `value` holds a secret, or undefined. */
export function secretInNamedValue(name: string, value: string): string | undefined {
  const byValue = secretInValue(value);
  if (byValue) return byValue;
  if (value === '' || !SECRET_NAME.test(name) || REFERENCE_NAME.test(name)) return undefined;
  // A boolean under such a name is a switch (SECRET_KEY_ROTATION: "true"), not a secret; a number may be a PIN.
  if (/^(true|false|yes|no|on|off)$/i.test(value)) return undefined;
  // A reference to where the secret is (a path, an environment variable) is not the secret.
  if (value.startsWith('/') || /^\$\(?[A-Za-z_]/.test(value)) return undefined;
  return `a value under the secret-looking name "${name}"`;
}

/** Secrets in an argv: by value, or as the value of a secret-looking flag (`--password=x`, `--password x`). */
export function secretsInArgv(argv: readonly string[]): { index: number; reason: string }[] {
  const found: { index: number; reason: string }[] = [];
  argv.forEach((arg, index) => {
    const byValue = secretInValue(arg);
    if (byValue) return void found.push({ index, reason: byValue });
    const eq = arg.indexOf('=');
    if (eq > 0 && SECRET_FLAG.test(arg.slice(0, eq)) && arg.length > eq + 1 && !arg.slice(eq + 1).startsWith('$(')) {
      return void found.push({ index, reason: `a secret passed as ${arg.slice(0, eq)}=…` });
    }
    const next = argv[index + 1];
    if (SECRET_FLAG.test(arg) && next !== undefined && !next.startsWith('-') && !next.startsWith('$(') && !next.startsWith('/')) {
      found.push({ index: index + 1, reason: `a secret passed after ${arg}` });
    }
  });
  return found;
}

/** Assignments in a configuration file's text: `password = x`, `api_key: x`, `"token": "x"`. */
const ASSIGNMENT = /(^|[\s{,"'])((?:[A-Za-z0-9]+[_.-])*(?:password|passwd|secret|token|api[_-]?key|secret[_-]?key))["']?\s*[:=]\s*["']?([^\s"',}]{4,})/gim;

/** Why a multi-line text (a ConfigMap value: an ini, YAML or JSON file) holds a secret, or undefined. */
export function secretInText(text: string): string | undefined {
  const byValue = secretInValue(text);
  if (byValue) return byValue;
  for (const m of text.matchAll(ASSIGNMENT)) {
    const value = m[3];
    // Placeholders and references are not secrets: ${VAR}, $(VAR), %(var)s, {{ .Values.x }}, a path, a boolean.
    if (/^(\$\{|\$\(|%\(|\{\{|\/|true$|false$|null$|none$)/i.test(value)) continue;
    return `an assignment to "${m[2]}"`;
  }
  return undefined;
}
