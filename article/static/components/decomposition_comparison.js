// <nm-decomposition-comparison>: units of several models side by side, each with its own
// visualization, its window of positive components and its named measures; hovering or focusing a
// cell shows that component large with its top channels, norm and per-cell measures.
// Data: figure.json (contract kind "decomposition_comparison") in a child <script type="application/json">;
// sprite files are relative to the element's data-asset-url. With data-atlas (see sprites.js), a
// panel's unit links to its atlas entry.

// A classic script (see sprites.js); the partial loads it once per diagram, so later runs stop at once.
(function () {
  "use strict";
  if (customElements.get("nm-decomposition-comparison")) return;
  const { Diagram, el, fixed, keyboardGrid, paintTile, signed } = window.nmSprites;

  class DecompositionComparison extends Diagram {
    render() {
      const { fig } = this;
      const legend = el("dl", { class: "nm-measure-legend" });
      for (const m of [...fig.measures, ...fig.cell_measures]) legend.append(el("dt", { text: m.label }), el("dd", { text: m.description }));
      this.replaceChildren(this.dataScript, el("div", { class: "nm-row nm-comparison" }, ...fig.panels.map((p) => this.panel(p))), legend);
    }

    panel(panel) {
      const { fig } = this;
      const { height: h, width: w } = panel.window;
      const node = el("section", { class: "nm-panel nm-compare-panel", "data-panel": panel.id,
        "aria-label": `${panel.model_label} ${panel.target.label}` });
      const unit = el("span", { class: "nm-tile nm-unit", role: "img", "aria-label": `visualization of ${panel.model_label} ${panel.target.label}` });
      paintTile(unit, fig, this.assetUrl, panel.unit_image);
      const measures = el("table", { class: "nm-measures" },
        el("tbody", {}, ...fig.measures.map((m) => el("tr", { title: m.description },
          el("th", { text: m.label }), el("td", { class: "nm-value", text: fixed(panel.values[m.id], 3) })))));
      const detail = el("div", { class: "nm-detail", "aria-live": "polite" });
      const grid = el("div", { class: "nm-grid", role: "grid",
        "aria-label": `${panel.prev_layer} components of ${panel.target.label}, ${h} by ${w} window` });
      grid.style.gridTemplateColumns = `repeat(${w}, 1fr)`;
      const centre = Math.max(0, panel.cells.findIndex((c) => c.offset[0] === 0 && c.offset[1] === 0));
      let selected = centre;
      const show = (index) => {
        const cell = panel.cells[index];
        buttons.forEach((b, i) => b.classList.toggle("is-active", i === index));
        const large = el("span", { class: "nm-tile nm-large", role: "img",
          "aria-label": `component at offset ${signed(cell.offset[0])}, ${signed(cell.offset[1])}` });
        paintTile(large, fig, this.assetUrl, cell.image);
        const perCell = fig.cell_measures.map((m) =>
          `${m.label} ${fixed(panel.cell_values[m.id][cell.row][cell.col], 3)}`);
        const channels = el("ol", { class: "nm-channels" });
        for (const ch of cell.top_channels) {
          const thumb = el("span", { class: "nm-tile" });
          paintTile(thumb, fig, this.assetUrl, ch.image);
          channels.append(el("li", {}, thumb, el("span", { class: "nm-value", text: `ch ${ch.channel}` }),
            el("span", { class: "nm-value", text: fixed(ch.weight, 3) })));
        }
        detail.replaceChildren(large,
          el("p", { class: "nm-detail-caption nm-value",
            text: [`offset (${signed(cell.offset[0])}, ${signed(cell.offset[1])})`, `norm ${fixed(cell.norm)}`, ...perCell].join(" \u00b7 ") }),
          channels);
      };
      const buttons = panel.cells.map((cell, i) => {
        const tile = el("span", { class: "nm-tile" });
        paintTile(tile, fig, this.assetUrl, cell.image);
        const button = el("button", { type: "button", class: "nm-cell", role: "gridcell",
          "aria-label": `offset ${signed(cell.offset[0])}, ${signed(cell.offset[1])}: norm ${fixed(cell.norm)}` }, tile);
        button.style.setProperty("--nm-weight", cell.weight);
        button.classList.toggle("is-centre", i === centre);
        button.addEventListener("pointerenter", () => show(i));
        button.addEventListener("pointerleave", () => show(selected));
        const select = () => {
          selected = i;
          tabStop(i);
          show(i);
        };
        button.addEventListener("focus", select);
        button.addEventListener("click", select);
        return button;
      });
      const tabStop = keyboardGrid(buttons, h, w);
      tabStop(centre);
      for (let r = 0; r < h; r++) grid.append(el("div", { role: "row", style: "display: contents" }, ...buttons.slice(r * w, (r + 1) * w)));
      show(centre);
      node.append(
        el("span", { class: "nm-label", text: panel.model_label }),
        el("p", { class: "nm-note" }, this.unitLabel(panel), ` over ${panel.prev_layer} (${panel.path})`),
        el("div", { class: "nm-row" }, unit, grid), measures, detail);
      return node;
    }

    unitLabel(panel) {
      const entry = this.atlasEntry(panel.model, panel.target.layer, panel.target.channel);
      return entry ? el("a", { class: "nm-atlas-link", href: entry, text: panel.target.label,
        title: `${panel.model_label} ${panel.target.layer}:${panel.target.channel} in the atlas` }) : panel.target.label;
    }
  }

  customElements.define("nm-decomposition-comparison", DecompositionComparison);
})();
