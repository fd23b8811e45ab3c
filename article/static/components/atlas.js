// <nm-atlas-layer>: one layer of an atlas (atlas/<model>/<layer>.html, mechanics/site/atlas_pages.py).
// The page lists the layer's units as links #unit-<channel>. This component paints their tiles
// only as they come near the view, filters them by channel number, and opens the unit that the
// address names in a dialog holding its decomposition (an <nm-decomposition-grid>), so every
// entry has a stable URL and one entry loads one sprite of cells.
// Data: the layer file of the atlas (contract kind "atlas") plus its sprites, its model and the
// earlier layer's unit tiles (prev_units) in a child <script type="application/json">; the
// earlier layer's entries in data-atlas (see sprites.js).

// A classic script (see sprites.js), loaded once by the page.
(function () {
  "use strict";
  if (customElements.get("nm-atlas-layer")) return;
  const { el, fixed, markReady, readFigure, tileBackground } = window.nmSprites;

  const UNIT_HASH = /^#unit-(\d+)$/;

  // "101", "96-111" or "3, 7, 96-100" -> a test of a channel number; null for other text.
  function channelFilter(text) {
    const ranges = [];
    for (const term of text.split(",").map((t) => t.trim()).filter(Boolean)) {
      const match = /^(\d+)(?:\s*[-\u2013]\s*(\d+))?$/.exec(term);
      if (!match) return null;
      const [lo, hi] = [+match[1], match[2] === undefined ? +match[1] : +match[2]].sort((a, b) => a - b);
      ranges.push([lo, hi]);
    }
    return (channel) => ranges.length === 0 || ranges.some(([lo, hi]) => channel >= lo && channel <= hi);
  }

  class AtlasLayer extends HTMLElement {
    connectedCallback() {
      if (this.data) return;
      ({ fig: this.data, assetUrl: this.assetUrl } = readFigure(this));
      this.units = new Map(this.data.units.map((unit) => [unit.channel, unit]));
      this.items = [...this.querySelectorAll(".atlas-units > li")];
      this.prepend(this.controls());
      this.observeTiles();
      this.dialog = el("dialog", { class: "atlas-detail", "aria-labelledby": "atlas-detail-title" });
      this.dialog.addEventListener("close", () => this.closed());
      this.append(this.dialog);
      this.onHash = () => this.route();
      window.addEventListener("hashchange", this.onHash);
      this.route();
      markReady(this);
    }

    disconnectedCallback() {
      this.observer?.disconnect();
      window.removeEventListener("hashchange", this.onHash);
    }

    controls() {
      this.filterInput = el("input", { type: "search", inputmode: "numeric", autocomplete: "off",
        placeholder: "e.g. 101 or 96-111", "aria-label": "filter by channel number" });
      this.filterInput.addEventListener("input", () => this.filter());
      this.count = el("span", { class: "nm-note", role: "status" });
      this.filter();
      return el("div", { class: "nm-controls" },
        el("label", { class: "nm-toggle" }, el("span", { text: "channel" }), this.filterInput), this.count);
    }

    filter() {
      const test = channelFilter(this.filterInput.value);
      let shown = 0;
      for (const item of this.items) {
        const visible = test !== null && test(+item.dataset.channel);
        item.hidden = !visible;
        shown += visible;
      }
      this.count.textContent = test === null
        ? "give channel numbers or ranges, e.g. 3, 96-111"
        : `${shown} of ${this.items.length} units`;
    }

    // A tile's sprite is set only once its unit is near the view.
    observeTiles() {
      this.observer = new IntersectionObserver((entries) => {
        for (const entry of entries) {
          if (!entry.isIntersecting) continue;
          const unit = this.units.get(+entry.target.dataset.channel);
          const tile = entry.target.querySelector(".nm-tile");
          const bg = tileBackground(this.data, this.assetUrl, unit.unit_image);
          Object.assign(tile.style, { backgroundImage: bg.image, backgroundSize: bg.size, backgroundPosition: bg.position });
          tile.dataset.tile = bg.tile;
          entry.target.dataset.loaded = "";
          this.observer.unobserve(entry.target);
        }
      }, { rootMargin: "200px 0px" });
      for (const item of this.items) this.observer.observe(item);
    }

    route() {
      const match = UNIT_HASH.exec(location.hash);
      const unit = match && this.units.get(+match[1]);
      if (!unit) {
        if (this.dialog.open) this.dialog.close();
      } else if (!this.dialog.open || this.dialog.dataset.channel !== String(unit.channel)) {
        this.open(unit);
      }
    }

    open(unit) {
      const channels = [...this.units.keys()];
      const at = channels.indexOf(unit.channel);
      const step = (offset, text) => {
        const channel = channels[at + offset];
        if (channel === undefined) return el("span", { class: "atlas-step", "aria-disabled": "true", text });
        const link = el("a", { class: "atlas-step", href: `#unit-${channel}`, text });
        // The entry changes before the address does (hashchange would come a task later); the
        // link, replaced with the entry, could no longer navigate, so the address is set here.
        link.addEventListener("click", (event) => {
          if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
          event.preventDefault();
          this.open(this.units.get(channel));
          location.hash = `#unit-${channel}`;
        });
        return link;
      };
      const close = el("button", { type: "button", class: "atlas-close", "aria-label": "close", text: "\u00d7" });
      close.addEventListener("click", () => this.dialog.close());
      const grid = el("nm-decomposition-grid", { class: "nm-diagram", "data-asset-url": this.assetUrl },
        el("script", { type: "application/json", text: JSON.stringify(this.gridFigure(unit)) }));
      if (this.dataset.atlas) grid.dataset.atlas = this.dataset.atlas;
      this.dialog.dataset.channel = String(unit.channel);
      this.dialog.replaceChildren(
        el("header", { class: "atlas-detail-header" },
          el("h2", { id: "atlas-detail-title", text: unit.label }),
          el("span", { class: "nm-note nm-value", text: `objective value ${fixed(unit.value)}` }),
          el("nav", { class: "atlas-steps", "aria-label": "neighbouring units" },
            step(-1, "\u2190 previous"), step(1, "next \u2192")),
          close),
        grid,
        el("p", { class: "nm-note", text: this.dataset.atlas
          ? `Each top channel links to its own entry in ${this.data.prev_layer}.`
          : `${this.data.prev_layer} is not in the atlas: its channels have no entries to link to.` }));
      if (!this.dialog.open) this.dialog.showModal();
    }

    // The unit as a decomposition_grid figure: one view (the layer's path), its positive part; the
    // top channels show the earlier layer's unit tiles when the atlas has them.
    gridFigure(unit) {
      const d = this.data;
      const cells = unit.cells.map((cell) => ({
        ...cell,
        top_channels: cell.top_channels.map((ch) => ({ ...ch, image: d.prev_units[ch.channel] || null })),
      }));
      return {
        kind: "decomposition_grid", model: d.model, model_label: d.model_label,
        target: { layer: d.layer, channel: unit.channel, position: d.position, label: unit.label },
        prev_layer: d.prev_layer, mode: "expanded", window: d.window, unit_image: unit.unit_image,
        views: { [d.path]: { positive: { cells } } }, sprites: d.sprites,
      };
    }

    // Closed (button, Escape): the address no longer names the unit, so a reload does not reopen it.
    closed() {
      const channel = this.dialog.dataset.channel;
      if (location.hash === `#unit-${channel}`) history.replaceState(null, "", location.pathname + location.search);
      document.getElementById(`unit-${channel}`)?.focus();
    }
  }

  customElements.define("nm-atlas-layer", AtlasLayer);
})();
