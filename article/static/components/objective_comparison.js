// <nm-objective-comparison>: one unit visualized under several objectives, as a matrix of
// objective (neuron, channel) by direction (dot, cossim). Panels with a decomposition show its
// window below; hovering or focusing a cell shows that position's visualization in the panel.
// Data: figure.json (contract kind "objective_comparison") in a child <script type="application/json">;
// sprite files are relative to the element's data-asset-url. With data-atlas (see sprites.js), the
// unit's label above the matrix links to its atlas entry.

// A classic script (see sprites.js); the partial loads it once per diagram, so later runs stop at once.
(function () {
  "use strict";
  if (customElements.get("nm-objective-comparison")) return;
  const { Diagram, el, keyboardGrid, paintTile, signed } = window.nmSprites;

  const OBJECTIVE_LABELS = { neuron: "neuron objective", channel: "channel objective" };
  const DIRECTION_LABELS = { dot: "dot product", cossim: "cosine similarity" };

  class ObjectiveComparison extends Diagram {
    render() {
      const panels = this.fig.panels;
      const objectives = [...new Set(panels.map((p) => p.objective))];
      const directions = [...new Set(panels.map((p) => p.direction))];
      const matrix = el("div", { class: "nm-matrix" });
      matrix.style.gridTemplateColumns = `repeat(${directions.length + 1}, max-content)`;
      matrix.append(el("span"), ...directions.map((d) => el("span", { class: "nm-label", text: DIRECTION_LABELS[d] })));
      for (const objective of objectives) {
        matrix.append(el("span", { class: "nm-label", text: OBJECTIVE_LABELS[objective] }));
        for (const direction of directions) {
          // Two panels may share a cell of the matrix; each is shown, one after the other.
          const here = panels.filter((p) => p.objective === objective && p.direction === direction);
          matrix.append(here.length ? el("div", { class: "nm-row" }, ...here.map((p) => this.panel(p))) : el("span"));
        }
      }
      const { target } = this.fig;
      const entry = this.atlasEntry(this.fig.model, target.layer, target.channel);
      const unit = el("p", { class: "nm-note" }, "target unit ", entry
        ? el("a", { class: "nm-atlas-link", href: entry, title: "this unit in the atlas", text: target.label }) : target.label);
      this.replaceChildren(this.dataScript, unit, matrix);
    }

    panel(panel) {
      const node = el("section", { class: "nm-objective", "data-panel": panel.id, "aria-label": panel.label });
      const large = el("span", { class: "nm-tile nm-large", role: "img" });
      const caption = el("p", { class: "nm-detail-caption nm-value" });
      const showUnit = () => {
        paintTile(large, this.fig, this.assetUrl, panel.unit_image);
        large.setAttribute("aria-label", `${this.fig.target.label}, ${panel.label}`);
        caption.textContent = `objective value ${panel.value.toFixed(2)}`;
      };
      showUnit();
      node.append(el("span", { class: "nm-label", text: panel.label }), large, caption);
      if (!panel.cells.length) {
        node.append(el("p", { class: "nm-note", text: panel.window ? "no decomposition" : "whole channel: no window" }));
        return node;
      }
      const { height: h, width: w } = panel.window;
      const grid = el("div", { class: "nm-grid", role: "grid", "aria-label": `${panel.label}: components by position` });
      grid.style.gridTemplateColumns = `repeat(${w}, 1fr)`;
      // One tab stop per panel (roving tabindex), entered at the centre cell at first and then at the
      // last cell focused; arrow keys, Home and End move within the window.
      const centre = Math.max(0, panel.cells.findIndex((cell) => cell.offset[0] === 0 && cell.offset[1] === 0));
      const buttons = panel.cells.map((cell, i) => {
        const tile = el("span", { class: "nm-tile" });
        paintTile(tile, this.fig, this.assetUrl, cell.image);
        const button = el("button", { type: "button", class: "nm-cell", role: "gridcell",
          "aria-label": `offset ${signed(cell.offset[0])}, ${signed(cell.offset[1])}` }, tile);
        button.style.setProperty("--nm-weight", cell.weight);
        button.classList.toggle("is-centre", cell.offset[0] === 0 && cell.offset[1] === 0);
        const show = () => {
          paintTile(large, this.fig, this.assetUrl, cell.image);
          large.setAttribute("aria-label", `component at offset ${signed(cell.offset[0])}, ${signed(cell.offset[1])}`);
          caption.textContent = `offset (${signed(cell.offset[0])}, ${signed(cell.offset[1])}) \u00b7 norm ${cell.norm.toFixed(2)}`;
          buttons.forEach((b) => b.classList.toggle("is-active", b === button));
        };
        const reset = () => {
          showUnit();
          button.classList.remove("is-active");
        };
        button.addEventListener("pointerenter", show);
        button.addEventListener("focus", () => {
          tabStop(i);
          show();
        });
        button.addEventListener("click", show);
        button.addEventListener("pointerleave", () => { if (document.activeElement !== button) reset(); });
        button.addEventListener("blur", reset);
        return button;
      });
      const tabStop = keyboardGrid(buttons, h, w);
      tabStop(centre);
      for (let r = 0; r < h; r++) {
        grid.append(el("div", { role: "row", style: "display: contents" }, ...buttons.slice(r * w, (r + 1) * w)));
      }
      node.append(grid);
      return node;
    }
  }

  customElements.define("nm-objective-comparison", ObjectiveComparison);
})();
