// Small enhancements; every page works without this file.
(function () {
  "use strict";
  // "/" focuses the search box (unless typing in a field already).
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    var typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.isContentEditable);
    if (e.key === "/" && !typing) {
      var q = document.getElementById("q");
      if (q) { e.preventDefault(); q.focus(); q.select(); }
    }
    // j / k move between search results.
    if (!typing && (e.key === "j" || e.key === "k")) {
      var links = Array.prototype.slice.call(document.querySelectorAll(".result-link"));
      if (!links.length) return;
      var i = links.indexOf(document.activeElement);
      i = e.key === "j" ? Math.min(links.length - 1, i + 1) : Math.max(0, i - 1);
      links[i].focus();
      links[i].scrollIntoView({ block: "nearest" });
    }
  });
  // Copy buttons: a citation, a chunk id, or a link made absolute.
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("button.copy");
    if (!b || !navigator.clipboard) return;
    var text = b.getAttribute("data-copy");
    var link = b.getAttribute("data-copy-link");
    if (link) text = new URL(link, window.location.href).href;
    var label = b.textContent;
    navigator.clipboard.writeText(text).then(function () {
      b.textContent = "Copied";
      setTimeout(function () { b.textContent = label; }, 1500);
    });
  });
  // The document view centres the chosen chunk; on a phone the filters start folded.
  window.addEventListener("DOMContentLoaded", function () {
    var filters = document.querySelector("details.filters");
    if (filters && window.matchMedia("(max-width: 760px)").matches) filters.removeAttribute("open");
    var current = document.querySelector(".chunk.current");
    if (current) current.scrollIntoView({ block: "center" });
  });
})();
