// <nm-unit-ranking>: per model, a table of the top-ranked units of one layer with their scores,
// top classes and each unit's own visualization; the unit shown large follows hover and focus.
// Data: figure.json (contract kind "unit_ranking") in a child <script type="application/json">;
// sprite files are relative to the element's data-asset-url.

// A classic script (see sprites.js); the partial loads it once per diagram, so later runs stop at once.
(function () {
  "use strict";
  if (customElements.get("nm-unit-ranking")) return;
  const { Diagram, el, fixed, paintTile } = window.nmSprites;

  class UnitRanking extends Diagram {
    render() {
      const { fig } = this;
      const blocks = fig.models.map((block) => this.table(block));
      const legend = el("dl", { class: "nm-measure-legend" });
      for (const m of fig.measures) legend.append(el("dt", { text: m.label }), el("dd", { text: m.description }));
      const classes = fig.classes.length
        ? el("p", { class: "nm-note", text: `classes: ${fig.classes.map((c) => `${c.label} (${c.class})`).join(", ")}` })
        : "";
      this.replaceChildren(this.dataScript, el("div", { class: "nm-row" }, ...blocks), legend, classes);
    }

    table(block) {
      const { fig } = this;
      const large = el("span", { class: "nm-tile nm-large", role: "img" });
      const caption = el("p", { class: "nm-detail-caption nm-value" });
      const show = (unit) => {
        paintTile(large, fig, this.assetUrl, unit.image);
        large.setAttribute("aria-label", `visualization of ${block.model_label} ${unit.label}`);
        caption.textContent = `#${unit.rank} ${unit.label}`;
        rows.forEach((row) => row.classList.toggle("is-active", row.dataset.unit === unit.label));
      };
      const head = el("tr", {}, el("th", { text: "#" }), el("th", { text: "unit" }),
        ...fig.measures.map((m) => el("th", { text: m.label, title: m.description })), el("th", { text: "top classes" }));
      const rows = block.units.map((unit) => {
        const thumb = el("span", { class: "nm-tile nm-thumb", role: "img", "aria-label": `visualization of ${unit.label}` });
        paintTile(thumb, fig, this.assetUrl, unit.image);
        const row = el("tr", { tabindex: "0", "data-unit": unit.label,
          "aria-label": `rank ${unit.rank}, ${unit.label}, ${fig.measures[0].label} ${fixed(unit.values[fig.measures[0].id], 3)}` },
          el("td", { class: "nm-value", text: String(unit.rank) }),
          el("td", {}, thumb, el("span", { class: "nm-value", text: unit.label })),
          ...fig.measures.map((m) => el("td", { class: "nm-value", text: fixed(unit.values[m.id], 3) })),
          el("td", { class: "nm-classes", text: unit.top_classes.map((c) => `${c.label} (${fixed(c.weight, 2)})`).join(", ") }));
        row.addEventListener("pointerenter", () => show(unit));
        row.addEventListener("focus", () => show(unit));
        row.addEventListener("click", () => show(unit));
        return row;
      });
      const table = el("table", { class: "nm-ranking" },
        el("caption", { text: `${block.model_label} ${block.layer} (last block of ${block.stage})` }), el("thead", {}, head),
        el("tbody", {}, ...rows));
      show(block.units[0]);
      return el("section", { class: "nm-panel nm-ranking-block", "data-model": block.model, "aria-label": `${block.model_label} ranking` },
        table, el("div", { class: "nm-detail" }, large, caption));
    }
  }

  customElements.define("nm-unit-ranking", UnitRanking);
})();
