// The dashboard's charts (Chart.js, vendored). The figures come from the page's
// json_script "dashboard-charts"; each <canvas data-chart="key"> draws one.
(function () {
  "use strict";

  var PALETTE = [
    "#0f766e", "#0369a1", "#b45309", "#be123c", "#6d28d9", "#15803d",
    "#c2410c", "#0e7490", "#a21caf", "#4d7c0f", "#1d4ed8", "#9f1239",
    "#57534e", "#ca8a04", "#0891b2", "#7c3aed", "#65a30d", "#e11d48"
  ];

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  var source = document.getElementById("dashboard-charts");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  var specs = JSON.parse(source.textContent);
  var charts = [];

  function isEmpty(spec) {
    return !spec.labels.length || spec.datasets.every(function (dataset) {
      return dataset.data.every(function (value) { return !value; });
    });
  }

  function datasetsOf(spec) {
    return spec.datasets.map(function (dataset, index) {
      var colour = PALETTE[index % PALETTE.length];
      var styled = Object.assign({}, dataset);
      if (spec.type === "doughnut") {
        styled.backgroundColor = spec.colors || spec.labels.map(function (_label, i) {
          return PALETTE[i % PALETTE.length];
        });
      } else if (dataset.type === "line") {
        styled.borderColor = colour;
        styled.backgroundColor = colour;
        styled.tension = 0.2;
      } else {
        styled.backgroundColor = colour;
      }
      return styled;
    });
  }

  function optionsOf(spec) {
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        title: { display: true, text: spec.title },
        legend: { display: spec.datasets.length > 1 || spec.type === "doughnut" }
      }
    };
    if (spec.type === "doughnut") {
      options.plugins.legend.position = "right";
      return options;
    }
    options.scales = {
      x: { stacked: !!spec.stacked, beginAtZero: true },
      y: { stacked: !!spec.stacked, beginAtZero: true }
    };
    if (spec.horizontal) {
      options.indexAxis = "y";
    }
    if (spec.percent) {
      options.scales.y = { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } };
      options.scales.y2 = { position: "right", min: 0, max: 5, grid: { drawOnChartArea: false } };
    }
    if (spec.stacked) {
      options.plugins.legend.labels = { boxWidth: 12, font: { size: 11 } };
    }
    return options;
  }

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var spec = specs[canvas.dataset.chart];
    if (!spec) {
      return;
    }
    if (isEmpty(spec)) {
      var note = document.createElement("p");
      note.className = "chart-empty text-body-secondary small";
      note.textContent = spec.title + ": " + canvas.dataset.empty;
      canvas.replaceWith(note);
      return;
    }
    charts.push(new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasetsOf(spec) },
      options: optionsOf(spec)
    }));
  });

  // Printing changes the width of the page: draw the charts again at the
  // print size (A4), and back at the screen size afterwards.
  function redraw() {
    charts.forEach(function (chart) { chart.resize(); });
  }
  window.addEventListener("beforeprint", redraw);
  window.addEventListener("afterprint", redraw);
  if (window.matchMedia) {
    var print = window.matchMedia("print");
    if (print.addEventListener) {
      print.addEventListener("change", redraw);
    }
  }
})();
