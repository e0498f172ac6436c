#!/usr/bin/env node
'use strict';
const { main } = require('../dist/src/cli/main.js');

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`sessiondock: ${error && error.message ? error.message : error}\n`);
    process.exit(1);
  },
);
