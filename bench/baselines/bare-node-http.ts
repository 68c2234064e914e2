// Baseline for `npm run bench:hello`: the barest node:http server that answers "Hello World!".
// hello/ is judged against this one, on the same Node binary, in the same run.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 8080);
createServer((_req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end('Hello World!');
}).listen(port, process.env.HOST ?? '127.0.0.1');
