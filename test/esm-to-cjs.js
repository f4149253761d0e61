// Jest runs tests as CommonJS; the CEL evaluator (@marcbachmann/cel-js) ships only ES modules, which
// Node itself loads (require of ESM, Node 20.19+) but Jest's module system does not: esbuild turns
// its files into CommonJS for the tests.
'use strict';
const { transformSync } = require('esbuild');

module.exports = {
  process(source, file) {
    return { code: transformSync(source, { format: 'cjs', loader: 'js', sourcefile: file, target: 'node20' }).code };
  },
};
