// <nm-attribution-explorer>: a photo with a hidden layer's grid over it, the scalar saliency map
// beside it, and the feature visualization of the attribution vector of the cell under the pointer.
// Data: figure.json (contract kind "attribution_explorer") in a child <script type="application/json">;
// image files are relative to the element's data-asset-url.

// A classic script (see sprites.js); the partial loads it once per diagram, so later runs stop at once.
(function () {
  "use strict";
  if (customElements.get("nm-attribution-explorer")) return;
  const { Diagram, assetHref, el, fixed, keyboardGrid, paintTile } = window.nmSprites;

  // Diverging colour map: inhibiting (negative) blue, 0 white, exciting (positive) orange.
  const NEGATIVE = [33, 102, 172];
  const POSITIVE = [217, 89, 11];
  function diverging(t) {
    const end = t < 0 ? NEGATIVE : POSITIVE;
    const a = Math.min(1, Math.abs(t));
    return end.map((v) => Math.round(255 + (v - 255) * a));
  }

  class AttributionExplorer extends Diagram {
    setup() {
      this.target = this.fig.targets[0].id;
      this.method = this.fig.methods[0].id;
      const { height: gh, width: gw } = this.fig.grid;
      this.selected = Math.floor(gh / 2) * gw + Math.floor(gw / 2);
    }

    result() {
      return this.fig.results[this.target][this.method];
    }

    render() {
      const { fig } = this;
      const { height: gh, width: gw } = fig.grid;
      this.replaceChildren(this.dataScript);

      const controls = el("div", { class: "nm-controls" },
        this.toggle("target", fig.targets, () => this.target, (v) => { this.target = v; }),
        this.toggle("method", fig.methods, () => this.method, (v) => { this.method = v; }));

      const photo = el("img", {
        src: assetHref(this.assetUrl, fig.photo.file), width: fig.photo.width, height: fig.photo.height,
        alt: "The input photo",
      });
      this.overlay = el("div", { class: "nm-overlay", role: "grid", "aria-label": `${fig.layer} positions over the photo, ${gh} by ${gw}` });
      this.overlay.style.gridTemplate = `repeat(${gh}, 1fr) / repeat(${gw}, 1fr)`;
      this.cellButtons = [];
      for (let i = 0; i < gh * gw; i++) {
        const button = el("button", { type: "button", role: "gridcell",
          "aria-label": `${fig.layer} position row ${Math.floor(i / gw) + 1}, column ${(i % gw) + 1}` });
        button.addEventListener("pointerenter", () => this.show(i));
        button.addEventListener("pointerleave", () => this.show(this.selected));
        button.addEventListener("focus", () => this.select(i));
        button.addEventListener("click", () => this.select(i));
        this.cellButtons.push(button);
      }
      this.tabStop = keyboardGrid(this.cellButtons, gh, gw);
      this.tabStop(this.selected);
      this.overlay.append(...this.cellButtons);
      const photoPanel = el("div", { class: "nm-panel" },
        el("span", { class: "nm-label", text: `photo \u00b7 ${fig.layer} grid` }),
        el("div", { class: "nm-photo" }, photo, this.overlay));

      this.canvas = el("canvas", { width: gw, height: gh, role: "img" });
      this.canvas.style.aspectRatio = `${fig.photo.width} / ${fig.photo.height}`;
      // The heat map follows the pointer too, so either picture can be explored.
      this.canvas.addEventListener("pointermove", (event) => {
        const box = this.canvas.getBoundingClientRect();
        const c = Math.min(gw - 1, Math.floor(((event.clientX - box.left) / box.width) * gw));
        const r = Math.min(gh - 1, Math.floor(((event.clientY - box.top) / box.height) * gh));
        this.show(r * gw + c);
      });
      this.canvas.addEventListener("pointerleave", () => this.show(this.selected));
      this.marker = el("div", { class: "nm-marker" });
      this.marker.style.width = `${100 / gw}%`;
      this.marker.style.height = `${100 / gh}%`;
      this.scale = el("span", { class: "nm-value" });
      const saliencyPanel = el("div", { class: "nm-panel" },
        el("span", { class: "nm-label", text: "saliency (sum over channels)" }),
        el("div", { class: "nm-saliency" }, this.canvas, this.marker),
        el("div", { class: "nm-legend" }, el("span", { text: "inhibits" }), el("i"), el("span", { text: "excites" })),
        el("p", { class: "nm-note" }, "scale \u00b1", this.scale));

      this.detail = el("div", { class: "nm-panel nm-detail", "aria-live": "polite" });
      this.completeness = el("p", { class: "nm-completeness nm-value" });
      this.append(controls, el("div", { class: "nm-row" }, photoPanel, saliencyPanel, this.detail), this.completeness);
      this.update();
    }

    toggle(name, options, get, set) {
      const group = el("div", { class: "nm-toggle", role: "group", "aria-label": name }, el("span", { text: name }));
      for (const option of options) {
        const button = el("button", { type: "button", "data-value": option.id, "aria-pressed": String(get() === option.id), text: option.label });
        button.addEventListener("click", () => {
          set(option.id);
          for (const b of group.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b === button));
          this.update();
        });
        group.append(button);
      }
      return group;
    }

    update() {
      const { height: gh, width: gw } = this.fig.grid;
      const result = this.result();
      const max = Math.max(1e-12, ...result.saliency.flat().map(Math.abs));
      const ctx = this.canvas.getContext("2d");
      const pixels = ctx.createImageData(gw, gh);
      result.saliency.flat().forEach((value, i) => {
        pixels.data.set([...diverging(value / max), 255], 4 * i);
      });
      ctx.putImageData(pixels, 0, 0);
      this.canvas.setAttribute("aria-label", `saliency map for ${this.label(this.fig.targets, this.target)}`);
      this.scale.textContent = fixed(max, 3);

      const c = result.completeness;
      this.completeness.replaceChildren(
        el("span", { class: "nm-label", text: "completeness" }),
        `target change ${fixed(c.target_delta)} \u00b7 sum of attributions ${fixed(c.attribution_sum)} \u00b7 `,
        el("b", { text: `gap ${fixed(c.gap)}` }), ` \u00b7 attributions explain ${fixed(100 * c.ratio, 1)}% of the change`);
      this.show(this.selected);
    }

    label(options, id) {
      return options.find((o) => o.id === id).label;
    }

    select(index) {
      this.selected = index;
      this.tabStop(index);
      this.show(index);
    }

    show(index) {
      const { width: gw } = this.fig.grid;
      const cell = this.result().cells[index];
      const r = Math.floor(index / gw);
      const c = index % gw;
      this.cellButtons.forEach((b, i) => b.classList.toggle("is-active", i === index));
      this.marker.style.left = `${(100 * c) / gw}%`;
      this.marker.style.top = `${(100 * r) / this.fig.grid.height}%`;
      const large = el("span", { class: "nm-tile nm-large", role: "img",
        "aria-label": `what ${this.fig.layer} sees at row ${r + 1}, column ${c + 1}` });
      paintTile(large, this.fig, this.assetUrl, cell.image);
      const saliency = this.result().saliency[r][c];
      this.detail.replaceChildren(
        el("span", { class: "nm-label", text: `attribution at row ${r + 1}, col ${c + 1}` }),
        large,
        el("p", { class: "nm-detail-caption nm-value",
          text: `saliency ${fixed(saliency)} \u00b7 norm ${fixed(cell.norm)} (${Math.round(100 * cell.weight)}% of max)` }),
        el("p", { class: "nm-note", text: `${this.label(this.fig.targets, this.target)}; ${this.label(this.fig.methods, this.method)}` }));
      this.detail.dataset.index = String(index);
    }
  }

  customElements.define("nm-attribution-explorer", AttributionExplorer);
})();
