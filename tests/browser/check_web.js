#!/usr/bin/env node
// check_web.js — the hub's web view in headless Chromium (tests/it_web.sh).
//
//   node check_web.js full BASE ORIGIN INDEX WITNESSES OF OUT_DIR OTHER_POLICY_FILE COMMITMENT_INDEX
//   node check_web.js tampered BASE ORIGIN INDEX OUT_DIR REASON
//
// full: the pages render from the hub's data (units by tier with the unit,
//   people, the unit, the commitment, the trust page), in Vietnamese and in
//   English, with no request leaving BASE and no page error;
//   #/statement/ORIGIN/INDEX says verified by WITNESSES of OF witnesses
//   (#verdict data-verdict, data-witnesses, data-of, and the words);
//   the same page with the entry bundle altered by one byte on its way
//   (a Playwright route) says NOT verified, reason inclusion;
//   with OTHER_POLICY_FILE pasted on the trust page (a policy whose witness
//   never cosigned), NOT verified, reason quorum; back to the hub's policy,
//   verified again.
// tampered: the statement page of a hub whose stored entry was altered says
//   NOT verified with REASON.
// Screenshots go to OUT_DIR. Exit 1 with a message on any failure.
'use strict';

const fs = require('fs');
const path = require('path');
const { launch } = require('./launch');

const failures = [];
function fail(msg) {
  failures.push(msg);
  console.error('FAIL: ' + msg);
}
function ok(msg) {
  console.log('ok   ' + msg);
}

const VERDICT_TIMEOUT = 120000;

// A context that lets nothing leave BASE, and records page errors.
async function context(browser, base, watch) {
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  await ctx.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith(base) || u.startsWith('data:') || u.startsWith('about:')) return route.fallback();
    watch.outside.push(u);
    return route.abort();
  });
  return ctx;
}
function watchPage(page, watch) {
  page.on('pageerror', (e) => watch.errors.push(String(e)));
  // A refusal by the page's Content-Security-Policy is an error of the page
  // (something it tried to load or run that is not the hub's own).
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) watch.errors.push(m.text());
  });
  page.on('dialog', (d) => {
    watch.errors.push('a dialog opened: ' + d.message());
    d.dismiss().catch(() => {});
  });
  return page;
}

// Opens the statement page and waits for the verdict element to settle.
async function verdictOf(page, base, origin, index, lang) {
  await page.goto(`${base}/web/?lang=${lang}#/statement/${origin}/${index}`, { waitUntil: 'load' });
  await page.waitForSelector('#verdict[data-verdict="verified"], #verdict[data-verdict="not-verified"]', { timeout: VERDICT_TIMEOUT });
  return page.$eval('#verdict', (v) => ({ verdict: v.dataset.verdict, witnesses: Number(v.dataset.witnesses),
    of: Number(v.dataset.of), reason: v.dataset.reason || null, text: v.innerText.trim(),
    steps: [...document.querySelectorAll('#steps > li')].map((li) => ({ step: li.dataset.step, ok: li.dataset.ok })) }));
}

async function waitReady(page) {
  await page.waitForSelector('#main[data-ready="true"]', { timeout: VERDICT_TIMEOUT });
}

async function full(base, origin, index, witnesses, of, out, otherPolicy, commitmentIndex) {
  const browser = await launch();
  const watch = { outside: [], errors: [] };
  try {
    const ctx = await context(browser, base, watch);
    const page = watchPage(await ctx.newPage(), watch);

    // / redirects to /web/.
    const r = await page.goto(base + '/', { waitUntil: 'load' });
    if (!page.url().startsWith(base + '/web/')) fail(`/ did not lead to /web/ (at ${page.url()}, HTTP ${r && r.status()})`);
    await waitReady(page);
    const lang = await page.evaluate(() => document.documentElement.lang);
    if (lang !== 'vi') fail(`the default language is "${lang}", not vi`);
    const unitRow = await page.$(`tr[data-unit="${origin}"]`);
    if (!unitRow) fail(`the home page does not list the unit ${origin}`);
    const tier = await page.$eval(`tr[data-unit="${origin}"]`, (tr) => tr.closest('table').dataset.tier).catch(() => null);
    if (tier !== 'commune') fail(`the unit is listed under the tier "${tier}", not commune`);
    const headings = await page.$$eval('h1,h2', (hs) => hs.map((h) => h.innerText));
    if (!headings.some((h) => h.includes('Xã'))) fail(`no Vietnamese tier heading: ${headings.join(' | ')}`);
    if (!(await page.$(`#logs tr[data-log="${origin}"][data-status="verified"]`)))
      fail(`the home page does not list the log ${origin} as verified by the hub's audit`);
    await page.screenshot({ path: path.join(out, 'home-vi.png'), fullPage: true });
    ok('home: the unit under its tier, in Vietnamese');

    // The toggle: English.
    await page.click('#lang-toggle');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    await waitReady(page);
    const enHeadings = await page.$$eval('h1,h2', (hs) => hs.map((h) => h.innerText));
    if (!enHeadings.some((h) => h.includes('Commune'))) fail(`no English tier heading after the toggle: ${enHeadings.join(' | ')}`);
    await page.click('#lang-toggle');
    await page.waitForFunction(() => document.documentElement.lang === 'vi');
    ok('the language toggle');

    // People, the unit, the commitment, a person's scorecard.
    await page.goto(`${base}/web/?lang=en#/people`, { waitUntil: 'load' });
    await waitReady(page);
    const people = await page.$$eval('#people tbody tr', (trs) => trs.length);
    if (people < 1) fail('the people page lists nobody');
    await page.screenshot({ path: path.join(out, 'people-en.png'), fullPage: true });
    const personHref = await page.$eval('#people tbody tr a', (a) => a.getAttribute('href'));
    await page.goto(`${base}/web/?lang=en${personHref}`, { waitUntil: 'load' });
    await waitReady(page);
    if (!(await page.$('#scorecard'))) fail(`the person page ${personHref} has no scorecard`);
    await page.screenshot({ path: path.join(out, 'person-en.png'), fullPage: true });
    ok(`people and a scorecard (${personHref})`);

    await page.goto(`${base}/web/?lang=en#/unit/${origin}`, { waitUntil: 'load' });
    await waitReady(page);
    const commitments = await page.$$eval('[data-commitment]', (trs) => trs.map((tr) => tr.dataset.commitment));
    if (!commitments.includes(`${origin}/${commitmentIndex}`)) fail(`the unit page does not list the commitment ${commitmentIndex}: ${commitments}`);
    const evLinks = await page.$$eval('.events a[href*="#/statement/"]', (as) => as.length);
    if (evLinks < 1) fail('the unit page lists no statement to verify');
    await page.screenshot({ path: path.join(out, 'unit-en.png'), fullPage: true });
    ok(`the unit: ${commitments.length} commitment(s), ${evLinks} statement link(s)`);

    await page.goto(`${base}/web/?lang=vi#/commitment/${origin}/${commitmentIndex}`, { waitUntil: 'load' });
    await waitReady(page);
    const status = await page.$eval('h1 + p .status', (s) => s.dataset.status).catch(() => null);
    if (!status) fail('the commitment page shows no status');
    await page.screenshot({ path: path.join(out, 'commitment-vi.png'), fullPage: true });
    ok(`the commitment: status ${status}`);

    // The statement, verified.
    let v = await verdictOf(page, base, origin, index, 'vi');
    if (v.verdict !== 'verified') fail(`the statement is not verified: ${v.text}`);
    if (v.witnesses !== witnesses || v.of !== of) fail(`verified by ${v.witnesses} of ${v.of}, expected ${witnesses} of ${of}`);
    if (!v.text.includes(`Đã xác minh bởi ${witnesses}/${of} nhân chứng`)) fail(`the Vietnamese verdict reads "${v.text}"`);
    for (const s of ['checkpoint', 'log-signature', 'cosignatures', 'entry', 'inclusion', 'statement', 'signature'])
      if (!v.steps.some((x) => x.step === s && x.ok === 'true')) fail(`the step ${s} is not shown as passed: ${JSON.stringify(v.steps)}`);
    await page.screenshot({ path: path.join(out, 'statement-verified-vi.png'), fullPage: true });
    v = await verdictOf(page, base, origin, index, 'en');
    if (!v.text.includes(`Verified by ${witnesses} of ${of} witnesses`)) fail(`the English verdict reads "${v.text}"`);
    await page.screenshot({ path: path.join(out, 'statement-verified-en.png'), fullPage: true });
    ok(`the statement is verified by ${v.witnesses} of ${v.of} witnesses`);

    // On a phone: the verdict without sideways scrolling.
    const mctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await mctx.route('**/*', (route) => {
      const u = route.request().url();
      if (u.startsWith(base) || u.startsWith('data:') || u.startsWith('about:')) return route.fallback();
      watch.outside.push(u);
      return route.abort();
    });
    const mpage = watchPage(await mctx.newPage(), watch);
    v = await verdictOf(mpage, base, origin, index, 'vi');
    if (v.verdict !== 'verified') fail(`on a phone the statement is ${v.verdict}`);
    const overflow = await mpage.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 1) fail(`the statement page is ${overflow}px wider than a phone screen`);
    await mpage.screenshot({ path: path.join(out, 'statement-verified-vi-mobile.png'), fullPage: true });
    await mctx.close();
    ok('on a phone: verified, no sideways scrolling');

    // The entry bundle altered by one byte on its way.
    const tctx = await context(browser, base, watch);
    let altered = 0;
    await tctx.route(/\/tile\/entries\//, async (route) => {
      const resp = await route.fetch();
      const body = Buffer.from(await resp.body());
      // One byte in the middle of the entry checked (bundles hold 256
      // entries, each after its big-endian uint16 length).
      let o = 0;
      for (let i = 0; i < index % 256 && o + 2 <= body.length; i++) o += 2 + body.readUInt16BE(o);
      if (o + 2 <= body.length) {
        const n = body.readUInt16BE(o);
        body[o + 2 + Math.floor(n / 2)] ^= 0x01;
        altered++;
      }
      return route.fulfill({ response: resp, body });
    });
    const tpage = watchPage(await tctx.newPage(), watch);
    v = await verdictOf(tpage, base, origin, index, 'en');
    if (altered === 0) fail('the entry bundle was never fetched');
    if (v.verdict !== 'not-verified') fail(`an altered entry bundle is ${v.verdict}: ${v.text}`);
    if (v.reason !== 'inclusion' || !v.text.includes('NOT verified') || !v.text.includes('inclusion'))
      fail(`an altered entry: the reason is "${v.reason}": ${v.text}`);
    await tpage.screenshot({ path: path.join(out, 'statement-tampered-route-en.png'), fullPage: true });
    ok(`an entry bundle altered on its way: ${v.text.split('\n')[0]}`);
    await tctx.close();

    // A policy the hub is no witness of, pasted on the trust page.
    await page.goto(`${base}/web/?lang=en#/trust`, { waitUntil: 'load' });
    await waitReady(page);
    const source = await page.$eval('#policy-source', (p) => p.dataset.source);
    if (source !== 'hub') fail(`the trust page starts from "${source}", not the hub's policy`);
    await page.screenshot({ path: path.join(out, 'trust-en.png'), fullPage: true });
    await page.fill('#policy-text', 'this is not a policy\n');
    await page.click('#policy-save');
    await page.waitForSelector('#policy-status.alert');
    ok('a malformed policy is refused on the trust page');
    await page.fill('#policy-text', fs.readFileSync(otherPolicy, 'utf8'));
    await page.click('#policy-save');
    await page.waitForSelector('#policy-source[data-source="local"]');
    v = await verdictOf(page, base, origin, index, 'en');
    if (v.verdict !== 'not-verified' || v.reason !== 'quorum') fail(`with a policy the hub is no witness of: ${v.verdict}, ${v.reason}: ${v.text}`);
    if (v.witnesses !== 0) fail(`with the other policy, ${v.witnesses} witnesses counted`);
    await page.screenshot({ path: path.join(out, 'statement-quorum-en.png'), fullPage: true });
    ok(`a policy without the hub as witness: ${v.text.split('\n')[0]}`);
    await page.goto(`${base}/web/?lang=vi#/trust`, { waitUntil: 'load' });
    await waitReady(page);
    await page.click('#policy-reset');
    await page.waitForSelector('#policy-source[data-source="hub"]');
    v = await verdictOf(page, base, origin, index, 'vi');
    if (v.verdict !== 'verified') fail(`back on the hub's policy the statement is ${v.verdict}`);
    ok("back to the hub's policy: verified again");
  } finally {
    await browser.close();
  }
  if (watch.outside.length) fail('requests left the hub: ' + [...new Set(watch.outside)].join(', '));
  if (watch.errors.length) fail('page errors: ' + watch.errors.join('; '));
}

async function tampered(base, origin, index, out, reason) {
  const browser = await launch();
  const watch = { outside: [], errors: [] };
  try {
    const ctx = await context(browser, base, watch);
    const page = watchPage(await ctx.newPage(), watch);
    for (const lang of ['en', 'vi']) {
      const v = await verdictOf(page, base, origin, index, lang);
      if (v.verdict !== 'not-verified') fail(`a hub serving an altered entry: ${v.verdict}: ${v.text}`);
      if (v.reason !== reason) fail(`a hub serving an altered entry: the reason is "${v.reason}", not ${reason}: ${v.text}`);
      const words = lang === 'en' ? 'NOT verified' : 'KHÔNG xác minh được';
      if (!v.text.includes(words)) fail(`the ${lang} verdict reads "${v.text}"`);
      await page.screenshot({ path: path.join(out, `statement-tampered-hub-${lang}.png`), fullPage: true });
      ok(`a hub serving an altered entry (${lang}): ${v.text.split('\n')[0]}`);
    }
  } finally {
    await browser.close();
  }
  if (watch.outside.length) fail('requests left the hub: ' + [...new Set(watch.outside)].join(', '));
  if (watch.errors.length) fail('page errors: ' + watch.errors.join('; '));
}

async function main() {
  const [mode, ...a] = process.argv.slice(2);
  if (mode === 'full' && a.length === 8) {
    fs.mkdirSync(a[5], { recursive: true });
    await full(a[0], a[1], Number(a[2]), Number(a[3]), Number(a[4]), a[5], a[6], a[7]);
  } else if (mode === 'tampered' && a.length === 5) {
    fs.mkdirSync(a[3], { recursive: true });
    await tampered(a[0], a[1], Number(a[2]), a[3], a[4]);
  } else {
    console.error('usage: check_web.js full BASE ORIGIN INDEX WITNESSES OF OUT_DIR OTHER_POLICY COMMITMENT_INDEX\n' +
      '       check_web.js tampered BASE ORIGIN INDEX OUT_DIR REASON');
    process.exit(2);
  }
  if (failures.length) {
    console.error(`check_web: ${failures.length} failure(s)`);
    process.exit(1);
  }
  console.log(`check_web: ${mode} ok`);
}

main().catch((e) => {
  console.error('check_web: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
