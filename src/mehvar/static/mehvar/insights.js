// The analytics dashboard's charts. The page passes its figures with json_script (the CSP
// forbids inline scripts); every label is already formatted on the server in the page's
// language, so this file only draws, and formats tick numbers with the page's digits.
(function () {
  "use strict";

  function numberFormat(lang, digits) {
    return new Intl.NumberFormat(lang === "fa" ? "fa-IR" : "en-US", {
      maximumFractionDigits: digits,
    });
  }

  function axis(title, format, extra) {
    return Object.assign(
      {
        title: { display: true, text: title },
        ticks: { callback: format },
        grid: { color: "rgba(0, 0, 0, 0.06)" },
      },
      extra || {}
    );
  }

  function draw() {
    var source = document.getElementById("insights-data");
    var root = document.getElementById("insights");
    if (!source || !root || !window.Chart) {
      return;
    }
    var data = JSON.parse(source.textContent);
    var rtl = data.lang === "fa";
    var whole = numberFormat(data.lang, 0);
    var one = numberFormat(data.lang, 1);
    var Chart = window.Chart;

    Chart.defaults.font.family = "Vazirmatn, system-ui, sans-serif";
    Chart.defaults.animation = false; // drawn at once: screenshots and the ready flag agree
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.plugins.legend.rtl = rtl;
    Chart.defaults.plugins.tooltip.rtl = rtl;
    Chart.defaults.plugins.legend.textDirection = rtl ? "rtl" : "ltr";
    Chart.defaults.plugins.tooltip.textDirection = rtl ? "rtl" : "ltr";

    var charts = [];
    function percentTick(value) {
      return whole.format(value) + (rtl ? "٪" : "%");
    }
    function countTick(value) {
      return Number.isInteger(value) ? whole.format(value) : "";
    }

    var pareto = document.getElementById("chart-pareto");
    if (pareto && data.pareto.points.length) {
      var points = data.pareto.points.map(function (p) {
        return { x: p[0], y: p[1] };
      });
      charts.push(
        new Chart(pareto, {
          type: "scatter",
          data: {
            datasets: [
              {
                label: data.pareto.label,
                data: points,
                showLine: true,
                pointRadius: 0,
                borderColor: "#0d6efd",
                backgroundColor: "rgba(13, 110, 253, 0.12)",
                fill: "origin",
                borderWidth: 2,
              },
              {
                label: data.pareto.equality,
                data: [
                  { x: 0, y: 0 },
                  { x: 100, y: 100 },
                ],
                showLine: true,
                pointRadius: 0,
                borderColor: "#adb5bd",
                borderDash: [6, 4],
                borderWidth: 1,
              },
            ],
          },
          options: {
            scales: {
              x: axis(data.pareto.x_title, percentTick, { type: "linear", min: 0, max: 100 }),
              y: axis(data.pareto.y_title, percentTick, { min: 0, max: 100 }),
            },
            plugins: {
              tooltip: {
                callbacks: {
                  label: function (ctx) {
                    return (
                      percentTick(Math.round(ctx.parsed.x)) + " → " + percentTick(Math.round(ctx.parsed.y))
                    );
                  },
                },
              },
            },
          },
        })
      );
    }

    var clv = document.getElementById("chart-clv");
    if (clv && data.clv.counts.length) {
      charts.push(
        new Chart(clv, {
          type: "bar",
          data: {
            labels: data.clv.labels,
            datasets: [
              {
                label: data.clv.label,
                data: data.clv.counts,
                backgroundColor: "rgba(111, 66, 193, 0.7)",
                categoryPercentage: 1.0,
                barPercentage: 0.95,
              },
            ],
          },
          options: {
            plugins: { legend: { display: false } },
            scales: {
              x: axis(data.clv.x_title, undefined, { ticks: { maxRotation: 60, autoSkip: true } }),
              y: axis(data.clv.y_title, countTick, { beginAtZero: true }),
            },
          },
        })
      );
    }

    var churn = document.getElementById("chart-churn");
    if (churn && data.churn.rates.length) {
      charts.push(
        new Chart(churn, {
          type: "line",
          data: {
            labels: data.churn.labels,
            datasets: [
              {
                label: data.churn.label,
                data: data.churn.rates,
                borderColor: "#dc3545",
                backgroundColor: "rgba(220, 53, 69, 0.15)",
                fill: "origin",
                tension: 0.25,
                pointRadius: 2,
              },
            ],
          },
          options: {
            plugins: {
              legend: { display: false },
              tooltip: {
                callbacks: {
                  label: function (ctx) {
                    return one.format(ctx.parsed.y) + (rtl ? "٪" : "%");
                  },
                },
              },
            },
            scales: {
              x: axis(data.churn.x_title, undefined, { ticks: { maxRotation: 60, autoSkip: true } }),
              y: axis(data.churn.y_title, percentTick, { beginAtZero: true }),
            },
          },
        })
      );
    }

    // The classic calibration/holdout chart: customers grouped by their repeat purchases
    // before the check, the model's mean prediction for the held-out weeks beside the truth.
    var holdout = document.getElementById("chart-holdout");
    if (holdout && data.holdout && data.holdout.labels.length) {
      var two = numberFormat(data.lang, 2);
      charts.push(
        new Chart(holdout, {
          type: "bar",
          data: {
            labels: data.holdout.labels,
            datasets: [
              {
                label: data.holdout.predicted_label,
                data: data.holdout.predicted,
                backgroundColor: "rgba(13, 110, 253, 0.75)",
              },
              {
                label: data.holdout.actual_label,
                data: data.holdout.actual,
                backgroundColor: "rgba(253, 126, 20, 0.75)",
              },
            ],
          },
          options: {
            plugins: {
              legend: { position: "bottom" },
              tooltip: {
                callbacks: {
                  label: function (ctx) {
                    return ctx.dataset.label + ": " + two.format(ctx.parsed.y);
                  },
                },
              },
            },
            scales: {
              // An own ticks object: a category axis with callback undefined shows indexes.
              x: axis(data.holdout.x_title, undefined, { ticks: {} }),
              y: axis(data.holdout.y_title, function (value) {
                return one.format(value);
              }, { beginAtZero: true }),
            },
          },
        })
      );
    }

    root.dataset.chartsReady = "true";
    root.dataset.charts = String(charts.length);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
