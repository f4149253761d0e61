/**
 * Entry point: `npm run synth [-- --config path] [--outdir dir]` (also `cdk8s synth`).
 * Loads the platform config, synthesizes every environment into dist/, prints a summary.
 */
import * as fs from 'fs';
import { ConfigError, DEFAULT_CONFIG } from './config/load';
import { formatSummary, synthesize } from './lib/synth';
import { SynthError } from './lib/synth-writer';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function main(args: string[]): number {
  const configFile = option(args, '--config') ?? process.env.PLATFORM_CONFIG ?? DEFAULT_CONFIG;
  const outdir = option(args, '--outdir') ?? 'dist';
  try {
    const result = synthesize({ configFile, outdir });
    for (const w of result.warnings) console.warn(`warning [${w.id}]: ${w.message}`);
    console.log(formatSummary(result.summaries));
    console.log(`\n${outdir}/ written from ${configFile}`);
    // What the cluster needs before the workloads can start, and the repo must never hold.
    console.log(`Secrets to create in the cluster (never in git): ${result.externalSecrets.join(', ') || 'none'}`);
    // `cdk8s synth` empties its own output folder before running us and then expects it to
    // exist; the manifests themselves go to dist/ through the atomic writer.
    if (process.env.CDK8S_OUTDIR) fs.mkdirSync(process.env.CDK8S_OUTDIR, { recursive: true });
    return 0;
  } catch (err) {
    if (err instanceof ConfigError || err instanceof SynthError) {
      console.error(err.message);
      console.error(`\nnothing written; ${outdir}/ is unchanged`);
      return 1;
    }
    throw err;
  }
}

process.exitCode = main(process.argv.slice(2));
