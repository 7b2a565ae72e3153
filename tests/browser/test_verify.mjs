// test_verify.mjs — the pure functions of web/verify.js in Node (WebCrypto
// is the same API there), against published vectors and keys made here:
//   RFC 6962 roots, subtree hashes and inclusion proofs (tests/vectors), the
//   same trees read back through hash tiles, and larger trees (two tile
//   levels, partial tiles) against a direct computation; RFC 8032 Ed25519;
//   the C2SP signed-note example and cosignature/v1 timestamps; tlog-policy
//   parsing (the spec's example with groups) and quorum evaluation; the
//   tile path encoding; the protobuf reader on a hand-encoded statement.
//
//   node test_verify.mjs VECTORS_DIR        (exit 1 on the first failure)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';

const here = path.dirname(fileURLToPath(import.meta.url));
const V = await import(path.join(here, '../../web/verify.js'));
const vectors = process.argv[2] || path.join(here, '../vectors');

let checks = 0;
function ok(cond, what) {
  checks++;
  if (!cond) {
    console.error('FAIL: ' + what);
    process.exit(1);
  }
}
async function throwsAsync(f, what) {
  try {
    await f();
  } catch (e) {
    ok(true, what);
    return e;
  }
  ok(false, what + ' (did not throw)');
}
const read = (f) => fs.readFileSync(path.join(vectors, f), 'utf8');
// The vector files' layout: key: value lines, '---', then the note.
function noteVector(f) {
  const t = read(f);
  const i = t.indexOf('\n---\n');
  const head = {};
  for (const l of t.slice(0, i).split('\n')) {
    const m = /^([a-z_]+): (.*)$/.exec(l);
    if (m) head[m[1]] = m[2];
  }
  return { head, note: t.slice(i + 5) };
}

// ---------------------------------------------------------------- RFC 6962

const leaves = [];
const roots = {};
const nodes = {};
const proofs = [];
for (const l of read('rfc6962-roots.txt').split('\n')) {
  const f = l.split(' ');
  if (f[0] === 'leaf') leaves[Number(f[1])] = V.fromHex(f[2]);
  if (f[0] === 'root') roots[Number(f[1])] = f[2];
  if (f[0] === 'node') nodes[`${f[1]}/${f[2]}`] = f[3];
}
for (const l of read('rfc6962-proofs.txt').split('\n')) {
  const f = l.split(' ');
  if (f[0] === 'inclusion') proofs.push({ index: Number(f[1]), size: Number(f[2]), hashes: f.slice(3) });
}
ok(leaves.length === 8 && Object.keys(roots).length >= 8 && proofs.length >= 5, 'the RFC 6962 vectors read');

// A tile server over a list of entries: hash tiles at every level, partial
// tiles for the last ones, entry bundles; the way common/tiles serves them.
async function tileServer(entries) {
  const files = new Map();
  let level = await Promise.all(entries.map((e) => V.leafHash(e)));
  for (let L = 0; level.length > 0; L++) {
    for (let t = 0; t * 256 < level.length; t++) {
      const w = Math.min(256, level.length - t * 256);
      files.set(V.tilePath(L, t, w), V.concat(...level.slice(t * 256, t * 256 + w)));
    }
    // Up eight levels: only complete subtrees.
    for (let i = 0; i < 8; i++) {
      const up = [];
      for (let j = 0; j + 1 < level.length; j += 2) up.push(await V.nodeHash(level[j], level[j + 1]));
      level = up;
    }
  }
  for (let t = 0; t * 256 < entries.length; t++) {
    const w = Math.min(256, entries.length - t * 256);
    const parts = [];
    for (const e of entries.slice(t * 256, t * 256 + w)) parts.push(Uint8Array.of(e.length >> 8, e.length & 255), e);
    files.set(V.tilePath('entries', t, w), V.concat(...parts));
  }
  return files;
}
// MTH straight from RFC 6962 §2.1.
async function mth(hs) {
  if (hs.length === 0) return V.sha256(new Uint8Array(0));
  if (hs.length === 1) return hs[0];
  let k = 1;
  while (k * 2 < hs.length) k *= 2;
  return V.nodeHash(await mth(hs.slice(0, k)), await mth(hs.slice(k)));
}

{
  const lh = await Promise.all(leaves.map((e) => V.leafHash(e)));
  for (let n = 0; n <= 8; n++) {
    const r = V.hex(await mth(lh.slice(0, n)));
    ok(r === roots[n], `MTH of ${n} reference leaves`);
  }
  for (const [k, h] of Object.entries(nodes)) {
    const [lv, ix] = k.split('/').map(Number);
    ok(V.hex(await mth(lh.slice(ix << lv, (ix + 1) << lv))) === h, `subtree ${k}`);
  }
  for (let n = 1; n <= 8; n++) {
    const files = await tileServer(leaves.slice(0, n));
    const tr = new V.TileReader(async (p) => {
      if (!files.has(p)) throw new Error('404 ' + p);
      return files.get(p);
    }, n);
    ok(V.hex(await tr.root()) === roots[n], `root of size ${n} from tiles`);
    for (let i = 0; i < n; i++) {
      const { entry } = await tr.entry(i);
      ok(V.equal(entry, leaves[i]), `entry ${i} of ${n} from its bundle`);
      const proof = await tr.inclusionProof(i);
      const r = await V.rootFromInclusion(i, n, lh[i], proof);
      ok(r && V.hex(r) === roots[n], `inclusion of ${i} in ${n} leads to the root`);
      const vec = proofs.find((p) => p.index === i && p.size === n);
      if (vec) ok(JSON.stringify(proof.map(V.hex)) === JSON.stringify(vec.hashes), `inclusion ${i} ${n} equals the vector`);
      // A changed leaf or a wrong index does not.
      const bad = await V.rootFromInclusion(i, n, await V.leafHash(V.utf8('x')), proof);
      ok(!bad || V.hex(bad) !== roots[n], `a changed leaf ${i}/${n} misses the root`);
    }
  }
  for (const p of proofs) {
    const r = await V.rootFromInclusion(p.index, p.size, lh[p.index], p.hashes.map(V.fromHex));
    ok(r && V.hex(r) === roots[p.size], `the vector proof ${p.index} ${p.size} verifies`);
    if (p.hashes.length > 0) {
      const short = await V.rootFromInclusion(p.index, p.size, lh[p.index], p.hashes.slice(1).map(V.fromHex));
      ok(!short || V.hex(short) !== roots[p.size], `a shortened proof ${p.index} ${p.size} fails`);
    }
  }
}

// Larger trees: partial tiles, two tile levels (level-1 tiles hold the
// hashes of complete 256-leaf subtrees: 3 of them at 1000 leaves, 19 at 5000).
for (const n of [255, 256, 257, 1000, 5000]) {
  const entries = [];
  for (let i = 0; i < n; i++) entries.push(V.utf8(`entry ${i}`));
  const files = await tileServer(entries);
  const tr = new V.TileReader(async (p) => {
    if (!files.has(p)) throw new Error('404 ' + p);
    return files.get(p);
  }, n);
  const lh = await Promise.all(entries.map((e) => V.leafHash(e)));
  const want = await mth(lh);
  ok(V.equal(await tr.root(), want), `root of ${n} leaves from tiles`);
  for (const i of [0, 1, 254, 255, 256, n - 2, n - 1].filter((i) => i >= 0 && i < n)) {
    const { entry } = await tr.entry(i);
    ok(V.equal(entry, entries[i]), `entry ${i} of ${n}`);
    const r = await V.rootFromInclusion(i, n, lh[i], await tr.inclusionProof(i));
    ok(r && V.equal(r, want), `inclusion of ${i} in ${n} from tiles`);
  }
}

// A server that dropped its partial tiles once they filled up: the reader
// takes the full tile's first W items. And the whole check against a
// stand-in log whose partial tiles vanish after the checkpoint was read
// (the log moved on): it starts again from the new checkpoint.
{
  const entries = [];
  for (let i = 0; i < 300; i++) entries.push(V.utf8(`entry ${i}`));
  const files = await tileServer(entries);
  const tr = new V.TileReader(async (p) => {
    if (p.includes('.p/')) throw new Error('404 ' + p);
    if (!files.has(p)) throw new Error('404 ' + p);
    return files.get(p);
  }, 200);
  const lh = await Promise.all(entries.slice(0, 200).map((e) => V.leafHash(e)));
  ok(V.equal(await tr.root(), await mth(lh)), 'the root of 200 from the full tile when the partial one is gone');
  ok(V.equal((await tr.entry(150)).entry, entries[150]), 'entry 150 from the full bundle when the partial one is gone');
}

// ---------------------------------------------------------------- tile paths

ok(V.encodeTileIndex(0) === '000', 'tile index 0');
ok(V.encodeTileIndex(1234067) === 'x001/x234/067', 'tile index 1234067 (the spec example)');
ok(V.encodeTileIndex(1000) === 'x001/000', 'tile index 1000');
ok(V.tilePath(0, 1234067, 8) === 'tile/0/x001/x234/067.p/8', 'a partial hash tile path');
ok(V.tilePath('entries', 5) === 'tile/entries/005', 'a full entry bundle path');
await throwsAsync(() => V.tilePath(0, 1, 0), 'a zero-width tile is refused');
await throwsAsync(() => V.parseEntryBundle(Uint8Array.of(0, 5, 1)), 'a truncated bundle is refused');

// ---------------------------------------------------------------- Ed25519

for (const l of read('rfc8032-ed25519.txt').split('\n')) {
  if (!l || l.startsWith('#')) continue;
  const [name, , pub, msg, sig] = l.split(' ');
  ok(await V.ed25519Verify(V.fromHex(pub), V.fromHex(sig), V.fromHex(msg)), `RFC 8032 ${name}`);
  const bad = V.fromHex(sig);
  bad[10] ^= 1;
  ok(!(await V.ed25519Verify(V.fromHex(pub), bad, V.fromHex(msg))), `RFC 8032 ${name} with a flipped bit fails`);
}

// ---------------------------------------------------------------- notes

{
  const { head, note } = noteVector('note_c2sp_example.txt');
  const k = await V.parseVkey(head.vkey);
  ok(k.name === 'example.com/foo' && k.alg === 1, 'the C2SP example verifier key parses');
  const n = V.parseNote(note);
  ok(n.body === 'This is an example message.\n', 'the C2SP example body');
  ok(await V.verifyLogSignature(n, k), 'the C2SP example note verifies');
  const tampered = V.parseNote(note.replace('example message', 'exemplary message'));
  ok(!(await V.verifyLogSignature(tampered, k)), 'a changed body does not verify');
  await throwsAsync(() => V.parseVkey(head.vkey.replace('+530d903a+', '+530d903b+')), 'a wrong key ID is refused');
  await throwsAsync(() => V.parseNote('no signatures\n'), 'a note without signatures is refused');
  await throwsAsync(() => V.parseNote(note.slice(0, -1)), 'a note without its final newline is refused');
}
{
  const { head, note } = noteVector('checkpoint_c2sp_cosigned_example.txt');
  const n = V.parseNote(note);
  const cp = V.parseCheckpoint(n.body);
  ok(cp.origin === head.origin && cp.size === Number(head.size) && V.toBase64(cp.root) === head.root,
    'the C2SP cosigned checkpoint example parses');
  const w = n.sigs.find((s) => s.name === head.witness);
  ok(w && w.sig.length === 72, 'its cosignature line is 4 + 8 + 64 bytes');
  ok(Number(new DataView(w.sig.buffer, w.sig.byteOffset, 8).getBigUint64(0)) === Number(head.time),
    'its cosignature time is the published one');
}
{
  const { head, note } = noteVector('cosignature_v1_timestamp.txt');
  const n = V.parseNote(note);
  const w = n.sigs.find((s) => s.name === 'w');
  ok(Number(new DataView(w.sig.buffer, w.sig.byteOffset, 8).getBigUint64(0)) === Number(head.time),
    'the transparency-dev cosignature/v1 timestamp');
}
await throwsAsync(() => V.parseCheckpoint('o\n01\nAAAA\n'), 'a size with a leading zero is refused');
await throwsAsync(() => V.parseCheckpoint('o\n1\n'), 'a two-line checkpoint is refused');
ok(V.toBase64Url(V.fromBase64Url('_-8')) === '_-8', 'base64url round trip');
await throwsAsync(() => V.fromBase64('QR=='), 'non-canonical base64 is refused');

// ---------------------------------------------------------------- keys made here: checkpoints, policies

function keypair() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(-32));
  return { pub, sign: (msg) => new Uint8Array(nodeSign(null, Buffer.from(msg), privateKey)) };
}
async function vkey(name, alg, pub) {
  return `${name}+${V.hex(await V.keyId(name, alg, pub))}+${V.toBase64(V.concat(Uint8Array.of(alg), pub))}`;
}
async function sigLine(name, alg, pub, sig) {
  return `\u2014 ${name} ${V.toBase64(V.concat(await V.keyId(name, alg, pub), sig))}\n`;
}
async function cosign(kp, name, body, t) {
  const ts = new Uint8Array(8);
  new DataView(ts.buffer).setBigUint64(0, BigInt(t));
  const sig = kp.sign(V.concat(V.utf8(`cosignature/v1\ntime ${t}\n`), V.utf8(body)));
  return sigLine(name, 4, kp.pub, V.concat(ts, sig));
}

{
  const log = keypair();
  const origin = 'giamsat/commune/xa-an-binh';
  const body = `${origin}\n8\n${V.toBase64(V.fromHex(roots[8]))}\n`;
  const ws = {};
  for (const n of ['X1', 'X2', 'X3', 'Y1', 'Y2', 'Y3']) ws[n] = keypair();
  const example = read('tlog-policy-example.txt').split('\n').filter((l) => !l.startsWith('#')).join('\n');
  let i = 0;
  const order = ['log', 'X1', 'X2', 'X3', 'Y1', 'Y2', 'Y3'];
  let text = example;
  for (const who of order) {
    const v = who === 'log' ? await vkey(origin, 1, log.pub) : await vkey(`w/${who}`, 4, ws[who].pub);
    text = text.replace('<vkey>', v);
    i++;
  }
  const policy = await V.parsePolicy(text);
  ok(policy.logs.length === 1 && policy.witnesses.length === 6 && policy.groups.length === 3 && policy.quorum === 'X-and-Y',
    'the tlog-policy example parses');
  const has = (...n) => new Set(n);
  ok(V.quorumMet(policy, has('X1', 'X2', 'Y3')), 'X1 X2 Y3 meet X-and-Y');
  ok(!V.quorumMet(policy, has('X1', 'Y1', 'Y2')), 'X1 Y1 Y2 do not');
  ok(!V.quorumMet(policy, has('X1', 'X2', 'X3')), 'the X witnesses alone do not');

  const logLine = await sigLine(origin, 1, log.pub, log.sign(V.utf8(body)));
  const cos = async (...names) => (await Promise.all(names.map((n) => cosign(ws[n], `w/${n}`, body, 1700000000)))).join('');
  let r = await V.checkCheckpoint(policy, `${body}\n${logLine}${await cos('X1', 'X3', 'Y2')}`, origin);
  ok(r.logSigned && r.quorumMet && r.count === 3 && r.of === 6, `a checkpoint cosigned by X1 X3 Y2: ${JSON.stringify(r.error)}`);
  ok(r.witnesses.find((w) => w.name === 'X1').time === 1700000000, 'the cosignature time is read');
  r = await V.checkCheckpoint(policy, `${body}\n${logLine}${await cos('X1', 'Y2')}`, origin);
  ok(r.logSigned && !r.quorumMet && r.count === 2, 'X1 Y2 alone: below quorum');
  // A cosignature over another body does not count, and is marked bad.
  const other = await cosign(ws.X2, 'w/X2', body.replace('\n8\n', '\n9\n'), 1700000000);
  r = await V.checkCheckpoint(policy, `${body}\n${logLine}${await cos('X1', 'Y2')}${other}`, origin);
  ok(!r.quorumMet && r.witnesses.find((w) => w.name === 'X2').bad, 'a cosignature of another body is bad and does not count');
  // No log signature: never trusted, whatever the cosignatures.
  r = await V.checkCheckpoint(policy, `${body}\n${await cos('X1', 'X2', 'Y1')}`, origin);
  ok(!r.logSigned && !r.quorumMet, 'cosignatures without the log signature are not trusted');
  // Unknown lines are ignored (signed-note).
  r = await V.checkCheckpoint(policy, `${body}\n\u2014 stranger AAAAAAAA\n${logLine}${await cos('X1', 'X2', 'Y1')}`, origin);
  ok(r.quorumMet, 'an unknown signature line is ignored');
  r = await V.checkCheckpoint(policy, `${body}\n${logLine}`, 'giamsat/commune/other');
  ok(r.error && r.error.includes('not giamsat/commune/other'), 'a checkpoint of another origin is refused');

  // A hub's own log: the witness with the log's key counts by the log signature.
  const hub = keypair();
  const hubOrigin = 'giamsat/hub/tinh';
  const hubPolicy = await V.parsePolicy(`log ${await vkey(hubOrigin, 1, hub.pub)}\nwitness tinh ${await vkey(hubOrigin, 4, hub.pub)}\nquorum tinh\n`);
  const hbody = `${hubOrigin}\n3\n${V.toBase64(V.fromHex(roots[3]))}\n`;
  r = await V.checkCheckpoint(hubPolicy, `${hbody}\n${await sigLine(hubOrigin, 1, hub.pub, hub.sign(V.utf8(hbody)))}`, hubOrigin);
  ok(r.logSigned && r.quorumMet && r.count === 1 && r.witnesses[0].self, "a hub's own log is witnessed by the hub itself");
  // The policy refusals.
  for (const [bad, why] of [
    ['quorum none\nquorum none\n', 'two quorum lines'],
    ['log x\nquorum none\n', 'a bad key'],
    [`witness a ${await vkey('w/X1', 4, ws.X1.pub)}\nquorum b\n`, 'an undefined quorum'],
    [`witness a ${await vkey('w/X1', 4, ws.X1.pub)}\ngroup g 2 a\nquorum g\n`, 'a threshold above the members'],
    [`witness a ${await vkey('w/X1', 4, ws.X1.pub)}\n`, 'no quorum'],
    [`log ${await vkey('w/X1', 4, ws.X1.pub)}\nquorum none\n`, 'a cosigner key as a log key'],
    ['frobnicate\nquorum none\n', 'an unknown keyword'],
  ]) await throwsAsync(() => V.parsePolicy(bad), `the policy parser refuses ${why}`);
  ok((await V.parsePolicy('# c\nquorum none # trailing\n')).quorum === 'none', 'comments are ignored');
}

// ---------------------------------------------------------------- protobuf

{
  const varint = (v) => {
    v = BigInt.asUintN(64, BigInt(v));
    const out = [];
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v) b |= 0x80;
      out.push(b);
    } while (v);
    return Uint8Array.from(out);
  };
  const field = (n, type, v) =>
    type === 0 ? V.concat(varint((n << 3) | 0), varint(v)) : V.concat(varint((n << 3) | 2), varint(v.length), v);
  const zz = (v) => (BigInt(v) << 1n) ^ (BigInt(v) < 0n ? -1n : 0n);
  const kp = keypair();
  const body = V.concat(field(1, 2, V.utf8('road')), field(2, 2, V.utf8('Pave the road')), field(5, 0, zz(12500000n)),
    field(6, 0, 1), field(7, 0, 1924905600));
  const st = V.concat(field(1, 2, kp.pub), field(2, 0, 3), field(3, 0, -5), field(4, 2, V.utf8('giamsat/commune/x')),
    field(15, 2, body), field(99, 0, 7));
  const sig = kp.sign(V.concat(V.utf8(V.STATEMENT_CONTEXT), st));
  const entry = V.concat(field(1, 2, st), field(2, 2, sig));
  const ss = V.decodeSignedStatement(entry);
  ok(V.equal(ss.statementBytes, st) && V.equal(ss.signature, sig), 'SignedStatement fields');
  const d = V.decodeStatement(ss.statementBytes);
  ok(d.kind === 'commitment' && d.body.id === 'road' && d.body.target === '12.5' && d.body.direction === 'at-least',
    `the commitment body: ${JSON.stringify(d.body)}`);
  ok(d.body.deadline === '2030-12-31T00:00:00.000Z', 'the deadline');
  ok(d.issuedAt === -5 && d.seq === '3' && d.origin === 'giamsat/commune/x', 'a negative int64, the seq, the origin');
  ok(await V.ed25519Verify(d.signer, ss.signature, V.concat(V.utf8(V.STATEMENT_CONTEXT), ss.statementBytes)),
    "the statement's signature verifies");
  await throwsAsync(() => V.decodeSignedStatement(entry.slice(0, entry.length - 3)), 'a truncated entry is refused');
  await throwsAsync(() => V.readFields(Uint8Array.of(0x08, 0x80)), 'a truncated varint is refused');
}

// ---------------------------------------------------------------- the whole check

{
  const varint = (v) => {
    v = BigInt.asUintN(64, BigInt(v));
    const out = [];
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v) b |= 0x80;
      out.push(b);
    } while (v);
    return Uint8Array.from(out);
  };
  const field = (n, type, v) =>
    type === 0 ? V.concat(varint((n << 3) | 0), varint(v)) : V.concat(varint((n << 3) | 2), varint(v.length), v);
  const origin = 'giamsat/commune/xa-test';
  const log = keypair();
  const hub = keypair();
  const person = keypair();
  const entries = [];
  for (let i = 0; i < 5; i++) {
    const body = field(2, 2, V.utf8(`feedback ${i}`));
    const st = V.concat(field(1, 2, person.pub), field(2, 0, i + 1), field(3, 0, 1900000000), field(4, 2, V.utf8(origin)), field(19, 2, body));
    entries.push(V.concat(field(1, 2, st), field(2, 2, person.sign(V.concat(V.utf8(V.STATEMENT_CONTEXT), st)))));
  }
  const lh = await Promise.all(entries.map((e) => V.leafHash(e)));
  const note = async (n) => {
    const body = `${origin}\n${n}\n${V.toBase64(await mth(lh.slice(0, n)))}\n`;
    return `${body}\n${await sigLine(origin, 1, log.pub, log.sign(V.utf8(body)))}${await cosign(hub, 'giamsat/hub/h', body, 1900000001)}`;
  };
  const policyText = `log ${await vkey(origin, 1, log.pub)}\nwitness h ${await vkey('giamsat/hub/h', 4, hub.pub)}\nquorum h\n`;
  const serve = async (list, n) => {
    const files = await tileServer(list.slice(0, n));
    return async (u) => {
      const p = u.replace(`/${origin}/`, '');
      if (!files.has(p)) throw new Error('HTTP 404');
      return files.get(p);
    };
  };
  const cp5 = await note(5);
  const run = async (o) => V.verifyStatement({ origin, index: 3, base: `/${origin}/`, policyText,
    fetchText: async () => cp5, fetchBytes: await serve(entries, 5), ...o });
  let r = await run({});
  ok(r.verified && r.witnesses === 1 && r.of === 1 && r.statement.kind === 'feedback', `a statement verified by 1 of 1: ${r.reason}`);
  const bad = entries.slice();
  bad[3] = bad[3].slice();
  bad[3][20] ^= 1;
  r = await run({ fetchBytes: await serve(bad, 5) });
  ok(!r.verified && r.kind === 'inclusion' && r.problems.some((p) => p.kind === 'signature'), `an altered entry: ${r.reason}`);
  r = await run({ policyText: policyText.replace('quorum h', `witness other ${await vkey('w/o', 4, keypair().pub)}\nquorum other`) });
  ok(!r.verified && r.kind === 'quorum' && r.witnesses === 1 && r.of === 2, `a quorum the hub is not: ${r.reason}`);
  r = await run({ index: 7 });
  ok(!r.verified && r.kind === 'entry', 'an index beyond the checkpoint');
  // The log moved on from 4 to 5 between the checkpoint and the tiles.
  const cp4 = await note(4);
  let calls = 0;
  let restarts = 0;
  r = await run({ fetchText: async () => (calls++ === 0 ? cp4 : cp5), step: (id) => (restarts += id === 'restart') });
  ok(r.verified && restarts === 1 && calls === 2, `checked again from the new checkpoint: ${r.reason} (${restarts} restarts)`);
  r = await run({ fetchText: async () => cp4 });
  ok(!r.verified && r.kind === 'fetch', 'a tile that never comes: not verified (fetch), after the retries');
}

console.log(`test_verify: ${checks} checks ok`);
