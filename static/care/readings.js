// An elder's blood pressure and blood sugar trend (Chart.js, vendored). The
// points come from the page's json_script named by the canvas's
// data-readings-chart; no inline script (the pages send a strict CSP).
(function () {
  "use strict";

  function draw() {
    if (typeof Chart === "undefined") {
      return;
    }
    document.querySelectorAll("canvas[data-readings-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.readingsChart);
      if (!source) {
        return;
      }
      var data = JSON.parse(source.textContent);
      new Chart(canvas, {
        type: "line",
        data: {
          labels: data.labels,
          datasets: [
            { label: data.names.systolic, data: data.systolic, borderColor: "#be123c",
              backgroundColor: "#be123c", yAxisID: "bp", spanGaps: true, tension: 0.2 },
            { label: data.names.diastolic, data: data.diastolic, borderColor: "#0369a1",
              backgroundColor: "#0369a1", yAxisID: "bp", spanGaps: true, tension: 0.2 },
            { label: data.names.sugar, data: data.sugar, borderColor: "#b45309",
              backgroundColor: "#b45309", yAxisID: "sugar", spanGaps: true,
              borderDash: [4, 3], tension: 0.2 }
          ]
        },
        options: {
          animation: false,
          maintainAspectRatio: false,
          plugins: { legend: { labels: { boxWidth: 12 } } },
          scales: {
            bp: { position: "left", title: { display: true, text: "mmHg" } },
            sugar: { position: "right", grid: { drawOnChartArea: false },
                     title: { display: true, text: "mmol/L" } }
          }
        }
      });
      canvas.dataset.drawn = "1";
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
