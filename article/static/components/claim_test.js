// <nm-claim-test>: the research note's car claim (windows above, wheels below) tested over every unit
// of some layers. Per layer, a histogram of every unit's claim score, with markers for the positive
// control (a synthetic unit built as the note describes) and for the units picked by their response
// to car renders, each labelled; beside it those units' renders with their measures and percentile.
// Below: the class renders the units were picked with (car and control groups), the reference
// directions with their classes, the checks of those directions, and the measures' legend.
// Hovering, focusing or tapping a unit marks it on its layer's histogram.
// Data: figure.json (contract kind "claim_test") in a child <script type="application/json">;
// sprite files are relative to the element's data-asset-url.

// A classic script (see sprites.js); the partial loads it once per diagram, so later runs stop at once.
(function () {
  "use strict";
  if (customElements.get("nm-claim-test")) return;
  const { Diagram, el, fixed, paintTile } = window.nmSprites;
  const SVG = "http://www.w3.org/2000/svg";
  // The histogram's drawing box; it scales to its column, so a phone shows it at about 340 px.
  const WIDTH = 360;
  const HEIGHT = 178;
  const LEFT = 10;
  const RIGHT = 10;
  const TOP = 46;       // room for the markers' labels
  const BOTTOM = 36;    // the axis, its ticks and its label
  const BINS = 24;
  const GROUPS = [["car", "car classes"], ["control", "control classes"]];

  function svg(tag, attrs = {}, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    node.append(...children);
    return node;
  }

  const sig = (x) => x.toPrecision(3).replace("-", "\u2212");
  // 84 -> "84th", 1 -> "1st", 12 -> "12th".
  function ordinal(p) {
    const n = Math.round(p);
    const suffix = [11, 12, 13].includes(n % 100) ? "th" : { 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th";
    return `${n}${suffix}`;
  }

  // A tick step of 1, 2 or 5 times a power of ten near `rough`, and the decimals it needs.
  function niceStep(rough) {
    const power = 10 ** Math.floor(Math.log10(rough));
    const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) || 10 * power;
    return { step, digits: Math.max(0, -Math.floor(Math.log10(step))) };
  }

  class ClaimTest extends Diagram {
    render() {
      const { fig } = this;
      const legend = el("dl", { class: "nm-measure-legend" });
      for (const m of fig.measures) legend.append(el("dt", { text: m.label }), el("dd", { text: m.description }));
      this.replaceChildren(this.dataScript, ...fig.layers.map((layer) => this.layer(layer)),
        ...(fig.renders.length ? [this.renders()] : []), this.directions(), legend);
    }

    // One layer: the histogram of every unit's score with its markers, and the picked units.
    layer(layer) {
      const section = el("section", { class: "nm-panel nm-claim-layer", "data-layer": layer.id,
        "aria-label": `${layer.label}: the claim over its ${layer.n} units` });
      const markers = new Map();
      const plot = this.histogram(layer, markers);
      const units = el("ol", { class: "nm-claim-units", "aria-label": `units of ${layer.label} picked by their response to car renders` },
        ...layer.units.map((unit) => this.unit(layer, unit, markers)));
      const control = layer.control;
      section.append(
        el("h4", { class: "nm-claim-title", text: layer.label }),
        el("p", { class: "nm-note", text: `${layer.n} units, ${layer.map_size}\u00d7${layer.map_size} map, ` +
          `${layer.path} path over ${layer.prev_layer}; median score ${sig(layer.quantiles.q50)}, 95% below ${sig(layer.quantiles.q95)}.` }),
        el("div", { class: "nm-row nm-claim-row" },
          el("div", { class: "nm-claim-plot" }, plot,
            el("p", { class: "nm-note nm-claim-control-note", text: `Positive control, ${control.label}: ${sig(control.value)}, ` +
              `${ordinal(control.percentile)} percentile of the layer; ` +
              this.fig.measures.filter((m) => m.id in control.values)   // a synthetic window has no response
                .map((m) => `${m.label} ${sig(control.values[m.id])}`).join(", ") + "." })),
          units));
      return section;
    }

    histogram(layer, markers) {
      const scores = layer.scores;
      const marked = [layer.control.value, ...layer.units.map((u) => layer.scores[u.channel])];
      let lo = Math.min(...scores, ...marked);
      let hi = Math.max(...scores, ...marked);
      const pad = (hi - lo) * 0.04 || 0.05;
      lo -= pad; hi += pad;
      const counts = new Array(BINS).fill(0);
      for (const s of scores) counts[Math.min(BINS - 1, Math.floor(((s - lo) / (hi - lo)) * BINS))] += 1;
      const most = Math.max(...counts);
      const x = (v) => LEFT + ((v - lo) / (hi - lo)) * (WIDTH - LEFT - RIGHT);
      const base = HEIGHT - BOTTOM;
      const y = (count) => base - (count / most) * (base - TOP);
      const unitsText = layer.units.map((u) => `:${u.channel} at the ${ordinal(u.percentile)} percentile`).join(", ");
      const root = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "nm-claim-histogram", role: "img",
        "aria-label": `Histogram of the claim score of ${layer.n} units of ${layer.label}, median ${sig(layer.quantiles.q50)}; ` +
          `control ${sig(layer.control.value)} at the ${ordinal(layer.control.percentile)} percentile` +
          (unitsText ? `; units ${unitsText}` : "") });
      const binWidth = (WIDTH - LEFT - RIGHT) / BINS;
      counts.forEach((count, k) => {
        if (!count) return;
        root.append(svg("rect", { x: LEFT + k * binWidth + 0.5, y: y(count), width: Math.max(1, binWidth - 1), height: base - y(count),
          class: "nm-claim-bar", "data-count": count }));
      });
      root.append(svg("line", { x1: LEFT, x2: WIDTH - RIGHT, y1: base, y2: base, class: "nm-claim-rule" }));
      const { step, digits } = niceStep((hi - lo) / 4);
      for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) {
        const tx = x(v);
        const anchor = tx < 20 ? "start" : tx > WIDTH - 20 ? "end" : "middle";
        root.append(svg("line", { x1: tx, x2: tx, y1: base, y2: base + 4, class: "nm-claim-rule" }),
          svg("text", { x: tx, y: base + 15, class: "nm-claim-axis", "text-anchor": anchor }, fixed(Math.abs(v) < step / 2 ? 0 : v, digits)));
      }
      root.append(svg("text", { x: WIDTH / 2, y: HEIGHT - 3, class: "nm-claim-axis-label", "text-anchor": "middle" }, "claim score"));
      // Markers: the control on the top line of labels, units on the two below it, alternating,
      // so neighbouring units' labels do not overlap.
      const marker = (value, text, row, kind) => {
        const mx = x(value);
        const anchor = mx < 30 ? "start" : mx > WIDTH - 30 ? "end" : "middle";
        const g = svg("g", { class: `nm-claim-marker is-${kind}` },
          svg("line", { x1: mx, x2: mx, y1: 12 + row * 13, y2: base, class: "nm-claim-marker-line" }),
          svg("text", { x: mx, y: 9 + row * 13, "text-anchor": anchor, class: "nm-claim-marker-label" }, text));
        root.append(g);
        return g;
      };
      marker(layer.control.value, "control", 0, "control");
      layer.units.forEach((unit, k) => {
        markers.set(unit.channel, marker(layer.scores[unit.channel], `:${unit.channel}`, 1 + (k % 2), "unit"));
      });
      return root;
    }

    unit(layer, unit, markers) {
      const { fig } = this;
      const thumb = el("span", { class: "nm-tile nm-claim-thumb", role: "img", "aria-label": `visualization of ${unit.label}` });
      paintTile(thumb, fig, this.assetUrl, unit.image);
      const values = el("table", { class: "nm-measures" }, el("tbody", {},
        ...fig.measures.map((m) => el("tr", { title: m.description },
          el("th", { text: m.label }), el("td", { class: "nm-value", text: fixed(unit.values[m.id], 3) })))));
      const item = el("li", { tabindex: "0", class: "nm-claim-unit", "data-channel": String(unit.channel),
        "aria-label": `${unit.label}: claim score at the ${ordinal(unit.percentile)} percentile of ${layer.label}, ` +
          `#${unit.response_rank} by response to car renders` },
        thumb,
        el("div", {},
          el("b", { text: unit.label }),
          el("p", { class: "nm-note nm-claim-rank", text: `${ordinal(unit.percentile)} percentile \u00b7 #${unit.response_rank} by response` }),
          values));
      const mark = (on) => {
        markers.get(unit.channel)?.classList.toggle("is-active", on);
        item.classList.toggle("is-active", on);
      };
      item.addEventListener("pointerenter", () => mark(true));
      item.addEventListener("pointerleave", () => mark(false));
      item.addEventListener("focus", () => mark(true));
      item.addEventListener("blur", () => mark(false));
      item.addEventListener("click", () => mark(true));
      return item;
    }

    renders() {
      const { fig } = this;
      const groups = GROUPS.map(([group, title]) => {
        const items = fig.renders.filter((r) => r.group === group).map((render) => {
          const tile = el("span", { class: "nm-tile", role: "img", "aria-label": `class visualization of ${render.label} (${render.class})` });
          paintTile(tile, fig, this.assetUrl, render.image);
          return el("li", {}, tile, el("span", { class: "nm-claim-render-label", text: render.label, title: `class ${render.class}` }));
        });
        return items.length ? el("div", { class: "nm-claim-group", "data-group": group },
          el("span", { class: "nm-label", text: title }), el("ol", { class: "nm-claim-renders" }, ...items)) : null;
      }).filter(Boolean);
      return el("section", { class: "nm-panel nm-claim-renders-panel", "aria-label": "class renders the units were picked with" },
        el("span", { class: "nm-label", text: "renders the units were picked by" }), el("div", { class: "nm-row" }, ...groups));
    }

    directions() {
      const { fig } = this;
      const list = el("ul", { class: "nm-claim-directions" }, ...fig.directions.map((d) =>
        el("li", { "data-direction": d.id }, el("b", { text: d.label }), ` from ${d.classes.map((c) => `${c.label} (${c.class})`).join(", ")}`)));
      const checks = fig.checks.length ? el("table", { class: "nm-measures nm-claim-checks" }, el("tbody", {},
        ...fig.checks.map((c) => el("tr", { title: c.description, "data-check": c.id },
          el("th", { text: c.label }), el("td", { class: "nm-value", text: fixed(c.value, 3) }))))) : "";
      return el("section", { class: "nm-panel nm-claim-reference", "aria-label": "reference directions and their checks" },
        el("span", { class: "nm-label", text: "reference directions" }), list, checks);
    }
  }

  customElements.define("nm-claim-test", ClaimTest);
})();
