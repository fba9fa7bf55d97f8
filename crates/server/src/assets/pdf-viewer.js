// The PDF viewer: one page of the original PDF at a time, drawn by pdf.js, with its text
// layer on top (selectable) and the cited chunk's words marked on its pages.
import * as pdfjs from "/static/pdfjs/pdf.min.mjs";

pdfjs.GlobalWorkerOptions.workerSrc = "/static/pdfjs/pdf.worker.min.mjs";

const viewer = document.getElementById("pdf-viewer");
const sheet = viewer.querySelector(".pdf-sheet");
const canvas = document.getElementById("pdf-canvas");
const textLayer = viewer.querySelector(".textLayer");
const status = document.getElementById("pdf-status");
const pageInput = document.getElementById("pdf-page");
const count = document.getElementById("pdf-count");
const printed = document.getElementById("pdf-label");
const first = parseInt(viewer.dataset.first, 10);
const last = parseInt(viewer.dataset.last, 10);
let page = parseInt(viewer.dataset.page, 10) || 1;
let zoom = 1;
let task = null;

// The words of the cited chunk, as the text layer's spans are compared with them.
const words = (s) => s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 1);
const cited = new Set(words(viewer.dataset.mark || ""));

function markCited() {
  if (!cited.size || !(page >= first && page <= (last || first))) return 0;
  let marked = 0;
  for (const span of textLayer.querySelectorAll("span")) {
    const ws = words(span.textContent);
    if (!ws.length) continue;
    const hits = ws.filter((w) => cited.has(w)).length;
    // A line of the chunk: most of its words are the chunk's (a lone common word is not).
    if (hits / ws.length >= 0.7 && (ws.length >= 2 || ws[0].length >= 5)) {
      span.classList.add("cited");
      marked++;
    }
  }
  return marked;
}

async function show(doc, labels) {
  page = Math.min(Math.max(1, page), doc.numPages);
  pageInput.value = page;
  count.textContent = `of ${doc.numPages}`;
  const label = labels && labels[page - 1];
  printed.textContent = label && label !== String(page) ? `(printed ${label})` : "";
  const pdfPage = await doc.getPage(page);
  const natural = pdfPage.getViewport({ scale: 1 });
  const fit = Math.max(0.25, Math.min(3, (viewer.clientWidth - 2) / natural.width));
  const viewport = pdfPage.getViewport({ scale: fit * zoom });
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.floor(viewport.width * ratio);
  canvas.height = Math.floor(viewport.height * ratio);
  canvas.style.width = `${Math.floor(viewport.width)}px`;
  canvas.style.height = `${Math.floor(viewport.height)}px`;
  sheet.style.width = `${Math.floor(viewport.width)}px`;
  sheet.style.height = `${Math.floor(viewport.height)}px`;
  sheet.style.setProperty("--scale-factor", viewport.scale);
  if (task) task.cancel();
  task = pdfPage.render({
    canvasContext: canvas.getContext("2d"),
    viewport,
    transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : null,
  });
  try {
    await task.promise;
  } catch (e) {
    if (e && e.name === "RenderingCancelledException") return;
    throw e;
  }
  textLayer.replaceChildren();
  await new pdfjs.TextLayer({ textContentSource: pdfPage.streamTextContent(), container: textLayer, viewport }).render();
  const marked = markCited();
  viewer.dataset.shown = String(page);
  status.textContent = marked ? `Page ${page}: the cited passage is marked.` : `Page ${page} of ${doc.numPages}.`;
  const url = new URL(window.location.href);
  url.searchParams.set("page", page);
  history.replaceState(null, "", url);
  const firstCited = textLayer.querySelector(".cited");
  if (firstCited) firstCited.scrollIntoView({ block: "center" });
}

async function main() {
  const doc = await pdfjs.getDocument({ url: viewer.dataset.file, isEvalSupported: false }).promise;
  const labels = await doc.getPageLabels().catch(() => null);
  const go = (p) => { page = p; show(doc, labels).catch(fail); };
  document.getElementById("pdf-prev").addEventListener("click", () => go(page - 1));
  document.getElementById("pdf-next").addEventListener("click", () => go(page + 1));
  document.getElementById("pdf-zoom-in").addEventListener("click", () => { zoom = Math.min(4, zoom * 1.25); go(page); });
  document.getElementById("pdf-zoom-out").addEventListener("click", () => { zoom = Math.max(0.5, zoom / 1.25); go(page); });
  pageInput.addEventListener("change", () => go(parseInt(pageInput.value, 10) || page));
  document.addEventListener("keydown", (e) => {
    if (e.target && e.target.tagName === "INPUT") return;
    if (e.key === "ArrowRight" || e.key === "PageDown") go(page + 1);
    if (e.key === "ArrowLeft" || e.key === "PageUp") go(page - 1);
  });
  await show(doc, labels);
}

function fail(e) {
  status.textContent = `The PDF could not be shown: ${e && e.message ? e.message : e}`;
  status.classList.add("error");
}

main().catch(fail);
