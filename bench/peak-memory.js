// Loaded with `node -r` by bench/bench.ts: records the process's peak resident memory (KiB) at exit.
'use strict';
const file = process.env.BENCH_PEAK_FILE;
if (file) process.on('exit', () => require('fs').writeFileSync(file, String(process.resourceUsage().maxRSS)));
