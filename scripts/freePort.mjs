// A TCP port free on 127.0.0.1 now (the OS picks it), for code-server and torchrun's rendezvous
// (the VS Code suites import it; test/unit/torchrun.test.ts requires it).
import * as net from 'node:net';

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
