/**
 * `node scripts/run.js scripts/kill-synthesis.ts [N]` (CI runs it with 100): kills `npm run synth`
 * at random moments N times and checks, after each kill, that the next command's recovery leaves
 * dist/ exactly as committed and `git status` without a stray file. Exits 1 on the first failure.
 */
import { spawn, execFileSync } from 'child_process';
import * as path from 'path';
import { recoverInterrupted } from '../lib/atomic-write';
import { repoRoot } from '../lib/repo-root';

const root = repoRoot();
const rounds = Number(process.argv[2]) || 100;
const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' });
const status = () => git('status', '--porcelain', '--untracked-files=all', '--', 'dist', ':!dist/hosts', '.').trim();

async function main(): Promise<number> {
  const before = status();
  const started = Date.now();
  for (let round = 1; round <= rounds; round++) {
    const child = spawn(process.execPath, [path.join(root, 'scripts/run.js'), 'main.ts'], { cwd: root, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // Anywhere from module loading to the swap, and sometimes after the end.
    await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 900)));
    child.kill('SIGKILL');
    await exited;
    recoverInterrupted(path.join(root, 'dist'));
    const after = status();
    if (after !== before) {
      console.error(`kill-synthesis: after kill ${round}, git status differs:\n${after}`);
      return 1;
    }
  }
  console.log(
    `kill-synthesis: ${rounds} kills at random moments, dist/ whole and git status clean each time (${((Date.now() - started) / 1000).toFixed(0)} s)`,
  );
  return 0;
}

main().then((code) => (process.exitCode = code));
