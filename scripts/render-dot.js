#!/usr/bin/env node
// Renders Graphviz DOT to SVG with Graphviz compiled to WebAssembly (@viz-js/viz, MIT,
// https://github.com/mdaines/viz-js). Its API is asynchronous and synthesis is not, so
// app/picture-render.ts runs this in a child process: a JSON array of DOT texts on standard
// input, a JSON array of SVG texts on standard output; a DOT error exits 1 with the messages.
'use strict';
const { instance } = require('@viz-js/viz');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', async () => {
  const viz = await instance();
  const out = [];
  for (const dot of JSON.parse(input)) {
    const result = viz.render(dot, { format: 'svg' });
    if (result.status !== 'success') {
      process.stderr.write(result.errors.map((e) => `${e.level ?? 'error'}: ${e.message}`).join('\n') + '\n');
      process.exit(1);
    }
    out.push(result.output);
  }
  process.stdout.write(JSON.stringify({ graphviz: viz.graphvizVersion, svgs: out }));
});
