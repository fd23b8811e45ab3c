// Hover previews of citations and footnotes (in the spirit of Distill's hover boxes),
// and, during `build.py serve`, live reload and build-error display. No dependencies.
(function () {
  "use strict";

  // --- hover boxes -------------------------------------------------------
  var box = null;
  var hideTimer = null;

  function hide() {
    if (box) { box.remove(); box = null; }
  }

  function scheduleHide() {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hide, 250);
  }

  function previewOf(link) {
    // A citation may list several works; a footnote reference names one note.
    var targets = link.classList.contains("citation")
      ? Array.prototype.map.call(link.querySelectorAll("a[href^='#']"), function (a) { return a.getAttribute("href"); })
      : [link.getAttribute("href")];
    var items = [];
    targets.forEach(function (href) {
      var target = document.getElementById(decodeURIComponent(href.slice(1)));
      if (target) {
        var item = document.createElement("div");
        item.className = "hover-item";
        item.innerHTML = target.innerHTML;
        items.push(item);
      }
    });
    return items;
  }

  function show(trigger) {
    clearTimeout(hideTimer);
    hide();
    var items = previewOf(trigger);
    if (!items.length) return;
    box = document.createElement("div");
    box.className = "hover-box";
    box.setAttribute("role", "tooltip");
    items.forEach(function (item) { box.appendChild(item); });
    box.addEventListener("mouseenter", function () { clearTimeout(hideTimer); });
    box.addEventListener("mouseleave", scheduleHide);
    document.body.appendChild(box);
    var rect = trigger.getBoundingClientRect();
    var left = Math.min(rect.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - box.offsetWidth - 12);
    box.style.left = Math.max(8, left) + "px";
    box.style.top = (rect.bottom + window.scrollY + 6) + "px";
  }

  // A tap shows the box instead of jumping to the appendix (a touch has no hover); a tap
  // elsewhere closes it. Mouse clicks and Enter still follow the link.
  var pointerType = "mouse";
  document.addEventListener("pointerdown", function (event) { pointerType = event.pointerType; }, true);

  document.querySelectorAll(".citation, .footnote-ref").forEach(function (trigger) {
    trigger.addEventListener("mouseenter", function () { show(trigger); });
    trigger.addEventListener("mouseleave", scheduleHide);
    trigger.addEventListener("focusin", function () { show(trigger); });
    trigger.addEventListener("focusout", scheduleHide);
    trigger.addEventListener("click", function (event) {
      if (pointerType !== "touch") return;
      event.preventDefault();
      show(trigger);
    });
  });
  document.addEventListener("click", function (event) {
    if (box && !box.contains(event.target) && !event.target.closest(".citation, .footnote-ref")) hide();
  });
  document.addEventListener("keydown", function (event) { if (event.key === "Escape") hide(); });

  // --- live reload (only in pages built by `build.py serve`) ----------------
  var reloadUrl = document.body.getAttribute("data-live-reload");
  if (!reloadUrl || !window.EventSource) return;
  var errorBox = null;
  var events = new EventSource(reloadUrl);
  events.addEventListener("reload", function () { window.location.reload(); });
  events.addEventListener("build-error", function (event) {
    if (!errorBox) {
      errorBox = document.createElement("pre");
      errorBox.className = "build-error";
      document.body.appendChild(errorBox);
    }
    errorBox.textContent = "Build failed (the page shows the last good build):\n" + JSON.parse(event.data).message;
  });
  events.addEventListener("build-ok", function () {
    if (errorBox) { errorBox.remove(); errorBox = null; }
  });
})();
