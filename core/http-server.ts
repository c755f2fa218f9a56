// `--http ADDR`: /metrics in Prometheus text format and /status as JSON, for
// scrapers and dashboards. Read-only; binds to loopback unless told otherwise.

import http from 'node:http';

import type { Logger } from './logger.js';

export interface HttpSources {
  metrics(): string;
  status(): unknown;
}

export class HttpServer {
  private readonly server: http.Server;

  constructor(
    private readonly sources: HttpSources,
    private readonly logger: Logger,
  ) {
    this.server = http.createServer((request, response) => this.serve(request, response));
  }

  async listen(host: string, port: number): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const address = this.server.address() as { address: string; port: number };
    this.logger.info('http-listening', `metrics on http://${host}:${address.port}/metrics`, {
      host,
      port: address.port,
    });
    return { host, port: address.port };
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private serve(request: http.IncomingMessage, response: http.ServerResponse): void {
    const url = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' });
      response.end('only GET\n');
    } else if (url === '/metrics') {
      response.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
      response.end(this.sources.metrics());
    } else if (url === '/status') {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(this.sources.status(), null, 2) + '\n');
    } else {
      response.writeHead(404, { 'Content-Type': 'text/plain' });
      response.end('not found: try /metrics or /status\n');
    }
  }
}
