/**
 * No secret value reaches the committed tree: the rules (lib/secret-values.ts), the config check
 * that refuses them before synthesis, and the validator that finds them in any tree. No message
 * repeats the secret.
 */
import { secretInNamedValue, secretInText, secretInValue, secretsInArgv } from '../lib/secret-values';
import { checkSecrets } from '../lib/validate/secret-check';
import { SourceDocument } from '../lib/validate/document';
import { configError, parsedConfig } from './helpers';

// Built at run time so that no scanner mistakes this test file for a leak.
const GITHUB = ['ghp', 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8'].join('_');
const GITLAB = ['glpat', 'xYz12AbC34dEf56GhI78'].join('-');
const AWS = ['AKIA', 'IOSFODNN7EXAMPLE'].join('');
const DJANGO = 'k9#T2vQ!x7Lw$Rb4Zp8&Nc1Ys6Mf3Hd0Ge5Ju^Wq7Ea2Vn4Tk8';
const PEM = ['-----BEGIN', 'PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----'].join(' ');
const RANDOM = 'Qm9vdEtleTEyMzQ1Njc4OTBhYmNkZWZnaGlqa2xtbm9w';

describe('the rules', () => {
  test.each([
    [PEM, 'a PEM private key'],
    ['postgres://app:hunter2@db:5432/app', 'a URL with a password in it (user:password@)'],
    [GITHUB, 'a GitHub token'],
    [GITLAB, 'a GitLab token'],
    [AWS, 'an AWS access key'],
    [RANDOM, 'a long random string (a key or token)'],
    [DJANGO, 'a long random string (a key or token)'],
  ])('%s is a secret wherever it appears', (value, reason) => {
    expect(secretInValue(value)).toBe(reason);
  });

  test.each([
    'https://gitlab.example.org/team/platform.git',
    'postgres://db:5432/app',
    'https://user@example.org/x',
    'registry.example.org/team/backend:2.4.1',
    'sha256:0f6c3cb2a1c4e8d9f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7a8',
    'berkeleytime.settings.prod',
    'a-long-but-plain-kebab-case-identifier-for-something',
    '',
  ])('%s is not', (value) => {
    expect(secretInValue(value)).toBeUndefined();
  });

  test('names: a value under a secret-looking name is one, a reference to where it is is not', () => {
    expect(secretInNamedValue('PASSWORD', 'hunter2')).toBe('a value under the secret-looking name "PASSWORD"');
    expect(secretInNamedValue('DB_PASS', 'x')).toBeDefined();
    expect(secretInNamedValue('API_TOKEN', 'abc')).toBeDefined();
    expect(secretInNamedValue('SIS_CLASS_APP_KEY', 'abc')).toBeDefined();
    expect(secretInNamedValue('PASSWORD_FILE', '/run/secrets/db')).toBeUndefined();
    expect(secretInNamedValue('PASSWORD', '/run/secrets/db')).toBeUndefined();
    expect(secretInNamedValue('TOKEN', '$(TOKEN_FROM_SECRET)')).toBeUndefined();
    expect(secretInNamedValue('PASSWORD', '')).toBeUndefined();
    expect(secretInNamedValue('GUNICORN_WORKERS', '3')).toBeUndefined();
    expect(secretInNamedValue('KEYCLOAK_REALM', 'campus')).toBeUndefined();
    // Settings about a secret are not the secret.
    expect(secretInNamedValue('TOKEN_URL', 'https://auth.example.org/token')).toBeUndefined();
    expect(secretInNamedValue('JWT_TOKEN_LIFETIME', '3600')).toBeUndefined();
    expect(secretInNamedValue('PASSWORD_RESET_TIMEOUT_DAYS', '3')).toBeUndefined();
    expect(secretInNamedValue('JWT_ALGORITHM', 'HS256')).toBeUndefined();
    expect(secretInNamedValue('SECRET_KEY_ENABLED', 'true')).toBeUndefined();
    expect(secretInNamedValue('DB_PASSWORD', '12345678')).toBeDefined(); // a number under a secret name may be a PIN
    expect(secretInNamedValue('SMTP_PASSWORD', 'correct horse')).toBeDefined();
  });

  test('argv: a secret flag with its value, in both forms; a value taken from the environment is fine', () => {
    expect(secretsInArgv(['pg_dump', '--password=hunter2', 'app'])).toEqual([{ index: 1, reason: 'a secret passed as --password=…' }]);
    expect(secretsInArgv(['tool', '--api-key', 'abc123', '--verbose'])).toEqual([{ index: 2, reason: 'a secret passed after --api-key' }]);
    expect(secretsInArgv(['curl', '-H', `Authorization: Bearer ${GITHUB}`])).toEqual([{ index: 2, reason: 'a GitHub token' }]);
    expect(secretsInArgv(['tool', '--password=$(DB_PASSWORD)', '--token-file', '/run/t', '--password', '--next'])).toEqual([]);
  });

  test('configuration text: assignments to secret names, but not placeholders', () => {
    expect(secretInText('[admin]\nadmin_password = s3cret!\n')).toBe('an assignment to "admin_password"');
    expect(secretInText('{"api_key": "abcd1234"}')).toBe('an assignment to "api_key"');
    expect(secretInText('password: ${DB_PASSWORD}\ntoken = {{ .Values.token }}\nsecret_key=%(key)s\n')).toBeUndefined();
    expect(secretInText('max_connections = 100\n')).toBeUndefined();
  });
});

describe('the config refuses secret values, with the field path and without repeating them', () => {
  const component = (cfg: any) => cfg.apps.berkeleytime.components.backend;
  const cases: [string, (cfg: any) => void, string, string][] = [
    ['a password in env', (c) => (component(c).env.PASSWORD = 'hunter2'), 'apps.berkeleytime.components.backend.env.PASSWORD', 'hunter2'],
    ['a Django secret key', (c) => (component(c).env.DJANGO_SECRET_KEY = DJANGO), 'apps.berkeleytime.components.backend.env.DJANGO_SECRET_KEY', DJANGO],
    [
      'a password inside a URL',
      (c) => (component(c).env.DATABASE_URL = 'postgres://app:hunter2@db/app'),
      'apps.berkeleytime.components.backend.env.DATABASE_URL',
      'hunter2',
    ],
    ['a cloud key', (c) => (component(c).env.AWS_ACCESS_KEY_ID = AWS), 'apps.berkeleytime.components.backend.env.AWS_ACCESS_KEY_ID', AWS],
    ['a GitHub token', (c) => (component(c).env.GH = GITHUB), 'apps.berkeleytime.components.backend.env.GH', GITHUB],
    ['a GitLab token', (c) => (component(c).env.GL = GITLAB), 'apps.berkeleytime.components.backend.env.GL', GITLAB],
    ['a PEM private key', (c) => (component(c).env.TLS = PEM), 'apps.berkeleytime.components.backend.env.TLS', 'MIIEvQ'],
    ['--password= in args', (c) => (component(c).args = ['serve', '--password=hunter2']), 'apps.berkeleytime.components.backend.args[1]', 'hunter2'],
    [
      '--password= in a cron step',
      (c) => c.apps.berkeleytime.cronJobs['data-refresh'].steps.push(['psql', '--password=hunter2']),
      'apps.berkeleytime.cronJobs.data-refresh.steps[3][1]',
      'hunter2',
    ],
    [
      'a token in a migration command',
      (c) => (component(c).migrations.command = ['migrate', GITHUB]),
      'apps.berkeleytime.components.backend.migrations.command[1]',
      GITHUB,
    ],
    [
      'credentials in the GitOps URL',
      (c) => (c.gitops.repoURL = 'https://deploy:glpat-abcdefgh12345678@gitlab.example.org/p.git'),
      'gitops.repoURL',
      'abcdefgh',
    ],
  ];
  test.each(cases)('%s', (_name, mutate, path, secret) => {
    const message = configError(mutate);
    expect(message).toMatch(
      new RegExp(`config/platform\\.yaml: ${path.replace(/[.[\]]/g, '\\$&')}: expected (no secret|a repository URL without credentials)`),
    );
    expect(message).not.toContain(secret);
  });

  test('notSecret lets a name through that only looks secret', () => {
    const config = parsedConfig((c) => {
      component(c).env.PUBLIC_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
      component(c).notSecret = ['PUBLIC_KEY'];
    });
    expect(config.apps.berkeleytime.components.backend.env.PUBLIC_KEY).toMatch(/^ssh-ed25519 /);
    expect(configError((c) => (component(c).env.PUBLIC_KEY = 'x'))).toContain('or list "PUBLIC_KEY" under notSecret');
  });
});

describe('the validator finds secrets in any tree', () => {
  const doc = (object: any, file = 'x.yaml'): SourceDocument => ({ file, index: 0, object });
  const deployment = (container: any) =>
    doc({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'app' }, spec: { template: { spec: { containers: [container] } } } });
  test('a Secret with data, a ConfigMap with a password, literal secrets in env and args', () => {
    const findings = checkSecrets([
      doc({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'app' }, stringData: { password: 'hunter2' } }),
      doc({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'c', namespace: 'app' },
        data: { 'app.ini': '[db]\npassword = hunter2\n', ADMIN_PASSWORD: 'x' },
      }),
      deployment({ name: 'web', image: 'x', env: [{ name: 'DB_PASSWORD', value: 'hunter2' }], args: ['--token', 'abc'] }),
    ]);
    expect(findings.map((f) => `${f.document} ${f.path}: ${f.message.split(';')[0]}`)).toEqual([
      'Secret/app/s stringData: a Secret with values in the tree (password)',
      'ConfigMap/app/c data["app.ini"]: a secret-looking value: an assignment to "password"',
      'ConfigMap/app/c data.ADMIN_PASSWORD: a secret-looking value: a value under the secret-looking name "ADMIN_PASSWORD"',
      'Deployment/app/web spec.template.spec.containers[0].env[0].value: a literal secret in env: a value under the secret-looking name "DB_PASSWORD"',
      'Deployment/app/web spec.template.spec.containers[0].args[1]: a literal secret in a command: a secret passed after --token',
    ]);
    expect(JSON.stringify(findings)).not.toContain('hunter2');
  });

  test('what a chart renders in the cluster is not the tree’s to judge', () => {
    const rendered = { ...doc({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'chart-made' }, data: { key: 'eA==' } }), clusterReleaseOnly: true };
    expect(checkSecrets([rendered])).toEqual([]);
  });
});
