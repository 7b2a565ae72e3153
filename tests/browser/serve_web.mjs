// serve_web.mjs — a stand-in HTTP face for the web view's tests, made from
// what the real CLI fetched over ZeroMQ: the web files from web/, the hub's
// data files, and each log's checkpoint and entries served as C2SP
// tlog-tiles (hash tiles and entry bundles computed here, independently of
// web/verify.js). tests/it_web.sh uses it where the hub's own HTTP face
// (tiles, data) is not built.
//
//   node serve_web.mjs WEB_DIR FIXTURE_DIR PORT_FILE [UPSTREAM]
//
// With UPSTREAM (a hub's base URL, e.g. http://127.0.0.1:8080), everything
// but / , /web/… and /data/… is fetched from it and relayed as it answered
// (a hub that serves its tiles but not yet its web data).
//
// FIXTURE_DIR/data/...           served as /data/...
// FIXTURE_DIR/logs/<origin>/checkpoint, .../entries (one base64 entry a line)
//                                served as /<origin>/checkpoint and /<origin>/tile/...
// Writes the port it listens on (127.0.0.1, chosen by the system) to
// PORT_FILE once it listens; stops on SIGTERM.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import crypto from 'node:crypto';

const [webDir, fixDir, portFile, upstream] = process.argv.slice(2);
if (!webDir || !fixDir || !portFile) {
  console.error('usage: serve_web.mjs WEB_DIR FIXTURE_DIR PORT_FILE [UPSTREAM]');
  process.exit(2);
}

const sha = (...b) => crypto.createHash('sha256').update(Buffer.concat(b)).digest();
const encodeIndex = (n) => {
  const g = [];
  do {
    g.unshift(String(n % 1000).padStart(3, '0'));
    n = Math.floor(n / 1000);
  } while (n > 0);
  return g.map((x, i) => (i < g.length - 1 ? 'x' + x : x)).join('/');
};

// The files of every log: /<origin>/checkpoint, tiles, bundles.
const files = new Map();
function addLog(origin, dir) {
  files.set(`/${origin}/checkpoint`, { type: 'text/plain; charset=utf-8', body: fs.readFileSync(path.join(dir, 'checkpoint')) });
  const entries = fs.readFileSync(path.join(dir, 'entries'), 'utf8').split('\n').filter(Boolean).map((l) => Buffer.from(l, 'base64'));
  const suffix = (w) => (w < 256 ? `.p/${w}` : '');
  for (let t = 0; t * 256 < entries.length; t++) {
    const w = Math.min(256, entries.length - t * 256);
    const parts = [];
    for (const e of entries.slice(t * 256, t * 256 + w)) {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(e.length);
      parts.push(len, e);
    }
    files.set(`/${origin}/tile/entries/${encodeIndex(t)}${suffix(w)}`, { type: 'application/octet-stream', body: Buffer.concat(parts) });
  }
  let level = entries.map((e) => sha(Buffer.of(0), e));
  for (let L = 0; level.length > 0; L++) {
    for (let t = 0; t * 256 < level.length; t++) {
      const w = Math.min(256, level.length - t * 256);
      files.set(`/${origin}/tile/${L}/${encodeIndex(t)}${suffix(w)}`, { type: 'application/octet-stream', body: Buffer.concat(level.slice(t * 256, t * 256 + w)) });
    }
    for (let i = 0; i < 8; i++) {
      const up = [];
      for (let j = 0; j + 1 < level.length; j += 2) up.push(sha(Buffer.of(1), level[j], level[j + 1]));
      level = up;
    }
  }
}
function walkLogs(dir, prefix) {
  if (!fs.existsSync(dir)) return;
  if (fs.existsSync(path.join(dir, 'checkpoint'))) addLog(prefix, dir);
  for (const d of fs.readdirSync(dir, { withFileTypes: true }))
    if (d.isDirectory()) walkLogs(path.join(dir, d.name), prefix ? `${prefix}/${d.name}` : d.name);
}
walkLogs(path.join(fixDir, 'logs'), '');

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.txt': 'text/plain; charset=utf-8', '.atom': 'application/atom+xml' };

function staticFile(root, rel) {
  const p = path.resolve(root, '.' + rel);
  if (!p.startsWith(path.resolve(root) + path.sep)) return null;
  try {
    if (!fs.statSync(p).isFile()) return null;
  } catch (e) {
    return null;
  }
  return { type: TYPES[path.extname(p)] || 'application/octet-stream', body: fs.readFileSync(p) };
}

async function relay(req, res) {
  try {
    const r = await fetch(upstream + req.url, { method: req.method });
    const body = Buffer.from(await r.arrayBuffer());
    res.writeHead(r.status, { 'Content-Type': r.headers.get('content-type') || 'application/octet-stream',
      'Cache-Control': r.headers.get('cache-control') || 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch (e) {
    res.writeHead(502, { 'Content-Type': 'text/plain' });
    res.end(`upstream: ${e.message}\n`);
  }
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname;
  let f = null;
  if (p === '/') {
    res.writeHead(302, { Location: '/web/' });
    return res.end();
  }
  if (p === '/web/') f = staticFile(webDir, '/index.html');
  else if (p.startsWith('/web/')) f = staticFile(webDir, p.slice(4));
  else if (p.startsWith('/data/')) f = staticFile(path.join(fixDir, 'data'), p.slice(5));
  else if (upstream) return relay(req, res);
  else f = files.get(p) || null;
  if (!f) {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    return res.end('not found\n');
  }
  res.writeHead(200, { 'Content-Type': f.type, 'Cache-Control': 'no-cache' });
  res.end(req.method === 'HEAD' ? undefined : f.body);
});
server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(portFile + '.tmp', String(server.address().port));
  fs.renameSync(portFile + '.tmp', portFile);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
