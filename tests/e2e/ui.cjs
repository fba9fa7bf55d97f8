// Drives the real server with headless Chromium: search, filter by version, open a
// result's chunk page, "View in doc context", and check the chunk is highlighted and in
// view. Screenshots at laptop and phone widths go to $ARTIFACTS.
//   node ui.cjs BASE_URL [TOKEN_SERVER_URL] [PDF_SERVER_URL] [ADMIN_SERVER_URL]
const { chromium } = require("playwright-core");
const path = require("path");
const fs = require("fs");

const base = process.argv[2];
const artifacts = process.env.ARTIFACTS || "artifacts";
fs.mkdirSync(artifacts, { recursive: true });
let passed = 0, failed = 0;
function check(name, ok, detail) {
  if (ok) { passed++; console.log(`ok   ${name}`); }
  else { failed++; console.log(`FAIL ${name}${detail ? ": " + detail : ""}`); }
}
async function inViewport(page, selector) {
  return page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) return false;
    const r = el.getBoundingClientRect();
    return r.top < window.innerHeight && r.bottom > 0 && r.height > 0;
  }, selector);
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
  });
  try {
    for (const [label, viewport] of [["laptop", { width: 1366, height: 900 }], ["phone", { width: 390, height: 844 }]]) {
      const context = await browser.newContext({ viewport });
      await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
      const page = await context.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });

      await page.goto(base + "/");
      check(`${label}: header`, (await page.textContent("header")).includes("Multi-vendor documentation library · semantic search · MCP endpoint at /mcp"));
      await page.keyboard.press("/");
      check(`${label}: "/" focuses the search box`, await page.evaluate(() => document.activeElement && document.activeElement.id === "q"));
      await page.keyboard.type("how to enable mixed mode with the CLI");
      await page.keyboard.press("Enter");
      await page.waitForSelector(".result");
      const results = await page.$$(".result");
      check(`${label}: search returns results`, results.length > 0, `${results.length}`);
      check(`${label}: snippets are highlighted`, (await page.$$(".snippet mark")).length > 0);
      // The arrow keys go from the search box into the results and back.
      await page.focus("#q");
      await page.keyboard.press("ArrowDown");
      const firstFocused = await page.evaluate(() => document.activeElement === document.querySelector(".result-link"));
      await page.keyboard.press("ArrowDown");
      const secondFocused = await page.evaluate(() => document.activeElement === document.querySelectorAll(".result-link")[1]);
      await page.keyboard.press("ArrowUp");
      await page.keyboard.press("ArrowUp");
      const backInBox = await page.evaluate(() => document.activeElement && document.activeElement.id === "q");
      check(`${label}: arrow keys move from the search box through the results and back`, firstFocused && secondFocused && backInBox, `${firstFocused} ${secondFocused} ${backInBox}`);
      await page.screenshot({ path: path.join(artifacts, `${label}-search.png`), fullPage: false });

      // Phone: the filters sit above the results, folded; the header is compact.
      if (label === "phone") {
        const folded = await page.$eval("details.filters", (d) => !d.open);
        const above = await page.evaluate(() => document.querySelector("details.filters").getBoundingClientRect().top < document.querySelector(".result").getBoundingClientRect().top);
        check("phone: the filters sit folded above the results", folded && above, `${folded} ${above}`);
        const tagline = await page.$eval(".tagline", (t) => getComputedStyle(t).display);
        check("phone: the header is compact (no tagline)", tagline === "none", tagline);
        await page.click("details.filters > summary");
      } else {
        const shown = await page.$eval("details.filters > summary", (s) => getComputedStyle(s).display);
        check("laptop: the filters are always open beside the results", shown === "none" && (await page.$eval("details.filters", (d) => d.open)), shown);
      }
      // Filter by version through the facet.
      await page.click('.facets a:has-text("v12.5.1su1")');
      await page.waitForSelector(".result");
      const badges = await page.$$eval(".result .badge.version", (els) => els.map((e) => e.textContent.trim()));
      check(`${label}: version filter keeps one release`, badges.length > 0 && badges.every((b) => b.endsWith("v12.5.1su1")), badges.join(","));
      check(`${label}: filter is in the shareable URL`, page.url().includes("version=v12.5.1su1"), page.url());

      // Open the first result's chunk page.
      await page.click(".result-link >> nth=0");
      await page.waitForSelector(".chunk-page");
      const title = (await page.textContent("h1")).trim();
      check(`${label}: chunk page title`, /^Page \S+/.test(title) || title.length > 0, title);
      const dts = await page.$$eval(".fields dt", (els) => els.map((e) => e.textContent.trim()));
      check(`${label}: chunk page fields`, ["page", "source", "chunk_id"].every((f) => dts.includes(f)), dts.join(","));
      const chunkId = (await page.textContent(".chunk-id")).trim();
      // The search came along: its words are marked, a link goes back, copy buttons work.
      check(`${label}: the chunk page marks the query's words`, (await page.$$(".chunk-text mark")).length > 0);
      const back = await page.getAttribute(".back a", "href").catch(() => "");
      check(`${label}: the chunk page links back to the results`, (back || "").startsWith("/?q=") && back.includes("version=v12.5.1su1"), back);
      await page.click('button.copy:has-text("Copy chunk id")');
      const copiedId = await page.evaluate(() => navigator.clipboard.readText());
      check(`${label}: "Copy chunk id" copies it`, copiedId === chunkId, copiedId);
      await page.click('button.copy:has-text("Copy citation")');
      const copiedCite = await page.evaluate(() => navigator.clipboard.readText());
      check(`${label}: "Copy citation" copies document, release, page and chunk id`, copiedCite.includes("v12.5.1su1") && copiedCite.includes("p.") && copiedCite.endsWith(chunkId), copiedCite);
      await page.click('button.copy:has-text("Copy link")');
      const copiedLink = await page.evaluate(() => navigator.clipboard.readText());
      check(`${label}: "Copy link" copies the chunk page's address`, copiedLink.startsWith(base + "/chunks/"), copiedLink);
      await page.screenshot({ path: path.join(artifacts, `${label}-chunk.png`), fullPage: false });

      // View in doc context: the chunk is highlighted and scrolled into view.
      const clicked = Date.now();
      await page.click("text=↗ View in doc context");
      await page.waitForSelector(".chunk.current");
      const docMs = Date.now() - clicked;
      await page.waitForTimeout(300);
      const current = await page.getAttribute(".chunk.current", "data-chunk-id");
      check(`${label}: the chosen chunk is highlighted`, current === chunkId, `${current} vs ${chunkId}`);
      check(`${label}: the chosen chunk is in the viewport`, await inViewport(page, ".chunk.current"));
      const bg = await page.$eval(".chunk.current", (el) => getComputedStyle(el).backgroundColor);
      check(`${label}: highlight is visible`, bg !== "rgba(0, 0, 0, 0)" && bg !== "transparent", bg);
      const sent = await page.$$eval("section.chunk", (els) => els.length);
      const total = parseInt(await page.getAttribute("article.document", "data-chunks"), 10);
      check(`${label}: a long document is sent in parts`, total > 60 && sent <= 60 + 1, `${sent} of ${total}`);
      console.log(`info ${label}: the cited place showed ${docMs} ms after the click`);
      check(`${label}: the search's words are marked in the chosen chunk`, (await page.$$(".chunk.current mark")).length > 0);
      const marks = await page.$$eval(".page-mark", (els) => els.map((e) => e.textContent.trim()));
      check(`${label}: the document view shows page boundaries`, marks.length > 5 && marks.every((m) => /^Page \S+$/.test(m)), marks.slice(0, 3).join(","));
      await page.screenshot({ path: path.join(artifacts, `${label}-document.png`), fullPage: false });
      // Reading on: the header stays with the page being read, the contents follow.
      await page.evaluate(() => window.scrollBy(0, 2500));
      await page.waitForTimeout(300);
      const headTop = await page.$eval(".doc-head", (el) => el.getBoundingClientRect().top);
      const reading = (await page.textContent("#current-page")).trim();
      const expected = await page.evaluate(() => {
        const line = document.querySelector(".doc-head").getBoundingClientRect().bottom + 24;
        const above = Array.from(document.querySelectorAll(".page-mark")).filter((m) => m.getBoundingClientRect().top <= line);
        return above.length ? "Page " + above[above.length - 1].dataset.page : "";
      });
      check(`${label}: the header stays at the top and shows the page being read`, Math.abs(headTop) <= 1 && reading === expected && reading !== "", `${headTop} "${reading}" vs "${expected}"`);
      const tocHere = await page.$$eval('.toc a[aria-current="location"]', (els) => els.length);
      check(`${label}: the contents list marks the section being read`, tocHere === 1, `${tocHere}`);
      // Reading to the end fetches the later parts.
      for (let i = 0; i < 40 && (await page.$$("section.chunk")).length < total; i++) {
        await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
        await page.waitForTimeout(150);
      }
      const loaded = await page.$$eval("section.chunk", (els) => els.length);
      const ordered = await page.$$eval("section.chunk", (els) => els.map((e) => parseInt(e.id.slice(6), 10)).every((n, i, a) => i === 0 || n === a[i - 1] + 1));
      check(`${label}: scrolling on fetches the rest of the document, in order`, loaded === total - (await page.$$eval("section.chunk", (els) => parseInt(els[0].id.slice(6), 10))) && ordered, `${loaded} of ${total}`);
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.waitForTimeout(300);
      // "…, on page N" goes to page N.
      const ref = await page.$('.chunk-body a.page-ref[href^="#page-"]');
      check(`${label}: "on page N" references are links`, ref !== null);
      if (ref) {
        const target = (await ref.getAttribute("href")).slice(1);
        await ref.click();
        await page.waitForTimeout(300);
        const at = await page.evaluate((id) => {
          const r = document.getElementById(id).getBoundingClientRect();
          return r.top >= 0 && r.top < window.innerHeight;
        }, target);
        check(`${label}: a page reference scrolls to that page`, at, target);
      }
      const docOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(`${label}: document view fits the width`, docOverflow <= 1, `${docOverflow}px`);

      await page.goto(base + "/library");
      check(`${label}: library lists versions`, (await page.textContent("main")).includes("v12.5.1su1"));
      await page.screenshot({ path: path.join(artifacts, `${label}-library.png`), fullPage: false });

      // What the query said about releases, and an honest "no close match".
      await page.goto(base + "/?q=" + encodeURIComponent("on CUCM 15, which mode protects desk phones?"));
      const chip = await page.textContent(".understood").catch(() => "");
      check(`${label}: the release understood is shown`, chip.includes("Release v15") && chip.includes("CUCM 15"), chip);
      const firstBadge = await page.textContent(".result .badge.version").catch(() => "");
      check(`${label}: release 15 ranks first`, firstBadge.endsWith("v15"), firstBadge);
      check(`${label}: results carry a match badge`, (await page.$$(".result .badge.match")).length > 0);
      await page.goto(base + "/?q=" + encodeURIComponent("CUCM 14 mixed mode"));
      const held = await page.textContent(".understood .not-held").catch(() => "");
      check(`${label}: a release not in the library is said`, held.includes("“CUCM 14” is not in the library") && held.includes("v15"), held);
      await page.goto(base + "/?q=" + encodeURIComponent("zzqxjv flurbonator kwyjibo"));
      const notice = await page.textContent(".notice.nomatch").catch(() => "");
      check(`${label}: nonsense says no close match`, notice.includes("No close match"), notice);
      await page.goto(base + "/?q=" + encodeURIComponent('"provider of the CTL" service'));
      const unquoted = await page.textContent(".notice.unquoted").catch(() => "");
      check(`${label}: a quoted phrase no passage holds is said`, unquoted.includes("No passage holds “provider of the CTL” as written"), unquoted);
      await page.goto(base + "/?q=" + encodeURIComponent('"Cisco CTL Provider" service'));
      const firstText = (await page.textContent(".result").catch(() => "")).replace(/\s+/g, " ");
      check(`${label}: a passage holding the quoted phrase ranks first`, firstText.includes("Cisco CTL Provider") && (await page.$$(".notice.unquoted")).length === 0, firstText.slice(0, 200));
      await page.goto(base + "/?q=" + encodeURIComponent("utils ctl update CTLFile"));
      const also = await page.textContent(".result .also").catch(() => "");
      check(`${label}: a passage of two releases names the other`, also.startsWith("Also in v12.5.1"), also);

      await page.goto(base + "/?q=" + encodeURIComponent("certificate"));
      const before = (await page.$$("li.result")).length;
      await Promise.all([page.waitForNavigation(), page.click("a.show-more")]);
      const after = (await page.$$("li.result")).length;
      check(`${label}: "Show more results" shows more`, before === 10 && after > before && page.url().includes("limit=20"), `${before} -> ${after}`);

      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(`${label}: no horizontal overflow`, overflow <= 1, `${overflow}px`);

      // Compare releases: the form picks two releases, the answer lists what changed with
      // both sides linked, and a section's diff marks removed and added words.
      await page.goto(base + "/compare");
      await page.click("nav.links a[href='/compare']");
      const fromSel = await page.$eval("select[name=from]", (s) => s.value);
      const toSel = await page.$eval("select[name=to]", (s) => s.value);
      check(`${label}: compare defaults to the last two releases`, fromSel === "v12.5.1su1" && toSel === "v15", `${fromSel} ${toSel}`);
      await page.selectOption("select[name=from]", "v12.5.1");
      await page.selectOption("select[name=to]", "v12.5.1su1");
      await Promise.all([page.waitForNavigation(), page.click(".compare-form button[type=submit]")]);
      const summary = await page.textContent(".compare .summary");
      check(`${label}: compare summarises the changes`, /v12\.5\.1 → v12\.5\.1su1/.test(summary) && /\d+ changed/.test(summary), summary);
      const changed = await page.$$("li.change .badge.status-changed");
      check(`${label}: compare lists changed sections`, changed.length > 0, `${changed.length}`);
      const sides = await page.$$eval("li.change:first-child .side a", (as) => as.map((a) => a.getAttribute("href")));
      check(`${label}: both sides link to their chunk pages`, sides.length === 2 && sides[0].includes("v12.5.1::") && sides[1].includes("v12.5.1su1::"), sides.join(" "));
      await Promise.all([page.waitForNavigation(), page.click("li.change a.difflink")]);
      const dels = (await page.$$(".diff del")).length + (await page.$$(".diff ins")).length;
      check(`${label}: a section's diff marks removed and added words`, dels > 0, `${dels}`);
      const cmpOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(`${label}: the compare page fits the width`, cmpOverflow <= 1, `${cmpOverflow}px`);
      await page.screenshot({ path: path.join(artifacts, `${label}-compare.png`), fullPage: false });
      check(`${label}: no script errors`, errors.length === 0, errors.join(" | "));
      await context.close();
    }
    // Accessibility: axe-core's WCAG 2 A/AA and best-practice rules find nothing on any
    // page at either width (the page's script policy is bypassed only to inject axe),
    // and the first Tab reaches the skip link, which jumps to the main content.
    const pages = ["/", "/?q=mixed+mode", "/chunks/cucm::v15::security-guide::security-modes::2?q=mixed+mode",
      "/documents/cucm/v12.5.1su1/security-guide/security-guide.md", "/library", "/compare",
      "/compare?product=cucm&from=v12.5.1&to=v12.5.1su1"];
    for (const [label, viewport] of [["laptop", { width: 1366, height: 900 }], ["phone", { width: 390, height: 844 }]]) {
      const context = await browser.newContext({ viewport, bypassCSP: true });
      const page = await context.newPage();
      for (const url of pages) {
        await page.goto(base + url);
        await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
        const found = await page.evaluate(async () => (await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "best-practice"] } }))
          .violations.map((v) => `${v.id} (${v.impact}, ${v.nodes.length}×: ${v.nodes[0].target.join(" ")})`));
        check(`${label}: axe finds no accessibility violation on ${url}`, found.length === 0, found.join("; "));
        const h1 = await page.$$eval("h1", (hs) => hs.length);
        check(`${label}: one h1 on ${url}`, h1 === 1, `${h1}`);
      }
      await page.goto(base + "/?q=mixed+mode");
      await page.keyboard.press("Tab");
      const first = await page.evaluate(() => document.activeElement && document.activeElement.className);
      await page.keyboard.press("Enter");
      const inMain = await page.evaluate(() => document.activeElement && document.activeElement.id === "main");
      check(`${label}: the first Tab reaches the skip link, which moves to the results`, first === "skip-link" && inMain, `${first} ${inMain}`);
      await context.close();
    }

    // A server that requires a token: pages send the browser to sign in, a wrong token
    // is refused, the right one opens the library with a Secure, HttpOnly, SameSite=Strict
    // cookie, and signing out closes it again.
    const guarded = process.argv[3];
    if (guarded) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(guarded + "/?q=mixed+mode");
      check("sign-in: a page without a session asks for a token", page.url().includes("/login?next=") && (await page.textContent("h1")) === "Sign in", page.url());
      check("sign-in: no library text before signing in", !(await page.content()).includes("set-cluster"));
      await page.fill("#token", "wrong-token");
      await page.click("form[action='/login'] button[type=submit]");
      check("sign-in: a wrong token is refused", (await page.textContent(".error")).includes("not valid"));
      await page.fill("#token", process.env.E2E_TOKEN || "");
      await page.click("form[action='/login'] button[type=submit]");
      await page.waitForLoadState();
      check("sign-in: the token opens the page asked for", page.url().endsWith("/?q=mixed+mode") && (await page.$$("li.result")).length > 0, page.url());
      const cookie = (await context.cookies()).find((c) => c.name === "mcdewey_session");
      check("sign-in: the session cookie is Secure, HttpOnly, SameSite=Strict", cookie && cookie.secure && cookie.httpOnly && cookie.sameSite === "Strict", JSON.stringify(cookie));
      await page.goto(guarded + "/login");
      await page.click("form[action='/logout'] button");
      await page.goto(guarded + "/library");
      check("sign-in: signing out closes the library", page.url().includes("/login"), page.url());
      await context.close();
    }

    // PDF pages in the browser: a server over a library holding one PDF manual. "View in
    // doc context" opens the PDF itself at the cited physical page, the passage marked;
    // the pages turn and zoom; the original is served with range requests.
    const pdfBase = process.argv[4];
    if (pdfBase) {
      const query = process.env.E2E_PDF_QUERY || "kernel.function probe point";
      for (const [label, viewport] of [["laptop", { width: 1366, height: 900 }], ["phone", { width: 390, height: 844 }]]) {
        const context = await browser.newContext({ viewport });
        const page = await context.newPage();
        const errors = [];
        page.on("pageerror", (e) => errors.push(String(e)));
        page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
        const api = await (await page.request.get(`${pdfBase}/api/search?q=${encodeURIComponent(query)}&mode=bm25&limit=1`)).json();
        const hit = api.results[0];
        await page.goto(`${pdfBase}/chunks/${hit.chunk_id}?q=${encodeURIComponent(query)}&mode=bm25`);
        await page.click("text=↗ View in doc context");
        await page.waitForSelector("#pdf-viewer[data-shown]", { timeout: 30000 });
        check(`${label}: "View in doc context" of a PDF opens the PDF viewer at the cited page`,
          page.url().includes("/pdf/") && (await page.getAttribute("#pdf-viewer", "data-shown")) === String(hit.pdf_page), `${page.url()} vs p. ${hit.pdf_page}`);
        const inked = await page.$eval("#pdf-canvas", (c) => {
          const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
          let dark = 0;
          for (let i = 0; i < d.length; i += 16) if (d[i] < 128) dark++;
          return dark;
        });
        check(`${label}: the page itself is drawn`, inked > 100, `${inked} dark samples`);
        const cited = await page.$$eval(".textLayer span.cited", (els) => els.length);
        check(`${label}: the cited passage is marked on the page`, cited > 0, `${cited}`);
        check(`${label}: the mark is in view`, await inViewport(page, ".textLayer span.cited"));
        const printed = (await page.textContent("#pdf-label")).trim();
        check(`${label}: the printed page label is shown where it differs`, hit.page_label === String(hit.pdf_page) ? printed === "" : printed.includes(hit.page_label || ""), `"${printed}" for ${hit.page_label}`);
        check(`${label}: the viewer links back to the chunk`, (await page.getAttribute(".pdf-tools a.back", "href")) === `/chunks/${hit.chunk_id}`);
        await page.screenshot({ path: path.join(artifacts, `${label}-pdf.png`), fullPage: false });
        const width = await page.$eval("#pdf-canvas", (c) => c.getBoundingClientRect().width);
        await page.click("#pdf-zoom-in");
        await page.waitForFunction((w) => document.getElementById("pdf-canvas").getBoundingClientRect().width > w, width);
        check(`${label}: zoom enlarges the page`, true);
        await page.click("#pdf-next");
        await page.waitForFunction((p) => document.getElementById("pdf-viewer").dataset.shown === String(p + 1), hit.pdf_page);
        check(`${label}: the next page turns`, page.url().includes(`page=${hit.pdf_page + 1}`), page.url());
        const range = await page.evaluate(async (file) => {
          const r = await fetch(file, { headers: { Range: "bytes=0-99" } });
          return [r.status, (await r.arrayBuffer()).byteLength, r.headers.get("content-range")];
        }, await page.getAttribute("#pdf-viewer", "data-file"));
        check(`${label}: the original PDF is served with range requests`, range[0] === 206 && range[1] === 100 && /^bytes 0-99\/\d+$/.test(range[2]), range.join(" "));
        check(`${label}: no script errors in the PDF viewer`, errors.length === 0, errors.join(" | "));
        const viewerUrl = page.url();
        await context.close();
        // axe on the viewer too; pdf.js's text layer is left out: it is the invisible,
        // selectable copy of the text drawn on the canvas, transparent by design.
        const axeContext = await browser.newContext({ viewport, bypassCSP: true });
        const axePage = await axeContext.newPage();
        await axePage.goto(viewerUrl);
        await axePage.waitForSelector("#pdf-viewer[data-shown]", { timeout: 30000 });
        await axePage.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
        const found = await axePage.evaluate(async () => (await axe.run({ exclude: [[".textLayer"]] }, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "best-practice"] } }))
          .violations.map((v) => `${v.id} (${v.impact}, ${v.nodes.length}×: ${v.nodes[0].target.join(" ")})`));
        check(`${label}: axe finds no accessibility violation in the PDF viewer`, found.length === 0, found.join("; "));
        const h1 = await axePage.$$eval("h1", (hs) => hs.length);
        check(`${label}: one h1 in the PDF viewer`, h1 === 1, `${h1}`);
        await axeContext.close();
      }
    }

    // A server that allows writes: an admin signs in, uploads a PDF manual on the admin
    // page, watches its job to the end, finds the manual by search, and removes it.
    const adminBase = process.argv[5];
    if (adminBase) {
      const pdf = process.env.E2E_UPLOAD_PDF;
      const source = "r/v4.2.2/manuals/writing-r-extensions.pdf";
      const query = "package subdirectories DESCRIPTION file";
      const signIn = async (page) => {
        await page.goto(adminBase + "/admin");
        await page.fill("#token", process.env.E2E_TOKEN || "");
        await page.click("form[action='/login'] button[type=submit]");
        await page.waitForLoadState();
      };
      const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
      const page = await context.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
      await signIn(page);
      check("admin: signing in opens the admin page", page.url().endsWith("/admin") && (await page.textContent("h1")) === "Manage the library", page.url());
      await page.setInputFiles("#upload-file", pdf);
      await page.fill("#upload-product", "r");
      await page.fill("#upload-version", "v4.2.2");
      await page.fill("#upload-doc_set", "manuals");
      await page.click("form[action='/admin/upload'] button[type=submit]");
      await page.waitForURL(/\/admin\/jobs\/\d+$/);
      const live = await page.$("#job-progress, .badge.job-done");
      check("admin: the upload goes to its job page, which shows the progress", live !== null, page.url());
      await page.waitForSelector("[data-state=finished]", { timeout: 120000 });
      const state = (await page.textContent("h1 .badge")).trim();
      check("admin: the job page follows the job to the end", state === "done", state);
      check("admin: the job lists the uploaded manual as added", (await page.textContent("section.job")).includes(source) && (await page.textContent("section.job")).includes("added"));
      await page.screenshot({ path: path.join(artifacts, "laptop-admin-job.png"), fullPage: false });
      await page.goto(`${adminBase}/?q=${encodeURIComponent(query)}&mode=bm25`);
      const sources = await page.$$eval("li.result", (els) => els.map((e) => e.textContent));
      check("admin: the uploaded manual is found by search", sources.some((t) => t.includes("writing-r-extensions")), sources.slice(0, 3).join(" | ").slice(0, 300));
      await page.goto(adminBase + "/admin");
      await page.click("details.docset summary >> text=manuals");
      await page.screenshot({ path: path.join(artifacts, "laptop-admin.png"), fullPage: false });
      page.once("dialog", (d) => d.accept());
      await page.click(`form.remove:has(input[name=source][value="${source}"]) button`);
      await page.waitForURL(/\/admin\/jobs\/\d+$/);
      await page.waitForSelector("[data-state=finished]", { timeout: 120000 });
      const removed = await page.textContent("section.job");
      check("admin: removing asks first, then removes the manual from the library and the index", removed.includes("removed") && removed.includes("1 removed"), removed.slice(0, 300));
      await page.goto(`${adminBase}/?q=${encodeURIComponent(query)}&mode=bm25`);
      const after = await page.$$eval("li.result", (els) => els.map((e) => e.textContent));
      check("admin: the removed manual is no longer found", !after.some((t) => t.includes("writing-r-extensions")), after.slice(0, 3).join(" | ").slice(0, 300));
      check("admin: no script errors on the admin pages", errors.length === 0, errors.join(" | "));
      await context.close();
      // axe on the admin page and a job page.
      const axeContext = await browser.newContext({ viewport: { width: 1366, height: 900 }, bypassCSP: true });
      const axePage = await axeContext.newPage();
      await signIn(axePage);
      for (const url of ["/admin", "/admin/jobs/1"]) {
        await axePage.goto(adminBase + url);
        await axePage.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
        const found = await axePage.evaluate(async () => (await axe.run({ runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "best-practice"] } }))
          .violations.map((v) => `${v.id} (${v.impact}, ${v.nodes.length}×: ${v.nodes[0].target.join(" ")})`));
        check(`admin: axe finds no accessibility violation on ${url}`, found.length === 0, found.join("; "));
      }
      await axeContext.close();
    }
  } catch (e) {
    failed++;
    console.log(`FAIL ui run: ${e && e.stack ? e.stack : e}`);
  } finally {
    await browser.close();
  }
  console.log(`ui: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})();
