// The feedback dashboard's charts. The page passes its figures with json_script (the CSP
// forbids inline scripts); every label (Jalali months, category names) is already in the page's
// language, so this file only draws, and formats tick numbers with the page's digits.
(function () {
  "use strict";

  var COLOURS = {
    nps: "#0d6efd",
    csat: "#198754",
    ces: "#6f42c1",
    positive: "rgba(25, 135, 84, 0.8)",
    neutral: "rgba(173, 181, 189, 0.8)",
    negative: "rgba(220, 53, 69, 0.8)",
  };
  var KANO_COLOURS = {
    attractive: "#198754",
    one_dimensional: "#0d6efd",
    must_be: "#fd7e14",
    indifferent: "#6c757d",
    reverse: "#dc3545",
    questionable: "#adb5bd",
  };

  function numberFormat(lang, digits) {
    return new Intl.NumberFormat(lang === "fa" ? "fa-IR" : "en-US", {
      maximumFractionDigits: digits,
      minimumFractionDigits: digits,
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

  function alpha(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + ((n >> 16) & 255) + ", " + ((n >> 8) & 255) + ", " + (n & 255) + ", " + a + ")";
  }

  // Draws each feature's name beside its point and the four quadrant names of the Kano chart.
  var kanoLabels = {
    id: "kanoLabels",
    afterDatasetsDraw: function (chart, _args, options) {
      var ctx = chart.ctx;
      var x = chart.scales.x;
      var y = chart.scales.y;
      ctx.save();
      ctx.font = "12px " + window.Chart.defaults.font.family;
      ctx.fillStyle = "rgba(33, 37, 41, 0.45)";
      ctx.textBaseline = "middle";
      ctx.textAlign = "center";
      var q = options.quadrants || {};
      // x = satisfaction (CS+), y = dissatisfaction (|CS−|).
      ctx.fillText(q.must_be || "", x.getPixelForValue(0.25), y.getPixelForValue(0.95));
      ctx.fillText(q.one_dimensional || "", x.getPixelForValue(0.75), y.getPixelForValue(0.95));
      ctx.fillText(q.indifferent || "", x.getPixelForValue(0.25), y.getPixelForValue(0.05));
      ctx.fillText(q.attractive || "", x.getPixelForValue(0.75), y.getPixelForValue(0.05));
      ctx.strokeStyle = "rgba(0, 0, 0, 0.25)";
      ctx.setLineDash([4, 4]);
      ctx.beginPath();
      ctx.moveTo(x.getPixelForValue(0.5), y.top);
      ctx.lineTo(x.getPixelForValue(0.5), y.bottom);
      ctx.moveTo(x.left, y.getPixelForValue(0.5));
      ctx.lineTo(x.right, y.getPixelForValue(0.5));
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = "#212529";
      ctx.textAlign = "left";
      chart.getDatasetMeta(0).data.forEach(function (element, index) {
        var point = chart.data.datasets[0].data[index];
        var text = point.label.length > 28 ? point.label.slice(0, 27) + "…" : point.label;
        var width = ctx.measureText(text).width;
        // Keep the label inside the plot: left of the point when it would run off the right.
        var left = element.x + 7 + width > x.right ? element.x - 7 - width : element.x + 7;
        ctx.fillText(text, left, element.y);
      });
      ctx.restore();
    },
  };

  function draw() {
    var source = document.getElementById("feedback-dashboard-data");
    var root = document.getElementById("feedback-dashboard");
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
    var two = numberFormat(data.lang, 2);
    var charts = [];
    function wholeTick(value) {
      return Number.isInteger(value) ? whole.format(value) : "";
    }

    // One line per metric with its 95 % interval as a band (between the low and high lines).
    var trend = data.trend;
    Object.keys(trend.series).forEach(function (metric) {
      var canvas = document.getElementById("chart-trend-" + metric);
      var series = trend.series[metric];
      if (!canvas || !series.values.some(function (v) { return v !== null; })) {
        return;
      }
      var colour = COLOURS[metric];
      var format = numberFormat(data.lang, series.places);
      var percent = metric === "csat" ? (rtl ? "٪" : "%") : "";
      charts.push(
        new Chart(canvas, {
          type: "line",
          data: {
            labels: trend.labels,
            datasets: [
              {
                label: trend.band_label,
                data: series.low,
                borderWidth: 0,
                pointRadius: 0,
                fill: false,
                spanGaps: false,
              },
              {
                label: trend.band_label,
                data: series.high,
                borderWidth: 0,
                pointRadius: 0,
                backgroundColor: alpha(colour, 0.15),
                fill: "-1",
                spanGaps: false,
              },
              {
                label: series.title,
                data: series.values,
                borderColor: colour,
                backgroundColor: colour,
                pointRadius: 3,
                tension: 0.2,
                spanGaps: false,
              },
            ],
          },
          options: {
            plugins: {
              legend: { display: false },
              tooltip: {
                filter: function (item) {
                  return item.datasetIndex === 2;
                },
                callbacks: {
                  label: function (ctx) {
                    var i = ctx.dataIndex;
                    var text = series.title + " " + format.format(ctx.parsed.y) + percent;
                    if (series.low[i] !== null && series.high[i] !== null) {
                      text +=
                        " (" + format.format(series.low[i]) + percent + " – " +
                        format.format(series.high[i]) + percent + ")";
                    }
                    return text + " · " + whole.format(series.n[i]) + " " + trend.answers_label;
                  },
                },
              },
            },
            scales: {
              x: axis("", undefined, { title: { display: false }, ticks: { maxRotation: 60, autoSkip: true } }),
              y: axis(series.y_title, function (value) {
                return format.format(value) + percent;
              }, { suggestedMin: series.min, suggestedMax: series.max }),
            },
          },
        })
      );
    });

    var sentimentCanvas = document.getElementById("chart-sentiment");
    var sentiment = data.sentiment;
    if (sentimentCanvas && sentiment.labels.length) {
      charts.push(
        new Chart(sentimentCanvas, {
          type: "bar",
          data: {
            labels: sentiment.labels,
            datasets: ["positive", "neutral", "negative"].map(function (name) {
              return {
                label: sentiment.names[name],
                data: sentiment[name],
                backgroundColor: COLOURS[name],
                maxBarThickness: 48,
              };
            }),
          },
          options: {
            plugins: { legend: { position: "bottom" } },
            scales: {
              x: axis("", undefined, { stacked: true, title: { display: false }, ticks: { maxRotation: 60, autoSkip: true } }),
              y: axis(sentiment.y_title, wholeTick, { stacked: true, beginAtZero: true }),
            },
          },
        })
      );
    }

    var kanoCanvas = document.getElementById("chart-kano");
    var kano = data.kano;
    if (kanoCanvas && kano.points.length) {
      charts.push(
        new Chart(kanoCanvas, {
          type: "scatter",
          data: {
            datasets: [
              {
                data: kano.points,
                pointRadius: 6,
                pointHoverRadius: 8,
                backgroundColor: kano.points.map(function (p) {
                  return KANO_COLOURS[p.category] || "#212529";
                }),
              },
            ],
          },
          plugins: [kanoLabels],
          options: {
            layout: { padding: 8 },
            plugins: {
              legend: { display: false },
              kanoLabels: { quadrants: kano.quadrants },
              tooltip: {
                callbacks: {
                  label: function (ctx) {
                    var p = ctx.raw;
                    return p.label + ": CS+ " + two.format(p.x) + ", |CS−| " + two.format(p.y);
                  },
                },
              },
            },
            scales: {
              x: axis(kano.x_title, function (value) { return two.format(value); }, { type: "linear", min: 0, max: 1 }),
              y: axis(kano.y_title, function (value) { return two.format(value); }, { min: 0, max: 1 }),
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
