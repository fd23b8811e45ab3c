// <nm-decomposition-grid>: a unit's visualization beside the per-position visualizations
// of its earlier-layer components, laid out as in the receptive window.
// Data: figure.json (contract kind "decomposition_grid") in a child <script type="application/json">;
// sprite files are relative to the element's data-asset-url. With data-atlas (see sprites.js), the
// target unit and the top channels link to their atlas entries. The atlas's layer pages show each
// unit in one of these, with a single view and its positive part only: then those toggles are left out.
// Evidence, when the figure has it (older figures do not, and show nothing of it): the unit's dataset
// examples (fig.examples: the top crops under its receptive field, with their activations and file
// names, and how many images were scanned) and an occlusion check on one photo (fig.occlusion: the
// decomposition's predicted contribution of each window position beside the unit's measured drop
// when that position is occluded, on one diverging colour scale, with their correlation and its null).

// A classic script (see sprites.js); the partial loads it once per diagram, so later runs stop at once.
(function () {
  "use strict";
  if (customElements.get("nm-decomposition-grid")) return;
  const { Diagram, el, fixed, keyboardGrid, paintTile, signed } = window.nmSprites;

  const VIEW_ORDER = ["branch", "skip", "full"];
  const VIEW_LABELS = { branch: "branch", skip: "skip path", full: "full" };
  const PART_LABELS = { positive: "excites", negative: "inhibits" };
  const TINY_SET = 100;  // fewer scanned images than this: the strip says the set is tiny

  // Three significant digits, with a true minus sign (the baselines under the figure use the same).
  const sig = (x) => x.toPrecision(3).replace("-", "\u2212");

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
          rowNode.append(button);
          this.cellButtons.push(button);
        }
        this.grid.append(rowNode);
      }
      this.tabStop = keyboardGrid(this.cellButtons, h, w);
      const gridPanel = el("div", { class: "nm-panel" },
        el("span", { class: "nm-label", text: `${fig.prev_layer} by position` }), this.grid);

      this.detail = el("div", { class: "nm-panel nm-detail", "aria-live": "polite" });
      this.append(...(controls.childElementCount ? [controls] : []), el("div", { class: "nm-row" }, unit, gridPanel, this.detail));
      if (fig.examples) this.append(this.examples(fig.examples));
      if (fig.occlusion) this.append(this.occlusion(fig.occlusion));
      this.paintCells();
    }

    // The dataset examples: each crop with its activation and file name, and the set's size stated.
    examples(examples) {
      const { fig } = this;
      const items = examples.top.map((example, rank) => {
        const crop = el("span", { class: "nm-tile", role: "img",
          "aria-label": `${fig.target.label} on ${example.file}: the crop under its receptive field at (${example.position.join(", ")}), activation ${sig(example.activation)}` });
        paintTile(crop, fig, this.assetUrl, example.image);
        return el("li", { "data-rank": String(rank + 1) }, crop,
          el("span", { class: "nm-value", text: sig(example.activation) }),
          el("span", { class: "nm-example-file", text: example.file, title: example.file }));
      });
      const q = examples.activation_quantiles;
      const size = `top ${examples.top.length} of ${examples.images} images` +
        (examples.images < TINY_SET ? " \u2014 a tiny set" : "");
      const skipped = examples.skipped ? `, ${examples.skipped} unreadable skipped` : "";
      return el("section", { class: "nm-panel nm-examples", "aria-label": `dataset examples of ${fig.target.label}` },
        el("span", { class: "nm-label", text: "dataset examples" }),
        el("p", { class: "nm-note nm-examples-size", text: `${size}: ${examples.source}${skipped}, at ${examples.input_size} px.` }),
        el("ol", { class: "nm-example-list" }, ...items),
        el("p", { class: "nm-note", text: `Each crop is the input under the unit's receptive field at its maximum; ` +
          `the unit's maximum over every scanned image: median ${sig(q.q50)}, 95% below ${sig(q.q95)}.` }));
    }

    // The occlusion check: predicted contribution and measured drop per window position, one
    // colour scale for both (orange raises the unit, blue lowers it); positions outside the map blank.
    // One position is selected in both maps; each map is one tab stop, moved by arrow keys.
    occlusion(check) {
      const { fig } = this;
      const { height: h, width: w } = fig.window;
      const values = [...check.predicted.flat(), ...check.measured.flat()].filter((v) => v !== null);
      const scale = Math.max(1e-12, ...values.map(Math.abs));
      const offsets = this.fig.views[this.view].positive.cells.map((c) => c.offset);
      const readout = el("p", { class: "nm-note nm-occlusion-readout", "aria-live": "polite" });
      const maps = [];
      const select = (index) => {
        const [r, c] = [Math.floor(index / w), index % w];
        const [dy, dx] = offsets[index];
        const at = `offset (${signed(dy)}, ${signed(dx)})`;
        readout.textContent = check.predicted[r][c] === null
          ? `${at}: outside the map`
          : `${at}: predicted ${sig(check.predicted[r][c])}, measured ${sig(check.measured[r][c])}`;
        readout.dataset.index = String(index);
        for (const map of maps) {
          map.cells.forEach((cell, i) => cell.classList.toggle("is-active", i === index));
          map.tabStop(index);
        }
      };
      const heatMap = (name, grid) => {
        const node = el("div", { class: "nm-heat", role: "grid", "data-map": name,
          "aria-label": `${name} per position of the ${h} by ${w} window; arrow keys move` });
        node.style.gridTemplateColumns = `repeat(${w}, 1fr)`;
        const cells = [];
        for (let r = 0; r < h; r++) {
          const row = el("div", { role: "row", style: "display: contents" });
          for (let c = 0; c < w; c++) {
            const index = r * w + c;
            const value = grid[r][c];
            const [dy, dx] = offsets[index];
            const cell = el("button", { type: "button", class: "nm-heat-cell", role: "gridcell", tabindex: "-1",
              "aria-label": `offset ${signed(dy)}, ${signed(dx)}: ${value === null ? "outside the map" : `${name} ${sig(value)}`}` });
            if (value === null) cell.classList.add("nm-heat-empty");
            else cell.style.background = heatColour(value / scale);
            cell.addEventListener("pointerenter", () => select(index));
            cell.addEventListener("focus", () => select(index));
            cell.addEventListener("click", () => select(index));
            row.append(cell);
            cells.push(cell);
          }
          node.append(row);
        }
        maps.push({ cells, tabStop: keyboardGrid(cells, h, w) });
        return el("div", { class: "nm-panel nm-heat-panel" }, el("span", { class: "nm-label", text: name }), node);
      };
      const photo = el("span", { class: "nm-tile nm-occlusion-photo", role: "img", "aria-label": `the input, ${check.file}` });
      paintTile(photo, fig, this.assetUrl, check.photo);
      const summary = check.pearson === null
        ? "Pearson r: none (the predictions or the drops do not vary)"
        : `Pearson r = ${sig(check.pearson)}` + (check.null
          ? ` (shuffled null: 95% of r below ${sig(check.null.quantiles.q95)})` : "");
      const details = [
        check.spearman === null ? null : `Spearman \u03c1 = ${sig(check.spearman)}`,
        `${check.n} positions inside the map`,
        check.null ? `null: ${check.null.kind}, n = ${check.null.n}, exceeded by ${Math.round(100 * check.null.exceeded_by)}%` : null,
        `${check.target.label} = ${sig(check.unit_value)} on the photo`,
      ].filter(Boolean).join(" \u00b7 ");
      // r of one comparison ({pearson, null}) as a phrase; the off-centre positions alone, and the
      // local gradient's predictions (check.gradient), are the baselines the article quotes.
      const rText = (found) => found.pearson === null ? "none"
        : `r = ${sig(found.pearson)}` + (found.null ? ` (null: 95% below ${sig(found.null.quantiles.q95)})` : "");
      const comparisons = [
        check.off_centre ? `off-centre positions only: ${rText(check.off_centre)}` : null,
        check.gradient ? `local gradient on this photo: ${rText(check.gradient)}` +
          (check.gradient.off_centre ? `, off-centre ${rText(check.gradient.off_centre)}` : "") : null,
      ].filter(Boolean);
      const section = el("section", { class: "nm-panel nm-occlusion", "aria-label": `occlusion check of ${check.target.label} on ${check.file}` },
        el("span", { class: "nm-label", text: `occlusion check on ${check.file}` }),
        el("div", { class: "nm-row" },
          el("div", { class: "nm-panel" }, el("span", { class: "nm-label", text: "input" }), photo),
          heatMap("predicted contribution", check.predicted),
          heatMap("measured drop", check.measured),
          el("div", { class: "nm-legend nm-heat-legend", role: "img",
            "aria-label": `one colour scale for both maps, from \u2212${sig(scale)} (blue: the position lowers the unit) to ${sig(scale)} (orange: it raises it)` },
            el("span", { text: `\u2212${sig(scale)}` }), el("i"), el("span", { text: sig(scale) }))),
        readout,
        el("p", { class: "nm-occlusion-r", text: summary }),
        ...comparisons.map((text) => el("p", { class: "nm-note nm-occlusion-baseline", text })),
        el("p", { class: "nm-note", text: `${details}. Each ${fig.prev_layer} position of the window is replaced by the map's mean and the unit re-run.` }));
      const centre = offsets.findIndex(([dy, dx]) => dy === 0 && dx === 0);
      select(centre >= 0 ? centre : 0);
      return section;
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
        paintTile(button.firstChild, this.fig, this.assetUrl, cell.image);
      });
      this.select(this.selected);
    }

    // The window is one tab stop (keyboardGrid), at the selected cell.
    select(index) {
      this.selected = index;
      this.tabStop(index);
      this.show(index);
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

  // A diverging colour for t in [-1, 1]: white at 0, the excite colour at +1, the inhibit colour at -1.
  function heatColour(t) {
    const [r, g, b] = t >= 0 ? [217, 89, 11] : [33, 102, 172];
    const a = Math.min(1, Math.abs(t));
    const mix = (c) => Math.round(255 + (c - 255) * a);
    return `rgb(${mix(r)}, ${mix(g)}, ${mix(b)})`;
  }

  customElements.define("nm-decomposition-grid", DecompositionGrid);
})();
