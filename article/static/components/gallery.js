// <nm-gallery>: many decomposed units, filterable by layer and model. Each item shows the unit's
// visualization and its window of components. Sprites are grouped (several items per file) and a
// tile's sprite is only requested once its item scrolls near the view (IntersectionObserver).
// Data: figure.json (contract kind "gallery") in a child <script type="application/json">;
// sprite files are relative to the element's data-asset-url. With data-atlas (see sprites.js), a
// unit's label links to its entry in the atlas.

// A classic script (see sprites.js); the partial loads it once per diagram, so later runs stop at once.
(function () {
  "use strict";
  if (customElements.get("nm-gallery")) return;
  const { Diagram, el, tileBackground } = window.nmSprites;

  // Places tile `ref` of a sprite as the element's background, but leaves the image URL in
  // data-src until the item is near the view.
  function placeTile(node, fig, assetUrl, ref) {
    const bg = tileBackground(fig, assetUrl, ref);
    node.dataset.src = bg.image;
    node.style.backgroundSize = bg.size;
    node.style.backgroundPosition = bg.position;
    node.dataset.tile = bg.tile;
  }

  const ALL = "";

  class Gallery extends Diagram {
    disconnectedCallback() {
      this.observer?.disconnect();
    }

    render() {
      const items = this.fig.items;
      const layers = [...new Set(items.map((item) => item.layer))];
      const models = new Map(items.map((item) => [item.model, item.model_label]));
      this.layerSelect = this.select("layer", [[ALL, "all layers"], ...layers.map((l) => [l, l])]);
      this.modelSelect = this.select("model", [[ALL, "all models"], ...models]);
      this.count = el("span", { class: "nm-note", role: "status" });
      const controls = el("div", { class: "nm-controls" }, this.layerSelect.parentNode, this.modelSelect.parentNode, this.count);

      this.scroller = el("div", { class: "nm-gallery-scroll", tabindex: "0", role: "region", "aria-label": "gallery of units" });
      const list = el("ul", { class: "nm-gallery-items" });
      this.cards = items.map((item) => this.card(item));
      list.append(...this.cards);
      this.scroller.append(list);
      this.replaceChildren(this.dataScript, controls, this.scroller);

      this.observer = new IntersectionObserver((entries) => {
        for (const entry of entries) {
          if (!entry.isIntersecting) continue;
          for (const tile of entry.target.querySelectorAll("[data-src]")) {
            tile.style.backgroundImage = tile.dataset.src;
            tile.removeAttribute("data-src");
          }
          entry.target.dataset.loaded = "";
          this.observer.unobserve(entry.target);
        }
      // The viewport is the root, so nothing loads while the gallery is off screen; the scroller
      // clips what is inside it. scrollMargin (where supported) preloads just below its fold.
      }, { rootMargin: "200px 0px", scrollMargin: "150px 0px" });
      for (const card of this.cards) this.observer.observe(card);
      this.filter();
    }

    select(name, options) {
      const select = el("select", { "aria-label": `filter by ${name}` });
      for (const [value, label] of options) select.append(el("option", { value, text: label }));
      select.addEventListener("change", () => this.filter());
      el("label", { class: "nm-toggle" }, el("span", { text: name }), select);
      return select;
    }

    card(item) {
      const unit = el("span", { class: "nm-tile", role: "img", "aria-label": `visualization of ${item.label}` });
      placeTile(unit, this.fig, this.assetUrl, item.unit_image);
      const mini = el("span", { class: "nm-mini", role: "img",
        "aria-label": `its ${item.window.height}\u00d7${item.window.width} window of components` });
      mini.style.gridTemplateColumns = `repeat(${item.window.width}, 1fr)`;
      for (const cell of item.cells) {
        const tile = el("span", { class: "nm-tile" });
        tile.style.setProperty("--nm-weight", cell.weight);
        placeTile(tile, this.fig, this.assetUrl, cell.image);
        mini.append(tile);
      }
      // Each card is a tab stop, so a keyboard reader reaches every unit; focusing one scrolls it
      // into the scroller's view, which loads its sprites.
      const entry = this.atlasEntry(item.model, item.layer, item.channel);
      const label = el("b", { text: item.label });
      return el("li", { "data-layer": item.layer, "data-model": item.model, "data-id": item.id, tabindex: "0" },
        unit, mini, el("span", { class: "nm-caption" },
          entry ? el("a", { class: "nm-atlas-link", href: entry, title: `${item.label} in the atlas` }, label) : label,
          ` \u00b7 ${item.model_label}`));
    }

    filter() {
      const layer = this.layerSelect.value;
      const model = this.modelSelect.value;
      let shown = 0;
      for (const card of this.cards) {
        const visible = (layer === ALL || card.dataset.layer === layer) && (model === ALL || card.dataset.model === model);
        card.hidden = !visible;
        shown += visible;
      }
      this.count.textContent = `${shown} of ${this.cards.length} units`;
    }
  }

  customElements.define("nm-gallery", Gallery);
})();
