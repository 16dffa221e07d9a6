/* The pages' charts: each [data-chart] element reads its numbers from the JSON block named by
   data-source (data, never run) and draws them with ECharts; its table twin holds the same
   numbers. Colour swatches take their colour from data-colour (no inline style). */
(function () {
  "use strict";
  var common = {
    aria: { enabled: true },
    animation: false,
    tooltip: { renderMode: "richText", confine: true },
    textStyle: { fontFamily: "Noto Sans CJK SC, sans-serif" }
  };

  function merge(option) {
    var out = {};
    Object.keys(common).forEach(function (k) { out[k] = common[k]; });
    Object.keys(option).forEach(function (k) { out[k] = option[k]; });
    return out;
  }

  var builders = {
    waterfall: function (d) {
      return {
        grid: { left: 220, right: 30, top: 10, bottom: 30 },
        xAxis: { type: "value" },
        yAxis: { type: "category", inverse: true, data: d.labels,
                 axisLabel: { width: 200, overflow: "truncate" } },
        series: [
          { type: "bar", stack: "w", silent: true, data: d.helper,
            itemStyle: { color: "transparent" }, tooltip: { show: false } },
          { type: "bar", stack: "w", name: "points",
            data: d.bars.map(function (b) {
              return { value: b.value, itemStyle: { color: b.colour }, points: b.points };
            }),
            label: { show: true, position: "right",
                     formatter: function (p) { return String(p.data.points); } } }
        ],
        tooltip: { renderMode: "richText", trigger: "item",
                   formatter: function (p) { return p.name + ": " + p.data.points; } }
      };
    },
    gauge: function (d) {
      return {
        series: [{ type: "gauge", min: 0, max: d.max, splitNumber: 10,
                   axisLine: { lineStyle: { width: 18, color: d.bands.map(function (b) {
                     return [b.to, b.colour]; }) } },
                   pointer: { width: 5 }, detail: { formatter: "{value}", fontSize: 18 },
                   data: [{ value: d.score }] }]
      };
    },
    history: function (d) {
      var marks = d.model_changes.map(function (m) {
        return { xAxis: m.period, name: d.texts.model_change + " " + m.version,
                 label: { formatter: d.texts.model_change } };
      });
      return {
        grid: { left: 50, right: 30, top: 30, bottom: 40 },
        xAxis: { type: "category", data: d.periods },
        yAxis: { type: "value", min: 0, max: d.max },
        legend: { data: [d.texts.score, d.texts.inspection] },
        series: [
          { type: "line", name: d.texts.score, data: d.scores, symbolSize: 6,
            markArea: { silent: true, data: d.bands.map(function (b) {
              return [{ yAxis: b.from, itemStyle: { color: b.colour, opacity: 0.12 },
                        name: b.label }, { yAxis: b.to }]; }) },
            markLine: { symbol: "none", data: marks, lineStyle: { type: "dashed" } } },
          { type: "scatter", name: d.texts.inspection, symbol: "triangle", symbolSize: 12,
            data: d.inspections.map(function (p) {
              return [p, d.scores[d.periods.indexOf(p)]]; }) }
        ]
      };
    },
    heatmap: function (d) {
      return {
        grid: { left: 110, right: 20, top: 10, bottom: 90 },
        xAxis: { type: "category", data: d.industries, axisLabel: { rotate: 40, width: 80,
                 overflow: "truncate" } },
        yAxis: { type: "category", data: d.regions },
        visualMap: { min: 0, max: d.max, calculable: false, orient: "horizontal",
                     left: "center", bottom: 0, inRange: { color: ["#f7f4e8", "#b03a2e"] } },
        series: [{ type: "heatmap", data: d.cells.map(function (c) {
          return [c[0], c[1], c[2]]; }), label: { show: true, fontSize: 10 } }],
        tooltip: { renderMode: "richText", formatter: function (p) {
          var c = d.cells[p.dataIndex];
          return d.regions[c[1]] + " · " + d.industries[c[0]] + ": " + c[2] + "% (" +
                 (c[3] === null ? "—" : c[3]) + ")"; } }
      };
    },
    bars: function (d, el) {
      var unit = el.getAttribute("data-unit") || "";
      return {
        grid: { left: 150, right: 60, top: 10, bottom: 30 },
        xAxis: { type: "value" },
        yAxis: { type: "category", inverse: true, data: d.labels },
        series: [{ type: "bar", data: d.values.map(function (v, i) {
          return { value: v, itemStyle: { color: d.colours[i] } }; }),
          label: { show: true, position: "right", formatter: "{c}" + unit } }]
      };
    }
  };

  function draw(root) {
    root.querySelectorAll("[data-colour]").forEach(function (el) {
      el.style.backgroundColor = el.getAttribute("data-colour");
    });
    if (typeof echarts === "undefined") { return; }
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.getAttribute("data-drawn")) { return; }
      var source = document.getElementById(el.getAttribute("data-source"));
      var build = builders[el.getAttribute("data-chart")];
      if (!source || !build) { return; }
      var data = JSON.parse(source.textContent);
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(merge(build(data, el)));
      if (el.getAttribute("data-chart") === "heatmap") {
        chart.on("click", function (p) { window.location.assign(data.links[p.dataIndex]); });
      }
      el.setAttribute("data-drawn", "1");
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (e) { draw(e.target); });
})();
