// launch.js — the headless Chromium both browser checks drive.
//
// $CHROMIUM or Debian's /usr/bin/chromium; no sandbox as root (containers).
// Every context's actions (a screenshot of a long page, a click) wait 120 s,
// as the checks' verdict waits do, not Playwright's default 30 s: the suite
// also runs with every core busy (it_cpu_hog), and a slow step is no failure.
'use strict';
const { chromium } = require('playwright-core');

const ACTION_TIMEOUT = 120000;

async function launch() {
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  const args = ['--disable-gpu', '--disable-dev-shm-usage'];
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
  const browser = await chromium.launch({ executablePath, args, headless: true });
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options) => {
    const ctx = await newContext(options);
    ctx.setDefaultTimeout(ACTION_TIMEOUT);
    return ctx;
  };
  return browser;
}

module.exports = { launch };
