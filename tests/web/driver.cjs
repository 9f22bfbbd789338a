// Drives Debian's Chromium for the browser tests (tests/src/browser.rs) through Playwright's
// library (playwright-core, which `scripts/services` installs; no browser download). It reads
// one JSON command per line on stdin and answers each with one JSON line on stdout:
// {"ok": value} or {"error": "..."}. Each named page has a browser context of its own, so
// pages share no storage. Console errors, page errors and CSP violations are collected per page.

const readline = require("node:readline");
const { chromium } = require(process.env.NOTIFY_PLAYWRIGHT);

const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

let browser;
const pages = new Map(); // name → { page, problems }

async function open({ name, url, width = 1100, height = 800 }) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  await page.goto(url);
  pages.set(name, { page, problems });
  return true;
}

function page(name) {
  const entry = pages.get(name);
  if (!entry) throw new Error(`no page ${name}`);
  return entry.page;
}

const commands = {
  open,
  // Evaluates `expression` (a function body) in the page and returns its result.
  eval: ({ name, expression, arg }) => page(name).evaluate(new Function("arg", expression), arg),
  // Waits until `expression` (a function body) returns something truthy; returns it.
  wait: async ({ name, expression, arg, timeout = 10000 }) =>
    (await page(name).waitForFunction(new Function("arg", expression), arg, { timeout })).jsonValue(),
  fill: ({ name, selector, text }) => page(name).fill(selector, text),
  click: ({ name, selector }) => page(name).click(selector),
  press: ({ name, key }) => page(name).keyboard.press(key),
  resize: ({ name, width, height }) => page(name).setViewportSize({ width, height }),
  screenshot: ({ name, path }) => page(name).screenshot({ path, fullPage: false }).then(() => path),
  problems: ({ name }) => pages.get(name).problems,
};

async function main() {
  browser = await chromium.launch({ executablePath: process.env.NOTIFY_CHROMIUM || "/usr/bin/chromium", args: ARGS });
  process.stdout.write(`${JSON.stringify({ ok: "ready" })}\n`);
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const command = JSON.parse(line);
    let answer;
    try {
      const run = commands[command.op];
      if (!run) throw new Error(`unknown op ${command.op}`);
      const value = await run(command);
      answer = { ok: value === undefined ? null : value };
    } catch (error) {
      answer = { error: String(error.message || error) };
    }
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  }
  await browser.close();
}

main().catch((error) => {
  process.stdout.write(`${JSON.stringify({ error: String(error.message || error) })}\n`);
  process.exit(1);
});
