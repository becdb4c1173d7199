/**
 * A TCP forwarder that can be "partitioned": while cut, nothing flows either way and new connections
 * hang, as when a node loses its route to the database; heal() lets everything continue where it
 * stopped (the bytes wait in the sockets, so the protocol stream stays intact).
 */
import { createServer, connect, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  partition(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let cut = false;
  const sockets = new Set<Socket>();
  const waiting: (() => void)[] = [];

  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const open = () => {
      const upstream = connect(targetPort, targetHost);
      sockets.add(upstream);
      upstream.on('close', () => {
        sockets.delete(upstream);
        client.destroy();
      });
      upstream.on('error', () => upstream.destroy());
      client.on('close', () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      if (cut) for (const s of [client, upstream]) s.pause();
    };
    if (cut) {
      client.pause();
      waiting.push(open);
    } else open();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('proxy has no port');

  return {
    port: address.port,
    partition: () => {
      cut = true;
      for (const s of sockets) s.pause();
    },
    heal: () => {
      cut = false;
      for (const s of sockets) s.resume();
      for (const open of waiting.splice(0)) open();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
