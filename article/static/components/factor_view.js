// <nm-factor-view>: NMF factors of a unit's decomposition, each a coloured map over the receptive
// window plus its own visualization. Hovering or focusing a factor shows where it acts.
// Data: figure.json (contract kind "factor_view") in a child <script type="application/json">;
// sprite files are relative to the element's data-asset-url.

// A classic script (see sprites.js); the partial loads it once per diagram, so later runs stop at once.
(function () {
  "use strict";
  if (customElements.get("nm-factor-view")) return;
  const { Diagram, el, paintTile } = window.nmSprites;

  const rgba = (hex, alpha) =>
    `rgba(${parseInt(hex.slice(1, 3), 16)}, ${parseInt(hex.slice(3, 5), 16)}, ${parseInt(hex.slice(5, 7), 16)}, ${alpha.toFixed(3)})`;

  // A window-sized grid of squares coloured by `colorAt(r, c)`.
  function windowMap(h, w, colorAt) {
    const map = el("div", { class: "nm-window", "aria-hidden": "true" });
    map.style.gridTemplateColumns = `repeat(${w}, 1fr)`;
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        const square = el("i");
        square.style.backgroundColor = colorAt(r, c);
        map.append(square);
      }
    }
    return map;
  }

  class FactorView extends Diagram {
    setup() {
      this.pinned = null; // the clicked factor, shown when the pointer leaves the list
    }

    render() {
      const { fig } = this;
      const { height: h, width: w } = fig.window;
      this.replaceChildren(this.dataScript);

      const unit = el("div", { class: "nm-panel" },
        el("span", { class: "nm-label", text: "target unit" }),
        el("span", { class: "nm-tile nm-unit", role: "img", "aria-label": `visualization of ${fig.target.label}` }),
        el("p", { class: "nm-note", text: fig.target.label }));
      paintTile(unit.querySelector(".nm-tile"), fig, this.assetUrl, fig.unit_image);

      this.mapLabel = el("span", { class: "nm-label" });
      this.map = windowMap(h, w, () => "#fff");
      this.map.setAttribute("role", "img");
      this.map.removeAttribute("aria-hidden");
      const mapPanel = el("div", { class: "nm-panel" }, this.mapLabel, this.map,
        el("p", { class: "nm-note", text: `${h}\u00d7${w} positions of ${fig.prev_layer}` }));

      const list = el("div", { class: "nm-factors", role: "group", "aria-label": "factors" });
      this.factorButtons = fig.factors.map((factor, i) => {
        const visual = el("span", { class: "nm-tile", role: "img", "aria-label": `visualization of factor ${i + 1}` });
        paintTile(visual, fig, this.assetUrl, factor.image);
        const channels = el("span", { class: "nm-factor-channels" });
        for (const ch of factor.top_channels.slice(0, 3)) {
          const thumb = el("span", { class: "nm-tile", title: `channel ${ch.channel}, weight ${ch.weight.toFixed(3)}` });
          paintTile(thumb, fig, this.assetUrl, ch.image);
          channels.append(thumb);
        }
        if (factor.top_channels.length) {
          channels.append(el("span", { text: factor.top_channels.slice(0, 3).map((ch) => `ch ${ch.channel}`).join(", ") }));
        }
        const button = el("button", { type: "button", class: "nm-factor", "aria-pressed": "false",
          "aria-label": `factor ${i + 1}` },
          windowMap(h, w, (r, c) => rgba(factor.color, factor.map[r][c])), visual,
          el("span", {}, el("span", { class: "nm-label", text: `factor ${i + 1}` }), channels));
        button.style.setProperty("--nm-factor", factor.color);
        button.addEventListener("pointerenter", () => this.highlight(i));
        button.addEventListener("pointerleave", () => this.highlight(this.pinned));
        button.addEventListener("focus", () => this.highlight(i));
        button.addEventListener("blur", () => this.highlight(this.pinned));
        button.addEventListener("click", () => {
          this.pinned = this.pinned === i ? null : i;
          this.factorButtons.forEach((b, k) => b.setAttribute("aria-pressed", String(k === this.pinned)));
          this.highlight(this.pinned ?? i);
        });
        return button;
      });
      list.append(...this.factorButtons);
      this.append(el("div", { class: "nm-row" }, unit, mapPanel, list));
      this.highlight(null);
    }

    // Colours the window by one factor's map, or with `null` by every factor at once: each position
    // takes the colour of its strongest factor, with that factor's value as opacity.
    highlight(index) {
      const { height: h, width: w } = this.fig.window;
      const factors = this.fig.factors;
      const squares = this.map.children;
      for (let r = 0; r < h; r++) {
        for (let c = 0; c < w; c++) {
          let k = index;
          if (k === null) {
            k = 0;
            factors.forEach((f, j) => { if (f.map[r][c] > factors[k].map[r][c]) k = j; });
          }
          squares[r * w + c].style.backgroundColor = rgba(factors[k].color, factors[k].map[r][c]);
        }
      }
      this.factorButtons.forEach((b, k) => b.classList.toggle("is-active", k === index));
      this.mapLabel.textContent = index === null ? "all factors" : `where factor ${index + 1} acts`;
      this.map.setAttribute("aria-label", this.mapLabel.textContent);
      this.map.dataset.factor = index === null ? "all" : String(index);
    }
  }

  customElements.define("nm-factor-view", FactorView);
})();
