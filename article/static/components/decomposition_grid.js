// <nm-decomposition-grid>: a unit's visualization beside the per-position visualizations
// of its earlier-layer components, laid out as in the receptive window.
// Data: figure.json (contract kind "decomposition_grid") in a child <script type="application/json">;
// sprite files are relative to the element's data-asset-url. With data-atlas (see sprites.js), the
// target unit and the top channels link to their atlas entries. The atlas's layer pages show each
// unit in one of these, with a single view and its positive part only: then those toggles are left out.

// A classic script (see sprites.js); the partial loads it once per diagram, so later runs stop at once.
(function () {
  "use strict";
  if (customElements.get("nm-decomposition-grid")) return;
  const { Diagram, el, fixed, gridKey, paintTile, signed } = window.nmSprites;

  const VIEW_ORDER = ["branch", "skip", "full"];
  const VIEW_LABELS = { branch: "branch", skip: "skip path", full: "full" };
  const PART_LABELS = { positive: "excites", negative: "inhibits" };

  class DecompositionGrid extends Diagram {
    setup() {
      this.views = VIEW_ORDER.filter((v) => v in this.fig.views);
      this.view = this.views.includes("branch") ? "branch" : this.views[0];
      this.parts = Object.keys(PART_LABELS).filter((p) => p in this.fig.views[this.view]);
      this.part = "positive";
      this.selected = this.centreIndex();
    }

    centreIndex() {
      const cells = this.fig.views[this.view].positive.cells;
      const centre = cells.findIndex((c) => c.offset[0] === 0 && c.offset[1] === 0);
      return centre >= 0 ? centre : 0;
    }

    cells() {
      return this.fig.views[this.view][this.part].cells;
    }

    render() {
      const { fig } = this;
      const { height: h, width: w } = fig.window;
      this.replaceChildren(this.dataScript);
      this.dataset.part = this.part;

      const controls = el("div", { class: "nm-controls" });
      if (this.views.length > 1) {
        controls.append(this.toggle("path", this.views, VIEW_LABELS, () => this.view, (v) => { this.view = v; }));
      }
      if (this.parts.length > 1) {
        controls.append(this.toggle("show", this.parts, PART_LABELS, () => this.part, (p) => { this.part = p; }));
      }

      const entry = this.atlasEntry(fig.model, fig.target.layer, fig.target.channel);
      const unit = el("div", { class: "nm-panel" },
        el("span", { class: "nm-label", text: "target unit" }),
        el("span", { class: "nm-tile nm-unit", role: "img", "aria-label": `visualization of ${fig.target.label}` }),
        el("p", { class: "nm-note" }, entry
          ? el("a", { class: "nm-atlas-link", href: entry, title: "this unit in the atlas", text: fig.target.label })
          : fig.target.label));
      paintTile(unit.querySelector(".nm-tile"), fig, this.assetUrl, fig.unit_image);

      this.grid = el("div", {
        class: "nm-grid", role: "grid",
        "aria-label": `${fig.prev_layer} components of ${fig.target.label}, ${h} by ${w} window`,
      });
      this.grid.style.gridTemplateColumns = `repeat(${w}, 1fr)`;
      this.cellButtons = [];
      for (let r = 0; r < h; r++) {
        const rowNode = el("div", { role: "row", style: "display: contents" });
        for (let c = 0; c < w; c++) {
          const index = r * w + c;
          const button = el("button", { type: "button", class: "nm-cell", role: "gridcell", tabindex: "-1" },
            el("span", { class: "nm-tile" }));
          button.addEventListener("pointerenter", () => this.show(index));
          button.addEventListener("pointerleave", () => this.show(this.selected));
          button.addEventListener("focus", () => this.select(index));
          button.addEventListener("click", () => this.select(index));
          button.addEventListener("keydown", (event) => this.onKey(event, index));
          rowNode.append(button);
          this.cellButtons.push(button);
        }
        this.grid.append(rowNode);
      }
      const gridPanel = el("div", { class: "nm-panel" },
        el("span", { class: "nm-label", text: `${fig.prev_layer} by position` }), this.grid);

      this.detail = el("div", { class: "nm-panel nm-detail", "aria-live": "polite" });
      this.append(...(controls.childElementCount ? [controls] : []), el("div", { class: "nm-row" }, unit, gridPanel, this.detail));
      this.paintCells();
    }

    toggle(name, values, labels, get, set) {
      const group = el("div", { class: "nm-toggle", role: "group", "aria-label": name }, el("span", { text: name }));
      for (const value of values) {
        const button = el("button", { type: "button", "data-value": value, "aria-pressed": String(get() === value), text: labels[value] });
        button.addEventListener("click", () => {
          if (get() === value) return;
          set(value);
          for (const b of group.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b === button));
          this.dataset.part = this.part;
          this.paintCells();
        });
        group.append(button);
      }
      return group;
    }

    paintCells() {
      const cells = this.cells();
      cells.forEach((cell, i) => {
        const button = this.cellButtons[i];
        button.style.setProperty("--nm-weight", cell.weight);
        button.classList.toggle("is-centre", cell.offset[0] === 0 && cell.offset[1] === 0);
        button.setAttribute("aria-label",
          `offset ${signed(cell.offset[0])}, ${signed(cell.offset[1])}: norm ${fixed(cell.norm)}`);
        button.tabIndex = i === this.selected ? 0 : -1;
        paintTile(button.firstChild, this.fig, this.assetUrl, cell.image);
      });
      this.show(this.selected);
    }

    select(index) {
      this.selected = index;
      this.cellButtons.forEach((b, i) => { b.tabIndex = i === index ? 0 : -1; });
      this.show(index);
    }

    // Arrow keys move within the window (one tab stop for the whole grid); Home/End jump to the ends.
    onKey(event, index) {
      const { height: h, width: w } = this.fig.window;
      const next = gridKey(event.key, index, h, w);
      if (next === null) return;
      event.preventDefault();
      this.cellButtons[next].focus();
    }

    show(index) {
      const cell = this.cells()[index];
      this.cellButtons.forEach((b, i) => b.classList.toggle("is-active", i === index));
      const large = el("span", { class: "nm-tile nm-large", role: "img" });
      paintTile(large, this.fig, this.assetUrl, cell.image);
      large.setAttribute("aria-label", `${PART_LABELS[this.part]} at offset ${signed(cell.offset[0])}, ${signed(cell.offset[1])}`);
      const channels = el("ol", { class: "nm-channels" });
      const top = Math.max(1e-12, ...cell.top_channels.map((ch) => Math.abs(ch.weight)));
      for (const ch of cell.top_channels) {
        const thumb = el("span", { class: "nm-tile" });
        paintTile(thumb, this.fig, this.assetUrl, ch.image);
        const bar = el("span", { class: "nm-bar" });
        bar.style.width = `${(60 * Math.abs(ch.weight)) / top}%`;
        const entry = this.atlasEntry(this.fig.model, this.fig.prev_layer, ch.channel);
        channels.append(el("li", {},
          thumb,
          entry ? el("a", { class: "nm-value nm-atlas-link", href: entry, title: `${this.fig.prev_layer}:${ch.channel} in the atlas`,
            text: `ch ${ch.channel}` }) : el("span", { class: "nm-value", text: `ch ${ch.channel}` }),
          el("span", { title: `weight ${fixed(ch.weight, 3)}` }, bar, el("span", { class: "nm-value", text: fixed(ch.weight, 3) }))));
      }
      this.detail.replaceChildren(
        el("span", { class: "nm-label", text: `${PART_LABELS[this.part]} at offset (${signed(cell.offset[0])}, ${signed(cell.offset[1])})` }),
        large,
        el("p", { class: "nm-detail-caption nm-value", text: `norm ${fixed(cell.norm)} \u00b7 ${Math.round(100 * cell.weight)}% of max` }),
        ...(cell.top_channels.length
          ? [el("span", { class: "nm-label", text: `top ${this.fig.prev_layer} channels` }), channels]
          : []));
      this.detail.dataset.index = String(index);
    }
  }

  customElements.define("nm-decomposition-grid", DecompositionGrid);
})();
