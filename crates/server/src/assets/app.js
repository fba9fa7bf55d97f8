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
    // j / k, or the arrow keys (from the search box too), move between search results;
    // ArrowUp from the first result goes back to the search box.
    var inBox = t && t.id === "q";
    var arrow = e.key === "ArrowDown" || e.key === "ArrowUp";
    var links = Array.prototype.slice.call(document.querySelectorAll(".result-link"));
    var onResult = links.indexOf(document.activeElement) >= 0;
    if (links.length && ((!typing && (e.key === "j" || e.key === "k")) || (arrow && (inBox || onResult)))) {
      var down = e.key === "j" || e.key === "ArrowDown";
      var i = links.indexOf(document.activeElement);
      if (!down && i <= 0 && e.key === "ArrowUp") {
        if (i === 0) { e.preventDefault(); document.getElementById("q").focus(); }
        return;
      }
      e.preventDefault();
      i = down ? Math.min(links.length - 1, i + 1) : Math.max(0, i - 1);
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
    var doc = document.querySelector("article.document");
    if (current && doc) markQuery(current.querySelector(".chunk-body"), doc.getAttribute("data-query"));
    if (current) current.scrollIntoView({ block: "center" });
    if (doc) followReading(doc);
    if (doc) loadParts(doc);
  });

  // The document view opens with the part around the chosen chunk; the parts before and
  // after it are fetched as the reader nears them (the links stay for browsers without
  // this file).
  function loadParts(doc) {
    if (!("IntersectionObserver" in window)) return;
    var total = parseInt(doc.getAttribute("data-chunks"), 10) || 0;
    var busy = false;
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) { if (e.isIntersecting) load(e.target); });
    }, { rootMargin: "1500px 0px" });
    function load(more) {
      if (busy) return;
      busy = true;
      var from = parseInt(more.getAttribute("data-from"), 10);
      var to = parseInt(more.getAttribute("data-to"), 10);
      var size = Math.max(1, to - from);
      var url = window.location.pathname + "?part=" + from + "-" + to;
      fetch(url, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.text();
      }).then(function (html) {
        if (more.classList.contains("before")) {
          var height = document.documentElement.scrollHeight;
          more.insertAdjacentHTML("afterend", html);
          window.scrollBy(0, document.documentElement.scrollHeight - height);
          if (from <= 0) { observer.unobserve(more); more.remove(); }
          else { more.setAttribute("data-to", from); more.setAttribute("data-from", Math.max(0, from - size)); }
        } else {
          more.insertAdjacentHTML("beforebegin", html);
          if (to >= total) { observer.unobserve(more); more.remove(); }
          else { more.setAttribute("data-from", to); more.setAttribute("data-to", Math.min(total, to + size)); }
        }
        busy = false;
        // Still in view: the next part too.
        observer.unobserve(more);
        if (more.isConnected) observer.observe(more);
      }).catch(function () { busy = false; });
    }
    Array.prototype.forEach.call(doc.querySelectorAll(".doc-more"), function (m) { observer.observe(m); });
  }

  // Marks the terms of the search that led here in an element's text, without touching
  // its markup. The page gives the terms (stop words out); a word matches a term as the
  // server's snippets match it (crates/server/src/snippet.rs): a term of four letters or
  // more matches words that start with it or that it starts with, a shorter one only
  // itself.
  function markQuery(root, terms) {
    if (!root || !terms) return;
    var list = terms.split(" ").filter(Boolean);
    var matches = function (word) {
      var w = word.toLowerCase();
      return list.some(function (t) {
        return t.length >= 4 ? w.indexOf(t) === 0 || (w.length >= 4 && t.indexOf(w) === 0) : w === t;
      });
    };
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var nodes = [];
    while (walker.nextNode() && nodes.length < 2000) nodes.push(walker.currentNode);
    nodes.forEach(function (node) {
      var parts = node.nodeValue.split(/([\p{L}\p{N}]+)/u);
      if (!parts.some(function (p, i) { return i % 2 === 1 && matches(p); })) return;
      var frag = document.createDocumentFragment();
      parts.forEach(function (part, i) {
        if (!part) return;
        if (i % 2 === 1 && matches(part)) { var m = document.createElement("mark"); m.textContent = part; frag.appendChild(m); }
        else frag.appendChild(document.createTextNode(part));
      });
      node.parentNode.replaceChild(frag, node);
    });
  }

  // The document view's header shows the page being read, and the contents list marks
  // the section being read, as the reader scrolls.
  function followReading(doc) {
    var marks, sections;
    var tocLinks = Array.prototype.slice.call(document.querySelectorAll(".toc a[data-ord]"));
    var shown = document.getElementById("current-page");
    var head = doc.querySelector(".doc-head");
    var pending = false;
    function last(list, top) {
      // The last element whose top is above the line (the lists are in document order).
      var lo = 0, hi = list.length - 1, found = -1;
      while (lo <= hi) {
        var mid = (lo + hi) >> 1;
        if (list[mid].getBoundingClientRect().top <= top) { found = mid; lo = mid + 1; } else hi = mid - 1;
      }
      return found;
    }
    function update() {
      pending = false;
      // Parts arrive as the reader scrolls: the lists are read again each time.
      marks = Array.prototype.slice.call(doc.querySelectorAll(".page-mark"));
      sections = Array.prototype.slice.call(doc.querySelectorAll("section.chunk"));
      var line = (head ? head.getBoundingClientRect().bottom : 0) + 24;
      if (shown && marks.length) {
        var m = last(marks, line);
        shown.textContent = "Page " + marks[Math.max(m, 0)].getAttribute("data-page");
      }
      var s = last(sections, line);
      if (s < 0 || !tocLinks.length) return;
      var ord = parseInt(sections[s].id.replace("chunk-", ""), 10);
      var here = null;
      tocLinks.forEach(function (a) {
        if (parseInt(a.getAttribute("data-ord"), 10) <= ord) here = a;
        a.removeAttribute("aria-current");
      });
      if (here) {
        here.setAttribute("aria-current", "location");
        var toc = here.closest(".toc");
        var r = here.getBoundingClientRect(), t = toc.getBoundingClientRect();
        if (r.top < t.top || r.bottom > t.bottom) toc.scrollTop += r.top - t.top - t.height / 3;
      }
    }
    window.addEventListener("scroll", function () {
      if (!pending) { pending = true; window.requestAnimationFrame(update); }
    }, { passive: true });
    update();
  }
  // Forms that change the library ask first when they say so (removing a document).
  document.addEventListener("submit", function (e) {
    var f = e.target;
    var ask = f && f.getAttribute && f.getAttribute("data-confirm");
    if (ask && !window.confirm(ask)) e.preventDefault();
  });
  // A job page follows its job: progress in place, the finished page when it ends.
  var job = document.querySelector("[data-job]");
  if (job && job.getAttribute("data-state") !== "finished") {
    var polls = 0;
    var poll = function () {
      if (++polls > 20000) return;
      fetch("/api/admin/jobs/" + job.getAttribute("data-job"), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) {
          if (!j) return;
          if (j.state === "done" || j.state === "failed") { window.location.reload(); return; }
          var bar = document.getElementById("job-progress");
          var phase = document.getElementById("job-phase");
          if (bar && j.total > 0) { bar.max = j.total; bar.value = j.done; }
          else if (bar) { bar.removeAttribute("value"); }
          if (phase) phase.textContent = j.phase + (j.total > 0 ? " " + j.done + " of " + j.total : "");
          window.setTimeout(poll, 500);
        })
        .catch(function () { window.setTimeout(poll, 2000); });
    };
    window.setTimeout(poll, 300);
  }
})();
