// <nm-trends>: per-unit measures of every unit of some atlas layers, one strip of dots per layer,
// against their baselines. The structure panel shows a measure (off-centre share or concentration)
// with the layer's quartiles and the flat window's value; the assembly panel shows each unit's
// assembly share with the null's 5-95% band and the pooling threshold, and per layer the share of
// units that assemble beside the null's. Hover, tap or arrow keys pick a unit, named below with a
// link to its atlas entry when the site has one (data-atlas, see sprites.js).
// Data: figure.json (contract kind "trends") in a child <script type="application/json">.

// A classic script (see sprites.js); the partial loads it once per diagram, so later runs stop at once.
(function () {
  "use strict";
  if (customElements.get("nm-trends")) return;
  const { Diagram, el, fixed } = window.nmSprites;
  const SVG = "http://www.w3.org/2000/svg";
  const WIDTH = 640;
  const LEFT = 128;     // layer labels
  const RIGHT = 112;    // the per-layer share on the assembly panel
  const ROW = 46;
  const TOP = 30;

  function svg(tag, attrs = {}, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    node.append(...children);
    return node;
  }

  const percent = (x) => `${Math.round(100 * x)}%`;
  // A unit's vertical place in its strip: fixed by its channel, so a redraw never moves it.
  const jitter = (channel) => ((channel * 0.618034) % 1) - 0.5;

  class Trends extends Diagram {
    setup() {
      this.structure = "off_centre_share";
      this.named = new Set(this.fig.named.map((u) => `${u.model}/${u.layer}/${u.channel}`));
    }

    render() {
      const { fig } = this;
      const label = (id) => fig.measures.find((m) => m.id === id).label;
      this.buttons = ["off_centre_share", "concentration"].map((id) => {
        const button = el("button", { type: "button", "aria-pressed": String(id === this.structure), text: label(id) });
        button.addEventListener("click", () => {
          this.structure = id;
          for (const b of this.buttons) b.setAttribute("aria-pressed", String(b === button));
          this.structurePanel.replaceWith((this.structurePanel = this.panel(id)));
        });
        return button;
      });
      const controls = el("div", { class: "nm-controls" },
        el("div", { class: "nm-toggle", role: "group", "aria-label": "structure measure" }, el("span", { text: "structure" }), ...this.buttons));
      this.detail = el("p", { class: "nm-trends-detail", role: "status", text: "Hover or tap a dot for its unit." });
      const key = el("p", { class: "nm-note" }, "Dots: ", el("span", { class: "nm-assembles", text: "assembles" }), ", ",
        el("span", { class: "nm-pools", text: "pools" }), " (against the null); boxes: the layer's 25–75%, with its median.");
      this.structurePanel = this.panel(this.structure);
      const legend = el("dl", { class: "nm-measure-legend" });
      for (const m of fig.measures) legend.append(el("dt", { text: m.label }), el("dd", { text: m.description }));
      this.replaceChildren(this.dataScript, controls, this.structurePanel, this.panel("assembly_share"), this.detail, key, legend);
    }

    // One measure's panel: a strip per layer, its baseline and the layer's summary.
    panel(measure) {
      const { fig } = this;
      const assembly = measure === "assembly_share";
      const layers = fig.layers;
      const height = TOP + ROW * layers.length + 26;
      const right = assembly ? RIGHT : 16;
      const values = layers.flatMap((l) => l.units.map((u) => u[measure]));
      const baselines = layers.map((l) => l.summary[measure].trivial?.value).filter((v) => v !== undefined);
      let lo = Math.min(...values, ...baselines);
      let hi = Math.max(...values, ...baselines);
      if (assembly) [lo, hi] = [0, 1];
      const pad = (hi - lo) * 0.03 || 0.01;
      lo -= pad; hi += pad;
      const x = (v) => LEFT + ((v - lo) / (hi - lo)) * (WIDTH - LEFT - right);
      const title = assembly ? "Pooling or assembling" : "Spatial structure";
      const root = svg("svg", { viewBox: `0 0 ${WIDTH} ${height}`, class: "nm-trends-plot", "data-measure": measure,
        role: "group", "aria-label": `${title}: ${fig.measures.find((m) => m.id === measure).label} of every unit, per layer` });
      root.append(svg("text", { x: 0, y: 14, class: "nm-trends-title" }, title));
      if (assembly) root.append(svg("text", { x: WIDTH, y: 14, class: "nm-trends-axis", "text-anchor": "end" }, "assemble (null)"));
      // The axis: five ticks over the domain.
      const axisY = TOP + ROW * layers.length + 4;
      root.append(svg("line", { x1: x(lo), x2: x(hi), y1: axisY, y2: axisY, class: "nm-trends-rule" }));
      for (let k = 0; k <= 4; k++) {
        const v = lo + pad + ((hi - lo - 2 * pad) * k) / 4;
        root.append(svg("text", { x: x(v), y: axisY + 16, class: "nm-trends-axis", "text-anchor": "middle" },
          assembly ? percent(v) : fixed(v, 2)));
      }
      const flat = layers[0].summary[measure].trivial;
      if (flat) root.append(svg("text", { x: x(flat.value), y: TOP - 4, class: "nm-trends-axis", "text-anchor": "middle" }, "flat window"));
      layers.forEach((layer, i) => root.append(this.strip(layer, measure, TOP + ROW * i, x)));
      // A phone scrolls the plot sideways rather than shrink its labels below reading size.
      return el("section", { class: "nm-panel nm-trends-panel", "data-measure": measure },
        el("div", { class: "nm-trends-scroll" }, root));
    }

    strip(layer, measure, top, x) {
      const s = layer.summary[measure];
      const mid = top + ROW / 2;
      const q = s.quantiles;
      const g = svg("g", { class: "nm-trends-row", tabindex: "0", "data-layer": layer.id,
        "aria-label": `${layer.label}: ${layer.n} units, median ${fixed(q.q50, 3)}; arrow keys move between units` });
      g.append(svg("text", { x: 0, y: mid + 4, class: "nm-trends-label" }, layer.label));
      if (s.null) {
        const band = svg("rect", { x: x(s.null.quantiles.q05), y: top + 4, width: Math.max(1, x(s.null.quantiles.q95) - x(s.null.quantiles.q05)),
          height: ROW - 8, class: "nm-trends-null" });
        band.append(svg("title", {}, `null: 5-95% of the assembly share with random top channels`));
        g.append(band, svg("line", { x1: x(s.threshold), x2: x(s.threshold), y1: top + 2, y2: top + ROW - 2, class: "nm-trends-threshold" }));
        g.append(svg("text", { x: WIDTH, y: mid + 4, class: "nm-trends-share", "text-anchor": "end" },
          `${percent(s.share_assembling)} (${percent(s.null_share_assembling)})`));
      }
      if (s.trivial) {
        const line = svg("line", { x1: x(s.trivial.value), x2: x(s.trivial.value), y1: top + 2, y2: top + ROW - 2, class: "nm-trends-flat" });
        line.append(svg("title", {}, `${s.trivial.kind}: ${fixed(s.trivial.value, 3)}`));
        g.append(line);
      }
      g.append(svg("rect", { x: x(q.q25), y: mid - 9, width: Math.max(1, x(q.q75) - x(q.q25)), height: 18, class: "nm-trends-box" }),
        svg("line", { x1: x(q.q50), x2: x(q.q50), y1: mid - 11, y2: mid + 11, class: "nm-trends-median" }));
      const units = [...layer.units].sort((a, b) => a[measure] - b[measure] || a.channel - b.channel);
      const dots = units.map((unit) => {
        const named = this.named.has(`${layer.model}/${layer.layer}/${unit.channel}`);
        const dot = svg("circle", { cx: x(unit[measure]), cy: mid + jitter(unit.channel) * (ROW - 14), r: named ? 4.5 : 2.6,
          class: `nm-trends-dot${unit.assembles ? "" : " is-pooling"}${named ? " is-named" : ""}`, "data-channel": unit.channel });
        const pick = () => this.show(layer, unit, measure, dot);
        dot.addEventListener("pointerenter", pick);
        dot.addEventListener("click", pick);
        return dot;
      });
      // The named units last, so they are drawn on top of their neighbours, with their names.
      const named = dots.filter((d) => d.classList.contains("is-named"));
      g.append(...dots.filter((d) => !d.classList.contains("is-named")), ...named);
      for (const dot of named) {
        g.append(svg("text", { x: +dot.getAttribute("cx"), y: top + 6, class: "nm-trends-named", "text-anchor": "middle" },
          `:${dot.dataset.channel}`));
      }
      let index = -1;
      g.addEventListener("keydown", (event) => {
        const step = { ArrowRight: 1, ArrowLeft: -1, Home: -Infinity, End: Infinity }[event.key];
        if (step === undefined) return;
        event.preventDefault();
        index = Math.max(0, Math.min(units.length - 1, index < 0 ? Math.floor(units.length / 2) : index + step));
        this.show(layer, units[index], measure, dots[index]);
      });
      return g;
    }

    show(layer, unit, measure, dot) {
      this.querySelectorAll(".nm-trends-dot.is-active").forEach((d) => d.classList.remove("is-active"));
      dot.classList.add("is-active");
      const entry = this.atlasEntry(layer.model, layer.layer, unit.channel);
      const name = el("b", { text: unit.label });
      const parts = this.fig.measures.map((m) => `${m.label} ${m.id === "concentration" ? fixed(unit[m.id], 3) : percent(unit[m.id])}`);
      this.detail.replaceChildren(
        entry ? el("a", { class: "nm-atlas-link", href: entry, title: `${unit.label} in the atlas` }, name) : name,
        ` \u00b7 ${layer.model_label} \u00b7 ${parts.join(" \u00b7 ")} \u00b7 dominant channel ${unit.dominant} \u00b7 `,
        el("span", { class: unit.assembles ? "nm-assembles" : "nm-pools", text: unit.assembles ? "assembles" : "pools" }));
      this.detail.dataset.unit = `${layer.id}:${unit.channel}`;
    }
  }

  customElements.define("nm-trends", Trends);
})();
