// Helpers shared by the diagram components (decomposition_grid.js, attribution_explorer.js,
// factor_view.js, objective_comparison.js, gallery.js, ...), as one frozen namespace of pure
// functions and one base class: window.nmSprites. No state lives in it.
//
// - readFigure(element): the figure.json embedded in a component as a child
//   <script type="application/json">, and the element's data-asset-url.
// - markReady(element): the data-ready attribute and the "nm-diagram-ready" performance mark
//   that a component sets once it is interactive (see mechanics/contract.py).
// - tileBackground(fig, assetUrl, ref): the CSS background (image URL, size, position) that shows
//   tile `ref` = {sprite, index} of one of fig.sprites, scaled to the element's size. A sprite's
//   file is a path relative to assetUrl (an atlas page reaches a sibling atlas's folder with "../").
// - assetHref(assetUrl, file): that URL of a figure's file; a file that is a data: URI (a diagram
//   shown in a notebook carries its images inline, mechanics/notebook.py) is used as it is.
// - paintTile(node, fig, assetUrl, ref): applies that background (or, for a null ref, marks the
//   node nm-empty); node.dataset.tile records "sprite:index" for the tests.
// - keyboardGrid(cells, height, width): a row-major grid of focusable cells made one tab stop
//   (roving tabindex) that arrow keys move within (Home/End: the row's ends); returns the function
//   that makes cell `index` the grid's tab stop.
// - atlasLinks(element): a function (model, layer, channel) -> the URL of that unit's entry in the
//   site's atlas, or null; read from the element's data-atlas, which the builder writes only for
//   atlas layers that exist ({model: {layer: {page, channels}}}, mechanics/site/atlas_pages.py).
// - Diagram: the base class of the figure components (connection, data, atlas links, ready mark).
// - el(tag, attrs, ...children): a small DOM builder; fixed(x) and signed(n) format numbers
//   with a proper minus sign.
//
// A classic script, not an ES module: Chromium refuses module scripts on a page opened from
// file://. The diagram partials load it (deferred) before each component, once per diagram, so
// a second run keeps the namespace the first one defined.
(function () {
  "use strict";
  if (window.nmSprites) return;

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    node.append(...children);
    return node;
  }

  function readFigure(element) {
    const dataScript = element.querySelector('script[type="application/json"]');
    return { dataScript, fig: JSON.parse(dataScript.textContent), assetUrl: element.dataset.assetUrl || "" };
  }

  function markReady(element) {
    element.setAttribute("data-ready", "");
    performance.mark("nm-diagram-ready");
  }

  function assetHref(assetUrl, file) {
    return file.startsWith("data:") ? file : assetUrl + file.split("/").map(encodeURIComponent).join("/");
  }

  function tileBackground(fig, assetUrl, ref) {
    const sprite = fig.sprites[ref.sprite];
    const rows = Math.ceil(sprite.count / sprite.columns);
    const col = ref.index % sprite.columns;
    const row = Math.floor(ref.index / sprite.columns);
    return {
      image: `url("${assetHref(assetUrl, sprite.file)}")`,
      size: `${sprite.columns * 100}% ${rows * 100}%`,
      position: `${sprite.columns > 1 ? (100 * col) / (sprite.columns - 1) : 0}% ${rows > 1 ? (100 * row) / (rows - 1) : 0}%`,
      tile: `${ref.sprite}:${ref.index}`,
    };
  }

  function paintTile(node, fig, assetUrl, ref) {
    if (!ref) {
      node.classList.add("nm-empty");
      node.style.backgroundImage = "";
      node.dataset.tile = "";
      return;
    }
    const bg = tileBackground(fig, assetUrl, ref);
    node.classList.remove("nm-empty");
    node.style.backgroundImage = bg.image;
    node.style.backgroundSize = bg.size;
    node.style.backgroundPosition = bg.position;
    node.dataset.tile = bg.tile;
  }

  // The index that `key` moves to from `index` in a `height` x `width` grid; the same index at an
  // edge; null for a key that is not a grid move.
  function gridKey(key, index, height, width) {
    const r = Math.floor(index / width);
    const c = index % width;
    const moves = {
      ArrowLeft: [r, c - 1], ArrowRight: [r, c + 1], ArrowUp: [r - 1, c], ArrowDown: [r + 1, c],
      Home: [r, 0], End: [r, width - 1],
    };
    const move = moves[key];
    if (!move) return null;
    const [nr, nc] = move;
    return nr >= 0 && nr < height && nc >= 0 && nc < width ? nr * width + nc : index;
  }

  // The one keyboard navigation of every grid of cells (decomposition_grid.js's window and occlusion
  // maps, attribution_explorer.js, objective_comparison.js, decomposition_comparison.js): a key
  // moves the focus, and the component's own focus handler selects the cell and calls tabStop.
  function keyboardGrid(cells, height, width) {
    cells.forEach((cell, index) => cell.addEventListener("keydown", (event) => {
      const next = gridKey(event.key, index, height, width);
      if (next === null) return;
      event.preventDefault();
      cells[next].focus();
    }));
    return function tabStop(index) {
      cells.forEach((cell, i) => { cell.tabIndex = i === index ? 0 : -1; });
    };
  }

  function atlasLinks(element) {
    const links = element.dataset.atlas ? JSON.parse(element.dataset.atlas) : {};
    return (model, layer, channel) => {
      const entry = links[model]?.[layer];
      return entry && entry.channels.includes(channel) ? `${entry.page}#unit-${channel}` : null;
    };
  }

  // The base of the figure components: when connected, reads its figure (this.fig, this.dataScript,
  // this.assetUrl) and atlas links (this.atlasEntry), lets the component set its own state
  // (setup(), if it has one), renders it and marks it ready. The data stays in the element, so
  // the page's source of truth is inspectable. An element met by the parser after its component
  // was defined (a notebook export's inline scripts run mid-page) is connected before its
  // children exist: it waits for the page to be parsed.
  // The static fallback (the partial's .nm-fallback, or a <noscript> holding it) stays in the
  // element, as .nm-print-fallback, after render() replaces it: hidden on screen, it is what a
  // printed page shows (components/diagrams.css).
  class Diagram extends HTMLElement {
    connectedCallback() {
      if (this.fig) return;
      if (document.readyState === "loading" && !this.querySelector('script[type="application/json"]')) {
        document.addEventListener("DOMContentLoaded", () => this.connectedCallback(), { once: true });
        return;
      }
      ({ dataScript: this.dataScript, fig: this.fig, assetUrl: this.assetUrl } = readFigure(this));
      this.atlasEntry = atlasLinks(this);
      const fallback = this.querySelector(":scope > .nm-fallback, :scope > noscript");
      this.setup?.();
      this.render();
      if (fallback) this.append(printFallback(fallback));
      markReady(this);
    }
  }

  function printFallback(fallback) {
    let node = fallback;
    if (fallback.localName === "noscript") {
      // With scripts on, a <noscript>'s content is text: parse it (the build's own markup).
      const template = document.createElement("template");
      template.innerHTML = fallback.textContent;
      node = template.content.querySelector(".nm-fallback") || el("div");
    }
    node.classList.replace("nm-fallback", "nm-print-fallback");
    node.setAttribute("aria-hidden", "true");
    return node;
  }

  // Lazy images hidden on screen would not load in time for a print: load them all first.
  window.addEventListener("beforeprint", () => {
    document.querySelectorAll('img[loading="lazy"]').forEach((img) => { img.loading = "eager"; });
  });

  const fixed = (x, digits = 2) => x.toFixed(digits).replace("-", "\u2212");
  const signed = (n) => (n > 0 ? `+${n}` : n < 0 ? `\u2212${-n}` : "0");

  Object.defineProperty(window, "nmSprites", {
    value: Object.freeze({ Diagram, el, readFigure, atlasLinks, markReady, assetHref, tileBackground, paintTile, keyboardGrid, fixed, signed }),
  });
})();
