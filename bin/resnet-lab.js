#!/usr/bin/env node
// The resnet-lab command: the bundled CLI (built by `npm run build`).
require("../dist/cli.js").main();
