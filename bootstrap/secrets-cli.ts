/**
 * `npm run secrets [-- --config config/platform.yaml | --file secrets/<cluster>.yaml] [--rotate-token]`
 *
 * Creates the bootstrap secrets file when there is none; otherwise checks it. `--rotate-token`
 * replaces only the join token (it expires 24 hours after `kubeadm init`), for adding hosts later.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, DEFAULT_CONFIG, loadConfig } from '../config/load';
import { loadOrCreateBootstrapSecrets, newBootstrapToken, secretsFileFor, writeBootstrapSecrets } from './secrets';

function main(argv: string[]): number {
  let file: string | undefined;
  let config = DEFAULT_CONFIG;
  let rotate = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--file' && argv[i + 1]) file = path.resolve(argv[++i]);
    else if (argv[i] === '--config' && argv[i + 1]) config = argv[++i];
    else if (argv[i] === '--rotate-token') rotate = true;
    else {
      console.error(`usage: npm run secrets -- [--config <platform.yaml> | --file <path>] [--rotate-token]  (unknown argument "${argv[i]}")`);
      return 2;
    }
  }
  file ??= secretsFileFor(loadConfig(config).cluster.name);
  const { secrets, created } = loadOrCreateBootstrapSecrets(file, { log: (line) => console.log(line) });
  if (!created && !rotate) console.log(`${file} exists and is valid; nothing to do (it is never regenerated: the CAs must stay the same).`);
  if (rotate) {
    const token = newBootstrapToken();
    writeBootstrapSecrets(file, { ...secrets, bootstrapToken: token }, { replace: true });
    console.log(`New join token written to ${file}. Register it on a control-plane host before booting new hosts:`);
    console.log(`  kubeadm token create ${token} --ttl 24h`);
    console.log('Then run `npm run synth` and use the new dist/hosts/<host>/user-data.');
  }
  if (fs.statSync(file).mode & 0o077) console.warn(`warning: ${file} is readable by others; run chmod 600 ${file}`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exitCode = 1;
  } else throw err;
}
