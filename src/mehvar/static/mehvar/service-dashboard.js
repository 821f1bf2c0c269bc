// The service dashboard's charts. The page passes its figures with json_script (the CSP forbids
// inline scripts); every label (Jalali months, kinds, categories) is already in the page's
// language, so this file only draws, and formats tick numbers with the page's digits.
(function () {
  "use strict";

  var PALETTE = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#dc3545", "#6c757d", "#0dcaf0"];
  var CSAT_COLOURS = ["#dc3545", "#fd7e14", "#ffc107", "#20c997", "#198754"];

  function numberFormat(lang, digits) {
    return new Intl.NumberFormat(lang === "fa" ? "fa-IR" : "en-US", {
      maximumFractionDigits: digits,
      minimumFractionDigits: 0,
    });
  }

  // A category axis keeps Chart.js's own tick labels: a callback, even an undefined one,
  // would replace them with the indices.
  function axis(title, format, extra) {
    var options = {
      title: { display: Boolean(title), text: title || "" },
      ticks: format ? { callback: format } : {},
      grid: { color: "rgba(0, 0, 0, 0.06)" },
    };
    Object.keys(extra || {}).forEach(function (key) {
      options[key] = key === "ticks" ? Object.assign(options.ticks, extra.ticks) : extra[key];
    });
    return options;
  }

  function colours(n) {
    var out = [];
    for (var i = 0; i < n; i++) {
      out.push(PALETTE[i % PALETTE.length]);
    }
    return out;
  }

  function draw() {
    var source = document.getElementById("service-dashboard-data");
    var root = document.getElementById("service-dashboard");
    if (!source || !root || !window.Chart) {
      return;
    }
    var data = JSON.parse(source.textContent);
    var rtl = data.lang === "fa";
    var Chart = window.Chart;

    Chart.defaults.font.family = "Vazirmatn, system-ui, sans-serif";
    Chart.defaults.animation = false; // drawn at once: screenshots and the ready flag agree
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.plugins.legend.rtl = rtl;
    Chart.defaults.plugins.tooltip.rtl = rtl;
    Chart.defaults.plugins.legend.textDirection = rtl ? "rtl" : "ltr";
    Chart.defaults.plugins.tooltip.textDirection = rtl ? "rtl" : "ltr";

    var whole = numberFormat(data.lang, 0);
    var one = numberFormat(data.lang, 1);
    var percent = rtl ? "٪" : "%";
    var charts = [];
    function wholeTick(value) {
      return Number.isInteger(value) ? whole.format(value) : "";
    }
    function percentTick(value) {
      return whole.format(value) + percent;
    }
    function has(values) {
      return values.some(function (v) { return v; });
    }

    // Tickets opened per month (bars, left axis) and the breach rate (line, right axis).
    var trend = data.trend;
    var trendCanvas = document.getElementById("chart-trend");
    if (trendCanvas && has(trend.opened)) {
      charts.push(
        new Chart(trendCanvas, {
          data: {
            labels: trend.labels,
            datasets: [
              {
                type: "line",
                label: trend.breach_label,
                data: trend.breach,
                yAxisID: "rate",
                borderColor: "#dc3545",
                backgroundColor: "#dc3545",
                pointRadius: 3,
                tension: 0.2,
                spanGaps: false,
              },
              {
                type: "bar",
                label: trend.opened_label,
                data: trend.opened,
                yAxisID: "count",
                backgroundColor: "rgba(13, 110, 253, 0.55)",
                maxBarThickness: 48,
              },
            ],
          },
          options: {
            plugins: {
              legend: { position: "bottom" },
              tooltip: {
                callbacks: {
                  label: function (ctx) {
                    var value = ctx.parsed.y;
                    if (value === null) {
                      return "";
                    }
                    var text = ctx.dataset.yAxisID === "rate" ? one.format(value) + percent : whole.format(value);
                    return ctx.dataset.label + ": " + text;
                  },
                },
              },
            },
            scales: {
              x: axis("", undefined, { ticks: { maxRotation: 60, autoSkip: true } }),
              count: axis(trend.opened_label, wholeTick, {
                position: rtl ? "right" : "left",
                beginAtZero: true,
              }),
              rate: axis(trend.breach_label, percentTick, {
                position: rtl ? "left" : "right",
                min: 0,
                suggestedMax: 50,
                grid: { drawOnChartArea: false },
              }),
            },
          },
        })
      );
    }

    function doughnut(id, group) {
      var canvas = document.getElementById(id);
      if (!canvas || !has(group.values)) {
        return;
      }
      charts.push(
        new Chart(canvas, {
          type: "doughnut",
          data: {
            labels: group.labels,
            datasets: [{ data: group.values, backgroundColor: colours(group.values.length) }],
          },
          options: {
            plugins: {
              legend: { position: "bottom" },
              tooltip: {
                callbacks: {
                  label: function (ctx) {
                    return ctx.label + ": " + whole.format(ctx.parsed);
                  },
                },
              },
            },
          },
        })
      );
    }
    doughnut("chart-kinds", data.kinds);
    doughnut("chart-channels", data.channels);

    function bars(id, labels, values, label, format, colour) {
      var canvas = document.getElementById(id);
      if (!canvas || !has(values)) {
        return;
      }
      charts.push(
        new Chart(canvas, {
          type: "bar",
          data: {
            labels: labels,
            datasets: [{ label: label, data: values, backgroundColor: colour, maxBarThickness: 36 }],
          },
          options: {
            indexAxis: "y",
            plugins: {
              legend: { display: false },
              tooltip: {
                callbacks: {
                  label: function (ctx) {
                    return label + ": " + format(ctx.parsed.x);
                  },
                },
              },
            },
            scales: {
              x: axis("", format, { beginAtZero: true, reverse: rtl }),
              y: axis("", undefined, { position: rtl ? "right" : "left" }),
            },
          },
        })
      );
    }
    var categories = data.categories;
    bars("chart-categories", categories.labels, categories.values, categories.count_label, wholeTick, "#0d6efd");
    var compensation = data.compensation;
    bars("chart-compensation", compensation.labels, compensation.values, compensation.unit, function (value) {
      return whole.format(value);
    }, "#fd7e14");

    var csat = data.csat;
    var csatCanvas = document.getElementById("chart-csat");
    if (csatCanvas && has(csat.values)) {
      charts.push(
        new Chart(csatCanvas, {
          type: "bar",
          data: {
            labels: csat.labels,
            datasets: [{ label: csat.label, data: csat.values, backgroundColor: CSAT_COLOURS, maxBarThickness: 48 }],
          },
          options: {
            plugins: { legend: { display: false } },
            scales: {
              x: axis("", undefined, { reverse: rtl }),
              y: axis(csat.label, wholeTick, { beginAtZero: true, position: rtl ? "right" : "left" }),
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
