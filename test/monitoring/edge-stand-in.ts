#!/usr/bin/env node
/**
 * What a real cluster puts between a client and the app pods, played by one small process inside
 * the test's network namespace, so the Prometheus Operator's config can be followed end to end:
 *
 * - `services`: kube-proxy's part. A Service's ClusterIP:port forwards each TCP connection to one
 *   of the Service's endpoints (pod IP:targetPort, round robin), as kube-proxy's iptables rules do.
 * - `ingress`: the ingress controller's part (ingress-nginx with cert-manager certificates). It
 *   terminates TLS on :443 with the certificate of the requested host (SNI) and forwards the
 *   plain stream to that host's app pods. It does not route by path or rewrite anything: the
 *   fleets under test serve `/` only.
 *
 * The one thing no real component does: a `delayMs` per route, the test's fault in front of the
 * app ("the app turns slow"); it holds each connection that long before forwarding it.
 *
 * Usage: node edge-stand-in.js CONFIG.json. SIGHUP re-reads the config (backends, delays,
 * certificates) and logs {"msg":"reloaded"}; listeners are fixed at start.
 */
import { readFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { TLSSocket, createSecureContext, createServer as createTlsServer, type SecureContext } from 'node:tls';

/** One forwarding route: where connections go and how long each is held first. */
export interface StandInRoute {
  /** `ip:port` of each endpoint. */
  readonly backends: readonly string[];
  readonly delayMs?: number;
}

/** The stand-in's config file. */
export interface StandInConfig {
  /** kube-proxy: `listen` is the Service's `clusterIP:port`. */
  readonly services: readonly (StandInRoute & { readonly listen: string })[];
  /** The ingress controller: `listen` is its address, `:443`; one certificate and route per host. */
  readonly ingress?: {
    readonly listen: string;
    readonly hosts: Readonly<Record<string, StandInRoute & { readonly certFile: string; readonly keyFile: string }>>;
  };
}

function log(msg: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ msg, ...fields })}\n`);
}

function splitAddress(address: string): { host: string; port: number } {
  const cut = address.lastIndexOf(':');
  return { host: address.slice(0, cut), port: Number(address.slice(cut + 1)) };
}

const turns = new Map<StandInRoute['backends'], number>();

/** Drops a client as a dead backend would: a TCP reset, or (TLS, where Node cannot reset) a close. */
function drop(client: Socket): void {
  if (client.destroyed) return;
  if (client instanceof TLSSocket) client.destroy();
  else client.resetAndDestroy();
}

/** Forwards `client` to the route's next backend after its delay; a refused backend drops the client. */
function forward(client: Socket, route: StandInRoute | undefined): void {
  // A client may go away at any time, even while it is held back by a delay.
  client.on('error', () => client.destroy());
  if (!route || route.backends.length === 0) {
    drop(client);
    return;
  }
  client.pause();
  const turn = turns.get(route.backends) ?? 0;
  turns.set(route.backends, turn + 1);
  const backend = splitAddress(route.backends[turn % route.backends.length]!);
  setTimeout(() => {
    if (client.destroyed) return;
    const upstream = connect({ ...backend, noDelay: true });
    upstream.once('connect', () => {
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('error', () => drop(client));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }, route.delayMs ?? 0);
}

function main(): void {
  const file = process.argv[2];
  if (!file) throw new Error('usage: edge-stand-in CONFIG.json');
  let config = JSON.parse(readFileSync(file, 'utf8')) as StandInConfig;
  let contexts = new Map<string, SecureContext>();
  const loadCertificates = (): void => {
    contexts = new Map(Object.entries(config.ingress?.hosts ?? {}).map(([host, route]) => [
      host, createSecureContext({ cert: readFileSync(route.certFile), key: readFileSync(route.keyFile) }),
    ]));
  };
  loadCertificates();

  const servers: { server: Server; address: string }[] = config.services.map((service) => ({
    address: service.listen,
    server: createServer((client) => forward(client, config.services.find((s) => s.listen === service.listen))),
  }));
  if (config.ingress) {
    const tlsServer = createTlsServer({
      SNICallback: (servername, callback) => {
        const context = contexts.get(servername);
        callback(context ? null : new Error(`no certificate for ${servername}`), context);
      },
    }, (client) => forward(client, config.ingress?.hosts[client.servername || '']));
    tlsServer.on('tlsClientError', () => undefined);
    servers.push({ server: tlsServer, address: config.ingress.listen });
  }
  let listening = 0;
  for (const { server, address } of servers) {
    server.on('error', (error) => {
      log('listen failed', { address, err: error.message });
      process.exitCode = 1;
      for (const s of servers) s.server.close();
    });
    server.listen(splitAddress(address), () => {
      listening += 1;
      if (listening === servers.length) log('listening', { url: `tcp://${servers.map((s) => s.address).join(',')}` });
    });
  }
  process.on('SIGHUP', () => {
    config = JSON.parse(readFileSync(file, 'utf8')) as StandInConfig;
    loadCertificates();
    log('reloaded');
  });
}

main();
