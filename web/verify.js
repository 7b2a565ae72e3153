// verify.js — what the web view checks, in the reader's browser, before it
// says a statement is verified (docs/http.md "Web view"). Self-contained: no
// import, nothing fetched but what the caller's fetch function asks for;
// the cryptography is WebCrypto's (crypto.subtle: SHA-256 and Ed25519).
//
// The formats are the C2SP ones the daemons speak:
//   c2sp.org/signed-note        notes, signature lines, verifier keys, key IDs
//   c2sp.org/tlog-checkpoint    the note body: origin, size, root
//   c2sp.org/tlog-cosignature   cosignature/v1 (alg 0x04) lines of witnesses
//   c2sp.org/tlog-tiles         hash tiles and entry bundles
//   c2sp.org/tlog-policy        the trust policy: logs, witnesses, groups, quorum
// and giamsat's own: an entry is a SignedStatement (proto/giamsat.proto)
// whose signature covers "giamsat/statement/v1\n" || statement bytes.
//
// Every check here fails closed: anything malformed, missing or unknown is a
// reason to say "not verified", never something to skip.

const subtle = globalThis.crypto.subtle;
const te = new TextEncoder();
const td = new TextDecoder('utf-8', { fatal: true });

export class VerifyError extends Error {
  // kind: the step that failed (checkpoint, log-signature, quorum, entry,
  // inclusion, statement, signature, policy, fetch), for the verdict's reason.
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}
const fail = (kind, msg) => {
  throw new VerifyError(kind, msg);
};

// ---------------------------------------------------------------- bytes

export function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function equal(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

export const utf8 = (s) => te.encode(s);
export function fromUtf8(b) {
  return td.decode(b);
}

export function hex(b) {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
export function fromHex(s) {
  if (s === '-' ) return new Uint8Array(0);
  if (s.length % 2 || /[^0-9a-f]/i.test(s)) throw new Error('bad hex');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(2 * i, 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(256).fill(-1);
for (let i = 0; i < 64; i++) B64_INDEX[B64.charCodeAt(i)] = i;

// Standard base64 with padding (RFC 4648 §4), canonical: the unused bits of
// the last character must be zero, as Go's StdEncoding.Strict decodes.
export function fromBase64(s) {
  if (typeof s !== 'string' || s.length % 4 !== 0) throw new Error('base64: bad length');
  let pad = 0;
  if (s.endsWith('==')) pad = 2;
  else if (s.endsWith('=')) pad = 1;
  const n = (s.length / 4) * 3 - pad;
  const out = new Uint8Array(n);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const v = [0, 0, 0, 0];
    for (let j = 0; j < 4; j++) {
      const c = s.charCodeAt(i + j);
      if (c === 61 /* = */ && i + 4 === s.length && j >= 4 - pad) continue;
      const x = c < 256 ? B64_INDEX[c] : -1;
      if (x < 0) throw new Error('base64: bad character');
      v[j] = x;
    }
    const w = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    if (o < n) out[o++] = (w >> 16) & 255;
    if (o < n) out[o++] = (w >> 8) & 255;
    if (o < n) out[o++] = w & 255;
    if (i + 4 === s.length && ((pad === 1 && (w & 0xff)) || (pad === 2 && (w & 0xffff))))
      throw new Error('base64: not canonical');
  }
  return out;
}

export function toBase64(b) {
  let s = '';
  for (let i = 0; i < b.length; i += 3) {
    const w = (b[i] << 16) | ((b[i + 1] || 0) << 8) | (b[i + 2] || 0);
    s += B64[(w >> 18) & 63] + B64[(w >> 12) & 63];
    s += i + 1 < b.length ? B64[(w >> 6) & 63] : '=';
    s += i + 2 < b.length ? B64[w & 63] : '=';
  }
  return s;
}

// A person's key in URLs: unpadded base64url (docs/http.md).
export const toBase64Url = (b) => toBase64(b).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
export function fromBase64Url(s) {
  if (/[^A-Za-z0-9_-]/.test(s)) throw new Error('base64url: bad character');
  const std = s.replace(/-/g, '+').replace(/_/g, '/');
  return fromBase64(std + '='.repeat((4 - (std.length % 4)) % 4));
}

// ---------------------------------------------------------------- crypto

export async function sha256(bytes) {
  return new Uint8Array(await subtle.digest('SHA-256', bytes));
}

const keyCache = new Map();
export async function ed25519Verify(pub, sig, msg) {
  if (pub.length !== 32 || sig.length !== 64) return false;
  const id = hex(pub);
  let key = keyCache.get(id);
  if (!key) {
    key = await subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
    keyCache.set(id, key);
  }
  try {
    return await subtle.verify({ name: 'Ed25519' }, key, sig, msg);
  } catch (e) {
    return false;
  }
}

// RFC 6962 §2.1
export const leafHash = (entry) => sha256(concat(Uint8Array.of(0), entry));
export const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

// ---------------------------------------------------------------- signed notes

export const ALG_ED25519 = 0x01;
export const ALG_COSIGNATURE_V1 = 0x04;

// Key ID: the first 4 bytes of SHA-256(name || "\n" || alg || public key).
export async function keyId(name, alg, pub) {
  return (await sha256(concat(utf8(name), Uint8Array.of(10, alg), pub))).slice(0, 4);
}

function validKeyName(name) {
  return name.length > 0 && !/[\s+]/u.test(name) && /^[\x21-\x7e\u0080-\uffff]+$/u.test(name);
}

// A verifier key "<name>+<hex key ID>+<base64(alg || public key)>".
export async function parseVkey(s) {
  const m = /^(.+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(s);
  if (!m || !validKeyName(m[1])) throw new Error(`not a verifier key: "${s}"`);
  const raw = fromBase64(m[3]);
  if (raw.length !== 33) throw new Error(`verifier key ${m[1]}: not an Ed25519 key`);
  const alg = raw[0];
  const pub = raw.slice(1);
  if (alg !== ALG_ED25519 && alg !== ALG_COSIGNATURE_V1)
    throw new Error(`verifier key ${m[1]}: algorithm 0x${alg.toString(16)} is not supported`);
  const id = await keyId(m[1], alg, pub);
  if (hex(id) !== m[2]) throw new Error(`verifier key ${m[1]}: the key ID does not match the key`);
  return { name: m[1], alg, pub, id, text: s };
}

// Splits a signed note into its body (with the final newline) and its
// signature lines. Malformed notes throw; lines of unknown keys are kept for
// the caller to ignore.
export function parseNote(text) {
  if (typeof text !== 'string') throw new Error('a note is text');
  if (!text.endsWith('\n')) throw new Error('the note does not end with a newline');
  const sep = text.lastIndexOf('\n\n');
  if (sep < 0) throw new Error('the note has no signature block');
  const body = text.slice(0, sep + 1);
  const sigText = text.slice(sep + 2);
  const sigs = [];
  for (const line of sigText.slice(0, -1).split('\n')) {
    const m = /^\u2014 (\S+) (\S+)$/u.exec(line);
    if (!m) throw new Error(`malformed signature line "${line}"`);
    let raw;
    try {
      raw = fromBase64(m[2]);
    } catch (e) {
      sigs.push({ name: m[1], id: null, sig: null });
      continue;
    }
    if (raw.length < 5) {
      sigs.push({ name: m[1], id: null, sig: null });
      continue;
    }
    sigs.push({ name: m[1], id: raw.slice(0, 4), sig: raw.slice(4) });
  }
  if (sigs.length === 0) throw new Error('the note has no signature');
  return { body, sigs };
}

// c2sp.org/tlog-checkpoint: origin, decimal size, base64 root, extensions.
export function parseCheckpoint(body) {
  const lines = body.split('\n');
  lines.pop(); // after the last newline
  if (lines.length < 3) throw new Error('a checkpoint has at least three lines');
  const [origin, sizeText, rootText] = lines;
  if (!origin) throw new Error('the checkpoint has no origin');
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText)) throw new Error(`bad tree size "${sizeText}"`);
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw new Error('tree size out of range');
  const root = fromBase64(rootText);
  if (root.length !== 32) throw new Error('the root hash is not 32 bytes');
  return { origin, size, root, extensions: lines.slice(3) };
}

// The signature lines of the note by the key k, in order.
function linesOf(note, k) {
  return note.sigs.filter((s) => s.id && s.name === k.name && equal(s.id, k.id));
}

// Whether the log key signed the note (alg 0x01: the message is the body).
export async function verifyLogSignature(note, k) {
  for (const s of linesOf(note, k)) {
    if (await ed25519Verify(k.pub, s.sig, utf8(note.body))) return true;
  }
  return false;
}

// cosignature/v1 (c2sp.org/tlog-cosignature): the line holds an 8-byte
// big-endian time and an Ed25519 signature over
// "cosignature/v1\ntime <t>\n" || body. Returns {ok, time, bad}.
export async function verifyCosignature(note, k) {
  let bad = false;
  for (const s of linesOf(note, k)) {
    if (s.sig.length !== 72) {
      bad = true;
      continue;
    }
    const dv = new DataView(s.sig.buffer, s.sig.byteOffset, 8);
    const t = dv.getBigUint64(0);
    const msg = concat(utf8(`cosignature/v1\ntime ${t}\n`), utf8(note.body));
    if (await ed25519Verify(k.pub, s.sig.slice(8), msg)) return { ok: true, time: Number(t), bad };
    bad = true;
  }
  return { ok: false, time: null, bad };
}

// ---------------------------------------------------------------- tlog-policy

// Parses a policy; throws an Error naming the line on anything
// c2sp.org/tlog-policy (and common/policy.h) refuses.
export async function parsePolicy(text) {
  const p = { logs: [], witnesses: [], groups: [], quorum: null, names: new Map() };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const where = `line ${i + 1}`;
    let line = lines[i].replace(/\r$/, '');
    if (/[\x00-\x08\x0b-\x1f\x7f]/.test(line)) throw new Error(`${where}: a control character`);
    const items = line.split(/[ \t]+/).filter((x) => x !== '');
    const hash = items.findIndex((x) => x.startsWith('#'));
    if (hash >= 0) items.length = hash;
    if (items.length === 0) continue;
    const [kw, ...args] = items;
    const define = (name, what) => {
      if (name === 'none' || p.names.has(name)) throw new Error(`${where}: "${name}" is defined twice or reserved`);
      p.names.set(name, what);
    };
    if (kw === 'log') {
      if (args.length < 1 || args.length > 2) throw new Error(`${where}: log <vkey> [<url>]`);
      let k;
      try {
        k = await parseVkey(args[0]);
      } catch (e) {
        throw new Error(`${where}: ${e.message}`);
      }
      if (k.alg !== ALG_ED25519) throw new Error(`${where}: a log key must be alg 0x01`);
      if (p.logs.some((l) => l.name === k.name)) throw new Error(`${where}: a second log for ${k.name}`);
      if (p.logs.some((l) => equal(l.pub, k.pub))) throw new Error(`${where}: a key listed twice`);
      p.logs.push({ ...k, url: args[1] || null });
    } else if (kw === 'witness') {
      if (args.length < 2 || args.length > 3) throw new Error(`${where}: witness <name> <vkey> [<url>]`);
      let k;
      try {
        k = await parseVkey(args[1]);
      } catch (e) {
        throw new Error(`${where}: ${e.message}`);
      }
      // An alg 0x01 key stands for its cosigner key under the same name
      // (common/policy.h).
      if (k.alg === ALG_ED25519) k = { ...k, alg: ALG_COSIGNATURE_V1, id: await keyId(k.name, ALG_COSIGNATURE_V1, k.pub) };
      if (p.witnesses.some((w) => equal(w.pub, k.pub))) throw new Error(`${where}: a key listed twice`);
      define(args[0], 'witness');
      p.witnesses.push({ ...k, witness: args[0], url: args[2] || null });
    } else if (kw === 'group') {
      if (args.length < 3) throw new Error(`${where}: group <name> all|any|<k> <member>...`);
      const [name, need, ...members] = args;
      const seen = new Set();
      for (const m of members) {
        if (!p.names.has(m)) throw new Error(`${where}: "${m}" is not defined on an earlier line`);
        if (seen.has(m)) throw new Error(`${where}: "${m}" listed twice`);
        seen.add(m);
      }
      let k;
      if (need === 'all') k = members.length;
      else if (need === 'any') k = 1;
      else if (/^[1-9][0-9]*$/.test(need)) k = Number(need);
      else throw new Error(`${where}: bad threshold "${need}"`);
      if (k < 1 || k > members.length) throw new Error(`${where}: threshold ${need} outside 1..${members.length}`);
      define(name, 'group');
      p.groups.push({ name, k, members });
    } else if (kw === 'quorum') {
      if (args.length !== 1) throw new Error(`${where}: quorum <name>|none`);
      if (p.quorum !== null) throw new Error(`${where}: a second quorum line`);
      if (args[0] !== 'none' && !p.names.has(args[0])) throw new Error(`${where}: "${args[0]}" is not defined`);
      p.quorum = args[0];
    } else {
      throw new Error(`${where}: unknown keyword "${kw}"`);
    }
  }
  if (p.quorum === null) throw new Error('the policy has no quorum line');
  return p;
}

// Whether name ("none", a witness or a group) is satisfied by the set of
// witness names that witnessed the checkpoint.
export function quorumMet(policy, witnessed, name = policy.quorum) {
  if (name === 'none') return true;
  const kind = policy.names.get(name);
  if (kind === 'witness') return witnessed.has(name);
  if (kind === 'group') {
    const g = policy.groups.find((x) => x.name === name);
    let n = 0;
    for (const m of g.members) if (quorumMet(policy, witnessed, m)) n++;
    return n >= g.k;
  }
  return false;
}

// Checks a cosigned checkpoint against a parsed policy, as
// gs_policy_verify_checkpoint does: a listed log key for its origin signed
// it, and the quorum is met by valid cosignatures of listed witnesses; a
// witness whose key is the log's own key (a hub's own log) counts once the
// log's signature verified. Never throws on a bad signature: the result
// says what held.
export async function checkCheckpoint(policy, noteText, origin) {
  const r = { origin, size: null, root: null, logSigned: false, logKey: null, witnesses: [],
    count: 0, of: policy.witnesses.length, quorum: policy.quorum, quorumMet: false, error: null };
  let note, cp;
  try {
    note = parseNote(noteText);
    cp = parseCheckpoint(note.body);
  } catch (e) {
    r.error = `the checkpoint does not parse: ${e.message}`;
    return r;
  }
  r.size = cp.size;
  r.root = cp.root;
  r.checkpointOrigin = cp.origin;
  if (origin !== undefined && cp.origin !== origin) {
    r.error = `the checkpoint is for ${cp.origin}, not ${origin}`;
    return r;
  }
  const log = policy.logs.find((l) => l.name === cp.origin);
  if (!log) {
    r.error = `the trust policy lists no log ${cp.origin}`;
    return r;
  }
  r.logKey = log;
  r.logSigned = await verifyLogSignature(note, log);
  const witnessed = new Set();
  for (const w of policy.witnesses) {
    const c = await verifyCosignature(note, w);
    const self = !c.ok && r.logSigned && equal(w.pub, log.pub);
    if (c.ok || self) witnessed.add(w.witness);
    r.witnesses.push({ name: w.witness, keyName: w.name, cosigned: c.ok, time: c.time, bad: c.bad, self });
  }
  r.count = witnessed.size;
  r.quorumMet = r.logSigned && quorumMet(policy, witnessed);
  return r;
}

// ---------------------------------------------------------------- tlog-tiles

export const TILE_WIDTH = 256;

// The index N as path elements: zero-padded 3-digit groups, all but the last
// prefixed with "x" (1234067 -> x001/x234/067).
export function encodeTileIndex(n) {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error('bad tile index');
  const groups = [];
  do {
    groups.unshift(String(n % 1000).padStart(3, '0'));
    n = Math.floor(n / 1000);
  } while (n > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? 'x' + g : g)).join('/');
}

// tile/<L>/<N>[.p/<W>]; level "entries" for entry bundles. W < 256 makes a
// partial tile.
export function tilePath(level, n, width = TILE_WIDTH) {
  if (!(width >= 1 && width <= TILE_WIDTH)) throw new Error('bad tile width');
  return `tile/${level}/${encodeTileIndex(n)}${width < TILE_WIDTH ? `.p/${width}` : ''}`;
}

// An entry bundle: entries each prefixed by their big-endian uint16 length.
export function parseEntryBundle(bytes) {
  const out = [];
  let o = 0;
  while (o < bytes.length) {
    if (o + 2 > bytes.length) throw new Error('entry bundle: truncated length');
    const n = (bytes[o] << 8) | bytes[o + 1];
    o += 2;
    if (o + n > bytes.length) throw new Error('entry bundle: truncated entry');
    out.push(bytes.slice(o, o + n));
    o += n;
  }
  return out;
}

const largestPow2Below = (n) => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};

// Reads a log of a given size from its tiles. fetchBytes(path) resolves to
// the bytes at prefix + path, or throws.
export class TileReader {
  constructor(fetchBytes, size) {
    this.fetchBytes = fetchBytes;
    this.size = size;
    this.tiles = new Map();
    this.fetched = [];
  }

  async tile(path) {
    if (!this.tiles.has(path)) {
      this.fetched.push(path);
      this.tiles.set(path, this.fetchBytes(path));
    }
    return this.tiles.get(path);
  }

  // Tile n of level (a number, or "entries") holding width items at this
  // size: the partial tile, or when the server no longer has it (the tile
  // filled up since: c2sp.org/tlog-tiles lets a log drop partial tiles) the
  // full one. Resolves to {bytes, path, full}; a failed fetch is a
  // VerifyError of kind "fetch".
  async tileAt(level, n, width) {
    const path = tilePath(level, n, width);
    try {
      return { bytes: await this.tile(path), path, full: width === TILE_WIDTH };
    } catch (e) {
      if (width < TILE_WIDTH) {
        const fullPath = tilePath(level, n);
        try {
          return { bytes: await this.tile(fullPath), path: fullPath, full: true };
        } catch (e2) {
          /* neither: the partial tile's error says what was asked */
        }
      }
      throw new VerifyError('fetch', `${path}: ${e.message}`);
    }
  }

  // The entry at index (from its bundle).
  async entry(index) {
    if (index >= this.size) throw new VerifyError('entry', `index ${index} is beyond the tree size ${this.size}`);
    const n = Math.floor(index / TILE_WIDTH);
    const width = Math.min(TILE_WIDTH, this.size - n * TILE_WIDTH);
    const got = await this.tileAt('entries', n, width);
    let entries;
    try {
      entries = parseEntryBundle(got.bytes);
    } catch (e) {
      throw new VerifyError('entry', `the entry bundle ${got.path}: ${e.message}`);
    }
    const want = got.full ? TILE_WIDTH : width;
    if (entries.length !== want)
      throw new VerifyError('entry', `the entry bundle ${got.path} holds ${entries.length} entries, not ${want}`);
    return { entry: entries[index % TILE_WIDTH], path: got.path };
  }

  // The hash of the complete subtree (level, index): 2^level leaves from
  // index * 2^level, read from the hash tile of level floor(level / 8) and
  // hashed up inside it.
  async subtree(level, index) {
    const L = Math.floor(level / 8);
    const r = level % 8;
    const first = index * 2 ** r; // at level 8L
    const t = Math.floor(first / TILE_WIDTH);
    const atLevel = Math.floor(this.size / 2 ** (8 * L));
    const width = Math.min(TILE_WIDTH, atLevel - t * TILE_WIDTH);
    const pos = first % TILE_WIDTH;
    if (width <= 0 || pos + 2 ** r > width) throw new Error(`subtree ${level}/${index} is not complete at size ${this.size}`);
    const got = await this.tileAt(L, t, width);
    const want = (got.full ? TILE_WIDTH : width) * 32;
    if (got.bytes.length !== want)
      throw new VerifyError('inclusion', `hash tile ${got.path} is ${got.bytes.length} bytes, not ${want}`);
    const bytes = got.bytes;
    let hashes = [];
    for (let i = 0; i < 2 ** r; i++) hashes.push(bytes.slice((pos + i) * 32, (pos + i + 1) * 32));
    while (hashes.length > 1) {
      const up = [];
      for (let i = 0; i < hashes.length; i += 2) up.push(await nodeHash(hashes[i], hashes[i + 1]));
      hashes = up;
    }
    return hashes[0];
  }

  // MTH(D[start:end]) for a range that RFC 6962's tree splits at powers of two.
  async range(start, end) {
    const n = end - start;
    const k = largestPow2Below(n);
    // Sizes beyond 2^31: no bitwise operators here.
    if (2 * k === n || n === 1) {
      if (start % n !== 0) throw new Error(`range ${start}..${end} is not a subtree`);
      return this.subtree(Math.log2(n), start / n);
    }
    return nodeHash(await this.range(start, start + k), await this.range(start + k, end));
  }

  // The root of the tree of this.size leaves.
  async root() {
    if (this.size === 0) return sha256(new Uint8Array(0));
    return this.range(0, this.size);
  }

  // RFC 6962 §2.1.1 PATH(m, D[start:end]): the inclusion proof of leaf m.
  async inclusionProof(m, start = 0, end = this.size) {
    const n = end - start;
    if (n <= 1) return [];
    const k = largestPow2Below(n);
    if (m < k) return [...(await this.inclusionProof(m, start, start + k)), await this.range(start + k, end)];
    return [...(await this.inclusionProof(m - k, start + k, end)), await this.range(start, start + k)];
  }
}

// RFC 9162 §2.1.3.2: the root an inclusion proof leads to from a leaf hash,
// or null when the proof has the wrong length for (index, size).
export async function rootFromInclusion(index, size, leaf, proof) {
  if (index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

// ---------------------------------------------------------------- protobuf

// A minimal reader of the protobuf wire format: a message as a list of
// {field, type, value} (value: BigInt for varint and fixed, bytes else).
export function readFields(bytes) {
  const out = [];
  let o = 0;
  const varint = () => {
    let v = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (o >= bytes.length) throw new Error('protobuf: truncated varint');
      const b = bytes[o++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return BigInt.asUintN(64, v);
      shift += 7n;
    }
    throw new Error('protobuf: varint too long');
  };
  while (o < bytes.length) {
    const key = varint();
    const field = Number(key >> 3n);
    const type = Number(key & 7n);
    if (field === 0) throw new Error('protobuf: field 0');
    let value;
    if (type === 0) value = varint();
    else if (type === 1 || type === 5) {
      const n = type === 1 ? 8 : 4;
      if (o + n > bytes.length) throw new Error('protobuf: truncated fixed field');
      value = 0n;
      for (let i = n - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[o + i]);
      o += n;
    } else if (type === 2) {
      const n = varint();
      if (n > BigInt(bytes.length - o)) throw new Error('protobuf: truncated bytes');
      value = bytes.slice(o, o + Number(n));
      o += Number(n);
    } else throw new Error(`protobuf: wire type ${type}`);
    out.push({ field, type, value });
  }
  return out;
}

// Field schemas of what the page shows (proto/giamsat.proto); types:
// u (uint), i (int64), s (sint64, zigzag), x (fixed point sint64 / 10^6),
// str, bytes, key (32-byte key), ref (Reference), enum:<names>, msg:<schema>.
const REF = { 1: ['origin', 'str'], 2: ['index', 'u'], 3: ['leaf_hash', 'bytes'] };
const PARAMS = { 1: ['feedback_per_day', 'u'], 2: ['open_feedback_per_day', 'u'], 3: ['partial_percent', 'u'] };
const TIER = ['unspecified', 'commune', 'province', 'central', 'hub'];
const ROLE = ['unspecified', 'head', 'deputy', 'officer', 'inspector'];
const DIRECTION = ['unspecified', 'at-least', 'at-most'];
const SEVERITY = ['unspecified', 'low', 'medium', 'high'];
const VERDICT = ['unspecified', 'confirms', 'contests'];
export const BODIES = {
  10: ['charter', { 1: ['unit', 'str'], 2: ['tier', TIER], 3: ['display_name', 'str'], 4: ['parent_origin', 'str'],
    5: ['parent_log_key', 'key'], 6: ['parameters', PARAMS], 7: ['time_zone', 'str'] }],
  11: ['appointment', { 1: ['person', 'key'], 2: ['name', 'str'], 3: ['role', ROLE], 4: ['title', 'str'], 5: ['decision', 'str'] }],
  12: ['resignation', { 1: ['reason', 'str'] }],
  13: ['dismissal', { 1: ['person', 'key'], 2: ['reason', 'str'] }],
  14: ['key_rotation', { 1: ['new_key', 'key'] }],
  15: ['commitment', { 1: ['id', 'str'], 2: ['title', 'str'], 3: ['indicator', 'str'], 4: ['unit_of_measure', 'str'],
    5: ['target', 'x'], 6: ['direction', DIRECTION], 7: ['deadline', 'time'], 8: ['parent', REF] }],
  16: ['progress', { 1: ['commitment_id', 'str'], 2: ['value', 'x'], 3: ['note', 'str'], 4: ['evidence_hash', 'bytes'] }],
  17: ['outcome', { 1: ['commitment_id', 'str'], 2: ['value', 'x'], 3: ['evidence_hash', 'bytes'] }],
  18: ['finding', { 1: ['about', REF], 2: ['severity', SEVERITY], 3: ['text', 'str'], 4: ['evidence_hash', 'bytes'], 5: ['verdict', VERDICT] }],
  19: ['feedback', { 1: ['about', REF], 2: ['text', 'str'], 3: ['rating', 'u'] }],
  20: ['response', { 1: ['to', REF], 2: ['text', 'str'] }],
  21: ['observation', { 1: ['origin', 'str'], 2: ['size', 'u'], 3: ['root_hash', 'bytes'], 4: ['time', 'time'] }],
  22: ['evidence', { 1: ['kind', ['unspecified', 'split-view', 'rollback', 'bad-entries', 'rule-violation']], 2: ['origin', 'str'], 11: ['reason', 'str'] }],
  23: ['parameter_change', { 1: ['parameters', PARAMS] }],
  24: ['revision', { 1: ['commitment_id', 'str'], 2: ['has_target', 'bool'], 3: ['target', 'x'], 4: ['deadline', 'time'], 5: ['reason', 'str'] }],
};

function fixedPoint(v) {
  const neg = v < 0n;
  const a = neg ? -v : v;
  const int = a / 1000000n;
  let frac = (a % 1000000n).toString().padStart(6, '0').replace(/0+$/, '');
  return (neg ? '-' : '') + int.toString() + (frac ? '.' + frac : '');
}

function decodeWith(schema, bytes) {
  const out = {};
  for (const f of readFields(bytes)) {
    const d = schema[f.field];
    if (!d) continue; // unknown fields: the signature still covers them
    const [name, type] = d;
    const want = typeof type === 'object' && !Array.isArray(type) ? 2 : ['str', 'bytes', 'key'].includes(type) ? 2 : 0;
    if (f.type !== want) throw new Error(`protobuf: field ${name} has wire type ${f.type}`);
    let v;
    if (type === 'str') v = fromUtf8(f.value);
    else if (type === 'bytes') v = toBase64(f.value);
    else if (type === 'key') {
      if (f.value.length !== 32) throw new Error(`protobuf: ${name} is not a 32-byte key`);
      v = toBase64(f.value);
    } else if (type === 'u') v = f.value.toString();
    else if (type === 'bool') v = f.value !== 0n;
    else if (type === 'time') v = new Date(Number(BigInt.asIntN(64, f.value)) * 1000).toISOString();
    else if (type === 'x') v = fixedPoint((f.value >> 1n) ^ -(f.value & 1n));
    else if (Array.isArray(type)) v = type[Number(f.value)] || String(f.value);
    else v = decodeWith(type, f.value);
    out[name] = v;
  }
  return out;
}

// SignedStatement -> {statementBytes, signature}.
export function decodeSignedStatement(entry) {
  let statementBytes = null;
  let signature = null;
  for (const f of readFields(entry)) {
    if (f.field === 1 && f.type === 2) statementBytes = f.value;
    else if (f.field === 2 && f.type === 2) signature = f.value;
  }
  if (!statementBytes) throw new Error('the entry holds no statement');
  if (!signature || signature.length !== 64) throw new Error('the entry holds no 64-byte signature');
  return { statementBytes, signature };
}

// Statement -> {signer (bytes), seq, issued_at (unix seconds), origin, kind, body}.
export function decodeStatement(bytes) {
  const st = { signer: null, seq: '0', issuedAt: 0, origin: '', kind: null, body: {} };
  for (const f of readFields(bytes)) {
    if (f.field === 1 && f.type === 2) st.signer = f.value;
    else if (f.field === 2 && f.type === 0) st.seq = f.value.toString();
    else if (f.field === 3 && f.type === 0) st.issuedAt = Number(BigInt.asIntN(64, f.value));
    else if (f.field === 4 && f.type === 2) st.origin = fromUtf8(f.value);
    else if (BODIES[f.field] && f.type === 2) {
      st.kind = BODIES[f.field][0];
      st.body = decodeWith(BODIES[f.field][1], f.value);
    }
  }
  if (!st.signer || st.signer.length !== 32) throw new Error('the statement has no 32-byte signer key');
  return st;
}

export const STATEMENT_CONTEXT = 'giamsat/statement/v1\n';

// ---------------------------------------------------------------- the whole check

// Verifies entry `index` of the log `origin` served under base (a URL
// prefix ending in "/", e.g. "/giamsat/commune/x/"), against the policy
// text. fetchText/fetchBytes(url) resolve or throw. step(id, ok, detail) is
// called as each check ends (ok: true, false, or null for information).
// Resolves to {verified, reason, kind, witnesses, of, statement, steps}.
// A tile the checkpoint needs can be gone when the log moved on between the
// two fetches (a partial tile replaced by a wider one): then the whole check
// runs again from a fresh checkpoint, at most twice more; step("restart")
// tells the caller to forget the steps shown.
export async function verifyStatement(args) {
  let res;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (attempt > 0) (args.step || (() => {}))('restart', null, { attempt });
    res = await verifyOnce(args);
    const retry = res.problems.length === 1 && res.problems[0].kind === 'fetch' && res.checkpoint && res.checkpoint.size !== null;
    if (!retry) break;
  }
  return res;
}

async function verifyOnce({ origin, index, base, policyText, fetchText, fetchBytes, step = () => {} }) {
  const steps = [];
  const note = (id, ok, detail) => {
    steps.push({ id, ok, detail });
    step(id, ok, detail);
  };
  const res = { verified: false, reason: null, kind: null, witnesses: 0, of: 0, statement: null, steps, checkpoint: null };
  const problems = [];
  const problem = (kind, msg) => {
    problems.push({ kind, msg });
    if (!res.kind) res.kind = kind;
  };
  try {
    // The trust policy.
    let policy;
    try {
      policy = await parsePolicy(policyText);
    } catch (e) {
      fail('policy', `the trust policy does not parse: ${e.message}`);
    }
    res.of = policy.witnesses.length;
    note('policy', true, { logs: policy.logs.length, witnesses: policy.witnesses.length, quorum: policy.quorum });

    // 1. The checkpoint: log signature, cosignatures, quorum.
    let cpText;
    try {
      cpText = await fetchText(base + 'checkpoint');
    } catch (e) {
      fail('fetch', `the checkpoint could not be fetched: ${e.message}`);
    }
    const cp = await checkCheckpoint(policy, cpText, origin);
    res.checkpoint = cp;
    res.witnesses = cp.count;
    if (cp.error) fail(cp.error.includes('lists no log') ? 'policy' : 'checkpoint', cp.error);
    note('checkpoint', true, { size: cp.size, root: toBase64(cp.root) });
    note('log-signature', cp.logSigned, { key: cp.logKey.text });
    if (!cp.logSigned) problem('log-signature', `the checkpoint is not signed by the log key ${cp.logKey.text}`);
    note('cosignatures', cp.quorumMet, { witnesses: cp.witnesses, count: cp.count, of: cp.of, quorum: cp.quorum });
    if (cp.logSigned && !cp.quorumMet)
      problem('quorum', `the quorum "${cp.quorum}" is not met: ${cp.count} of ${cp.of} witnesses of the trust policy cosigned the checkpoint`);
    if (index >= cp.size) fail('entry', `entry ${index} is not in the checkpoint (size ${cp.size})`);

    // 2. The entry and its leaf hash.
    const tiles = new TileReader(async (p) => fetchBytes(base + p), cp.size);
    let got;
    try {
      got = await tiles.entry(index);
    } catch (e) {
      if (e instanceof VerifyError) throw e;
      fail('entry', `the entry bundle could not be read: ${e.message}`);
    }
    const leaf = await leafHash(got.entry);
    note('entry', true, { path: got.path, bytes: got.entry.length, leaf_hash: toBase64(leaf) });

    // 3. Inclusion: the proof from hash tiles, the root it leads to.
    let proof;
    try {
      proof = await tiles.inclusionProof(index);
    } catch (e) {
      if (e instanceof VerifyError) throw e;
      fail('inclusion', `the hash tiles could not be read: ${e.message}`);
    }
    const root = await rootFromInclusion(index, cp.size, leaf, proof);
    const included = root !== null && equal(root, cp.root);
    note('inclusion', included, { proof: proof.length, tiles: tiles.fetched.filter((p) => !p.includes('entries')),
      root: root ? toBase64(root) : null });
    if (!included)
      problem('inclusion', `the entry's inclusion proof leads to root ${root ? toBase64(root) : '(none)'}, not the checkpoint's ${toBase64(cp.root)}`);

    // 4. The statement and its signature.
    let st;
    try {
      const ss = decodeSignedStatement(got.entry);
      st = decodeStatement(ss.statementBytes);
      st.signature = ss.signature;
      st.statementBytes = ss.statementBytes;
    } catch (e) {
      problem('statement', `the entry is not a statement: ${e.message}`);
      note('statement', false, { error: e.message });
    }
    if (st) {
      res.statement = st;
      note('statement', st.origin === origin, { kind: st.kind, origin: st.origin, signer: toBase64(st.signer) });
      if (st.origin !== origin) problem('statement', `the statement is addressed to ${st.origin}, not ${origin}`);
      const sigOk = await ed25519Verify(st.signer, st.signature, concat(utf8(STATEMENT_CONTEXT), st.statementBytes));
      note('signature', sigOk, { signer: toBase64(st.signer) });
      if (!sigOk) problem('signature', "the statement's signature does not verify with its signer's key");
    }
  } catch (e) {
    if (!(e instanceof VerifyError)) throw e;
    problem(e.kind, e.message);
    note(e.kind, false, { error: e.message });
  }
  res.verified = problems.length === 0;
  res.problems = problems;
  res.reason = problems.map((p) => p.msg).join('; ') || null;
  return res;
}
