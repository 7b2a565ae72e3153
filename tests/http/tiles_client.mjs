// tiles_client.mjs — a tlog-tiles client that knows only a URL and an origin
// (c2sp.org/tlog-tiles, c2sp.org/tlog-checkpoint), written from the specs
// and RFC 6962 alone, sharing no code with giamsat: plain global fetch
// (Node >= 18) and node:crypto, nothing from npm.
//
// It fetches <url>/<origin>/checkpoint, then the hash tiles needed to
// rebuild the checkpoint's root, and checks it equals the checkpoint's
// root; builds the inclusion proofs of the given indices from the tiles
// alone and checks each against that root; fetches every entry bundle and
// checks each entry hashes to its level-0 tile hash. It checks the headers
// the spec asks for and that nothing beyond the checkpoint's size is served.
// It prints one JSON document on stdout for the caller to compare with what
// the daemon serves over ZeroMQ:
//   {"origin","size","root_b64","proofs":[{"index","leaf_b64","leaf_hash_b64",
//    "proof":[b64...]}],"leaf_hashes":[b64...],"fetches":N}
//
// usage: node tiles_client.mjs URL ORIGIN [INDEX...]
import { createHash } from "node:crypto";

const [url, origin, ...indexArgs] = process.argv.slice(2);
if (!url || !origin) {
  console.error("usage: node tiles_client.mjs URL ORIGIN [INDEX...]");
  process.exit(2);
}
const prefix = `${url.replace(/\/+$/, "")}/${origin}`;
let fetches = 0;

function fail(msg) {
  console.error(`tiles_client: ${msg}`);
  process.exit(1);
}

function sha256(...parts) {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
}
const leafHash = (entry) => sha256(Buffer.from([0]), entry);
const nodeHash = (l, r) => sha256(Buffer.from([1]), l, r);

async function get(path, want = 200) {
  fetches++;
  const rs = await fetch(prefix + path, { headers: { "Accept-Encoding": "gzip, identity" } });
  const body = Buffer.from(await rs.arrayBuffer());
  if (rs.status !== want) fail(`${path}: status ${rs.status}, want ${want}: ${body.toString().slice(0, 200)}`);
  return { rs, body };
}

function expectHeader(rs, name, want, path) {
  const got = rs.headers.get(name);
  if (got !== want) fail(`${path}: ${name} is ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

// <N> as tlog-tiles spells it: 1234067 -> x001/x234/067.
function spell(n) {
  let s = String(n % 1000).padStart(3, "0");
  for (n = Math.floor(n / 1000); n > 0; n = Math.floor(n / 1000))
    s = `x${String(n % 1000).padStart(3, "0")}/${s}`;
  return s;
}

// The path of tile (L, N) in the tree of size `size`: full when it lies
// inside, else the partial tile of that size (its width).
function tilePath(level, n, size) {
  const span = 256 ** (level + 1);
  if ((n + 1) * span <= size) return { path: `/tile/${level}/${spell(n)}`, width: 256 };
  const width = Math.floor(size / 256 ** level) % 256;
  if (n !== Math.floor(size / span) || width === 0) fail(`tile ${level}/${n} is not in a tree of size ${size}`);
  return { path: `/tile/${level}/${spell(n)}.p/${width}`, width };
}

// ---- the checkpoint --------------------------------------------------------
const cp = await get("/checkpoint");
expectHeader(cp.rs, "content-type", "text/plain; charset=utf-8", "/checkpoint");
{
  const cc = cp.rs.headers.get("cache-control") || "";
  const m = /max-age=(\d+)/.exec(cc);
  if (!(cc.includes("no-cache") || cc.includes("no-store") || (m && Number(m[1]) <= 60)))
    fail(`/checkpoint: Cache-Control ${JSON.stringify(cc)} lets it be cached for long`);
}
const lines = cp.body.toString("utf8").split("\n");
if (lines[0] !== origin) fail(`checkpoint origin ${JSON.stringify(lines[0])}, want ${origin}`);
if (!/^(0|[1-9][0-9]*)$/.test(lines[1])) fail(`checkpoint size ${JSON.stringify(lines[1])}`);
const size = Number(lines[1]);
const root = Buffer.from(lines[2], "base64");
if (root.length !== 32 || root.toString("base64") !== lines[2]) fail(`checkpoint root ${lines[2]}`);
if (!lines.includes("") || !lines.some((l) => l.startsWith("\u2014 "))) fail("checkpoint is not a signed note");

// ---- hashes from tiles -----------------------------------------------------
const tiles = new Map();
async function tile(level, n) {
  const { path, width } = tilePath(level, n, size);
  if (!tiles.has(path)) {
    const { rs, body } = await get(path);
    expectHeader(rs, "content-type", "application/octet-stream", path);
    if (width === 256) expectHeader(rs, "cache-control", "public, max-age=31536000, immutable", path);
    else if ((rs.headers.get("cache-control") || "").includes("immutable")) fail(`${path}: a partial tile sent immutable`);
    if (body.length !== 32 * width) fail(`${path}: ${body.length} bytes, want ${32 * width}`);
    tiles.set(path, body);
  }
  return tiles.get(path);
}

// The hash of the complete subtree (height h, index k): the tile at level
// floor(h/8) holds the hashes at height 8*floor(h/8); the levels in
// between are rebuilt by hashing (tlog-tiles "Merkle Tree").
async function stored(h, k) {
  const L = Math.floor(h / 8);
  const below = h - 8 * L; // levels to hash inside the tile
  const first = k * 2 ** below; // the first hash at height 8L
  const t = await tile(L, Math.floor(first / 256));
  let row = [];
  for (let i = 0; i < 2 ** below; i++) {
    const at = (first % 256) + i;
    row.push(t.subarray(32 * at, 32 * at + 32));
  }
  while (row.length > 1) {
    const up = [];
    for (let i = 0; i < row.length; i += 2) up.push(nodeHash(row[i], row[i + 1]));
    row = up;
  }
  return row[0];
}

// MTH(D[begin:end]) (RFC 6962 §2.1) from stored complete subtrees.
async function mth(begin, end) {
  const n = end - begin;
  if ((n & (n - 1)) === 0 && begin % n === 0) return stored(Math.log2(n), begin / n);
  let k = 1;
  while (2 * k < n) k *= 2;
  return nodeHash(await mth(begin, begin + k), await mth(begin + k, end));
}

// PATH(m, D[begin:end]) (RFC 6962 §2.1.1), bottom up.
async function path(m, begin, end) {
  const n = end - begin;
  if (n === 1) return [];
  let k = 1;
  while (2 * k < n) k *= 2;
  if (m < begin + k) return [...(await path(m, begin, begin + k)), await mth(begin + k, end)];
  return [...(await path(m, begin + k, end)), await mth(begin, begin + k)];
}

// RFC 9162 §2.1.3.2: the root an inclusion proof leads to.
function rootFromProof(index, sz, leaf, proof) {
  let fn = index,
    sn = sz - 1,
    r = leaf;
  for (const p of proof) {
    if (sn === 0) fail(`proof of ${index} is too long`);
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0)
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
    } else r = nodeHash(r, p);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) fail(`proof of ${index} is too short`);
  return r;
}

const out = { origin, size, root_b64: root.toString("base64"), proofs: [], leaf_hashes: [] };
if (size === 0) {
  if (!root.equals(sha256())) fail("a size-0 checkpoint whose root is not SHA-256 of nothing");
} else {
  const rebuilt = await mth(0, size);
  if (!rebuilt.equals(root)) fail(`the root rebuilt from tiles ${rebuilt.toString("base64")} is not the checkpoint's ${lines[2]}`);
}

// ---- entry bundles ---------------------------------------------------------
const entries = [];
for (let n = 0; n * 256 < size; n++) {
  const full = (n + 1) * 256 <= size;
  const width = full ? 256 : size % 256;
  const p = `/tile/entries/${spell(n)}${full ? "" : `.p/${width}`}`;
  const { rs, body } = await get(p);
  expectHeader(rs, "content-type", "application/octet-stream", p);
  if (full) expectHeader(rs, "cache-control", "public, max-age=31536000, immutable", p);
  let off = 0;
  for (let i = 0; i < width; i++) {
    if (off + 2 > body.length) fail(`${p}: ends inside entry ${i}`);
    const len = body.readUInt16BE(off);
    if (off + 2 + len > body.length) fail(`${p}: entry ${i} runs past the end`);
    entries.push(body.subarray(off + 2, off + 2 + len));
    off += 2 + len;
  }
  if (off !== body.length) fail(`${p}: ${body.length - off} bytes after entry ${width - 1}`);
}
for (let i = 0; i < size; i++) {
  const lh = leafHash(entries[i]);
  if (!lh.equals(await stored(0, i))) fail(`entry ${i} of the bundles does not hash to its level-0 tile hash`);
  out.leaf_hashes.push(lh.toString("base64"));
}

// ---- inclusion proofs from tiles alone ---------------------------------------
for (const a of indexArgs) {
  const index = Number(a);
  if (!Number.isInteger(index) || index < 0 || index >= size) fail(`index ${a} is not below size ${size}`);
  const proof = await path(index, 0, size);
  const leaf = leafHash(entries[index]);
  if (!rootFromProof(index, size, leaf, proof).equals(root)) fail(`the proof of ${index} built from tiles does not lead to the root`);
  out.proofs.push({
    index,
    leaf_b64: entries[index].toString("base64"),
    leaf_hash_b64: leaf.toString("base64"),
    proof: proof.map((h) => h.toString("base64")),
  });
}

// ---- nothing beyond the size -------------------------------------------------
const full0 = Math.floor(size / 256);
await get(`/tile/0/${spell(full0)}`, 404); // the full tile the partial one will become
await get(`/tile/entries/${spell(full0)}`, 404);
await get(`/tile/0/${spell(full0)}.p/${size % 256 === 255 ? 1 : (size % 256) + 1}`, 404); // another width
await get(`/tile/0/${spell(full0 + 1)}.p/1`, 404);
await get(`/tile/0/x000/${spell(full0 % 1000)}`, 400); // not the canonical spelling

out.fetches = fetches;
console.log(JSON.stringify(out));
