// Draws the charts of a drill report page with uPlot. Every number comes
// from the JSON in #drill-data (computed by drill); this script only lays
// it out. When it is done it sets data-charts on <body> to "drawn" (or
// "failed: ..."), and each chart's figure gets data-series with the number
// of series drawn: what the page's browser test reads.
(function () {
  "use strict";
  var body = document.body;
  function fail(err) {
    body.dataset.charts = "failed: " + (err && err.message ? err.message : String(err));
    var box = document.getElementById("charts");
    if (box) {
      var p = document.createElement("p");
      p.className = "chart-error";
      p.textContent = "The charts could not be drawn: " + body.dataset.charts;
      box.prepend(p);
    }
    throw err;
  }
  // --- shared pieces -------------------------------------------------------

  var palette = ["#0969da", "#bf3989", "#1a7f37", "#bc4c00", "#8250df", "#1b7c83", "#9a6700", "#cf222e", "#57606a", "#4d2d00"];
  var failColors = ["#cf222e", "#fb8f44", "#a40e26", "#8250df", "#e16f24", "#6e40c9", "#ff8182", "#9a6700"];

  function seconds(n) {
    var xs = new Array(n);
    for (var i = 0; i < n; i++) xs[i] = i;
    return xs;
  }

  function fmtT(s) {
    s = Math.round(s);
    if (s < 60) return s + "s";
    var m = Math.floor(s / 60), r = s % 60;
    return m + "m" + (r ? r + "s" : "");
  }

  function fmtMs(v) {
    if (v == null) return "-";
    if (v >= 1000) return +(v / 1000).toPrecision(3) + " s";
    if (v >= 1) return +v.toPrecision(3) + " ms";
    return +(v * 1000).toPrecision(3) + " µs";
  }

  function fmtCount(v) {
    return v == null ? "-" : String(Math.round(v * 100) / 100);
  }

  function fmtPct(v) {
    return v == null ? "-" : (Math.round(v * 10) / 10) + "%";
  }

  function width(el) {
    return Math.max(320, el.clientWidth || 900);
  }

  var xAxis = {
    label: "time since start",
    values: function (u, vals) { return vals.map(fmtT); },
  };

  // Markers are DOM elements laid over the plot, so they have tooltips, can
  // be links and can be found in the page.
  function overlayPlugin(faults, bursts, labels) {
    function place(u) {
      var over = u.over;
      over.querySelectorAll(".fault-marker,.burst-shade").forEach(function (el) { el.remove(); });
      bursts.forEach(function (b, i) {
        var l = u.valToPos(b.startT, "x"), r = u.valToPos(b.endT, "x");
        var a = document.createElement("a");
        a.className = "burst-shade";
        a.href = "#burst-" + (i + 1);
        a.style.left = l + "px";
        a.style.width = Math.max(2, r - l) + "px";
        a.title = "error burst " + (i + 1) + ": t=" + b.startT + "s.." + b.endT + "s, " + b.failures + " failed; click for its causes";
        over.appendChild(a);
      });
      faults.forEach(function (f, i) {
        var m = document.createElement("div");
        m.className = "fault-marker";
        var left = u.valToPos(f.t, "x");
        m.style.left = left + "px";
        m.title = f.detail;
        if (labels) {
          var label = document.createElement("span");
          label.textContent = f.label;
          label.style.top = (i % 3) * 1.3 + "em";
          if (left > over.clientWidth * 0.7) {
            label.style.left = "auto";
            label.style.right = "3px";
          }
          m.appendChild(label);
        }
        over.appendChild(m);
      });
    }
    return { hooks: { ready: place, setSize: place, setScale: function (u, key) { if (key === "x") place(u); } } };
  }

  // stacked turns layers into cumulative sums (for bars drawn from the
  // top of the stack down, each over the previous one).
  function stacked(layers) {
    var out = [], acc = null;
    layers.forEach(function (vals) {
      var row = vals.map(function (v, i) {
        var base = acc ? acc[i] : 0;
        return v == null ? (acc ? acc[i] : null) : (base || 0) + v;
      });
      out.push(row);
      acc = row;
    });
    return out;
  }

  function figure(id, title, note) {
    var fig = document.createElement("figure");
    fig.className = "chart";
    fig.id = "chart-" + id;
    var cap = document.createElement("figcaption");
    cap.textContent = title;
    if (note) {
      var small = document.createElement("small");
      small.textContent = " " + note;
      cap.appendChild(small);
    }
    fig.appendChild(cap);
    document.getElementById("charts").appendChild(fig);
    return fig;
  }

  // stackChart draws layers (bottom first) as stacked bars per second.
  function stackChart(fig, n, layers, colors, yLabel, fmt, overlay, range) {
    var cum = stacked(layers.map(function (l) { return l.values; }));
    var bars = uPlot.paths.bars({ size: [1, Infinity], gap: 0 });
    var series = [{ label: "t", value: function (u, v) { return v == null ? "-" : fmtT(v); } }];
    var data = [seconds(n)];
    for (var i = layers.length - 1; i >= 0; i--) {
      (function (i) {
        series.push({
          label: layers[i].label, stroke: colors[i % colors.length], fill: colors[i % colors.length], width: 0,
          paths: bars, points: { show: false },
          value: function (u, v, si, idx) { return idx == null ? "-" : fmt(layers[i].values[idx]); },
        });
      })(i);
      data.push(cum[i]);
    }
    var scales = { x: { time: false }, y: { range: range || function (u, min, max) { return [0, max > 0 ? max * 1.05 : 1]; } } };
    var opts = {
      width: width(fig), height: 220, series: series, scales: scales,
      cursor: { sync: { key: "drill" } },
      axes: [xAxis, { label: yLabel, values: function (u, vals) { return vals.map(fmt); }, size: 60 }],
      plugins: [overlay],
    };
    new uPlot(opts, data, fig);
    fig.dataset.series = String(layers.length);
  }

  function isPow10(v) {
    var l = Math.log10(v);
    return Math.abs(l - Math.round(l)) < 1e-9;
  }

  function lineChart(fig, n, lines, colors, yLabel, fmt, overlay, yScale) {
    var logTicks = yScale && yScale.logTicks;
    var series = [{ label: "t", value: function (u, v) { return v == null ? "-" : fmtT(v); } }];
    var data = [seconds(n)];
    lines.forEach(function (l, i) {
      series.push({ label: l.label, stroke: colors[i % colors.length], width: 1.5, spanGaps: false, points: { show: false },
        value: function (u, v) { return fmt(v); } });
      data.push(l.values);
    });
    var opts = {
      width: width(fig), height: 220, series: series, scales: { x: { time: false }, y: yScale || {} },
      cursor: { sync: { key: "drill" } },
      axes: [xAxis, { label: yLabel, size: 80, values: function (u, vals) {
        return vals.map(function (v) { return logTicks && !isPow10(v) ? "" : fmt(v); });
      } }],
      plugins: overlay ? [overlay] : [],
    };
    new uPlot(opts, data, fig);
    fig.dataset.series = String(lines.length);
  }

  // latencyScale is logarithmic when the quantiles span more than a factor
  // of 20 (a tail of seconds over a median of milliseconds), else linear.
  function latencyScale(lines) {
    var lo = Infinity, hi = 0;
    lines.forEach(function (l) {
      l.values.forEach(function (v) { if (v != null && v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
    });
    if (hi > 0 && hi / lo > 20) return { distr: 3, log: 10, logTicks: true };
    return { range: function (u, min, max) { return [0, max > 0 ? max * 1.1 : 1]; } };
  }

  var laneColors = {
    "created": "#d4a72c", "Ready": "#2da44e", "not Ready": "#fb8f44", "terminating": "#cf222e",
    "initial": "#d4a72c", "healthy": "#2da44e", "unhealthy": "#a40e26", "draining": "#fb8f44", "unused": "#8c959f",
  };

  // laneChart draws one row per pod or target, a coloured bar per state.
  function laneChart(fig, n, lanes, overlay) {
    var rowH = 26;
    var names = lanes.map(function (l) { return l.name; });
    var drawLanes = function (u) {
      var ctx = u.ctx;
      ctx.save();
      lanes.forEach(function (l, i) {
        var row = lanes.length - 1 - i;
        var y0 = u.valToPos(row + 0.85, "y", true), y1 = u.valToPos(row + 0.15, "y", true);
        l.segments.forEach(function (s) {
          var x0 = u.valToPos(s.from, "x", true), x1 = u.valToPos(s.to, "x", true);
          ctx.fillStyle = laneColors[s.state] || "#8c959f";
          ctx.fillRect(x0, y0, Math.max(1, x1 - x0), y1 - y0);
        });
        if (l.gone != null) {
          var xg = u.valToPos(l.gone, "x", true);
          ctx.fillStyle = "#24292f";
          ctx.fillRect(xg - 1, y0, 2, y1 - y0);
        }
      });
      ctx.restore();
    };
    var empty = new Array(n).fill(null);
    var opts = {
      width: width(fig), height: 60 + rowH * lanes.length,
      series: [{ value: function (u, v) { return v == null ? "-" : fmtT(v); } }, { label: "", show: false }],
      scales: { x: { time: false }, y: { range: [0, lanes.length] } },
      legend: { show: false },
      cursor: { sync: { key: "drill" }, y: false, points: { show: false } },
      axes: [{ values: xAxis.values }, {
        size: 170, gap: 4, grid: { show: false },
        splits: function () { return names.map(function (_, i) { return i + 0.5; }); },
        values: function (u, vals) { return vals.map(function (v) { return names[lanes.length - 1 - Math.floor(v)] || ""; }); },
      }],
      hooks: { draw: [drawLanes] },
      plugins: [overlay],
    };
    new uPlot(opts, [seconds(n), empty], fig);
    fig.dataset.series = String(lanes.length);
    var legend = document.createElement("div");
    legend.className = "lane-legend";
    var states = {};
    lanes.forEach(function (l) { l.segments.forEach(function (s) { states[s.state] = true; }); });
    Object.keys(states).forEach(function (s) {
      var key = document.createElement("span");
      key.innerHTML = "<i></i>";
      key.firstChild.style.background = laneColors[s] || "#8c959f";
      key.appendChild(document.createTextNode(s));
      legend.appendChild(key);
    });
    var gone = document.createElement("span");
    gone.innerHTML = "<i></i>";
    gone.firstChild.style.background = "#24292f";
    gone.firstChild.style.width = "3px";
    gone.appendChild(document.createTextNode("gone"));
    legend.appendChild(gone);
    fig.appendChild(legend);
  }

  // --- a report ------------------------------------------------------------

  function drawReport(d) {
    var n = d.seconds;
    var overlay = function () { return overlayPlugin(d.faults, d.bursts, true); };
    var unlabelled = function () { return overlayPlugin(d.faults, d.bursts, false); };
    stackChart(figure("requests", "Requests per second", "succeeded and failed, by the second they started in"),
      n, [{ label: "succeeded", values: d.ok }, { label: "failed", values: d.failed }], ["#2da44e", "#cf222e"],
      "requests/s", fmtCount, overlay());
    if (d.failures.length > 0) {
      stackChart(figure("failures", "Failures per second by class", "failing status codes and transport errors"),
        n, d.failures, failColors, "failures/s", fmtCount, overlay());
    }
    lineChart(figure("latency", "Latency per second", "quantiles of the requests that started in each second"),
      n, d.latency, ["#1a7f37", "#0969da", "#8250df"], "latency", fmtMs, overlay(), latencyScale(d.latency));
    if (d.backends) {
      stackChart(figure("backends", "Share of responses per backend", "as the response header names them"),
        n, d.backends, palette, "share", fmtPct, overlay(), [0, 100]);
    }
    if (d.pods) {
      laneChart(figure("pods", "Pods", "created, Ready, terminating, gone, as the pod watch saw them"), n, d.pods, unlabelled());
    }
    if (d.targets) {
      laneChart(figure("targets", "Load balancer targets", "health states of each target"), n, d.targets, unlabelled());
    }
    if (d.conntrack) {
      lineChart(figure("conntrack", "Conntrack table fill per node", "entries / the table's limit, fullest sample each second"),
        n, d.conntrack, palette, "fill", fmtPct, overlay(), { range: [0, 100] });
    }
    burstList(d.bursts);
  }

  function burstList(bursts) {
    if (bursts.length === 0) return;
    var box = document.createElement("div");
    box.id = "bursts";
    var h = document.createElement("h3");
    h.textContent = "Error bursts (shaded in the charts)";
    box.appendChild(h);
    bursts.forEach(function (b, i) {
      var sec = document.createElement("section");
      sec.className = "burst";
      sec.id = "burst-" + (i + 1);
      var head = document.createElement("p");
      head.className = "burst-head";
      head.textContent = "Burst " + (i + 1) + ": t=" + b.startT + "s.." + b.endT + "s, " + b.failures + " failed, recovered after " + b.recovery;
      sec.appendChild(head);
      var list = function (title, items, cls) {
        var p = document.createElement("p");
        p.textContent = title;
        sec.appendChild(p);
        var ul = document.createElement("ul");
        ul.className = cls;
        items.forEach(function (t) { var li = document.createElement("li"); li.textContent = t; ul.appendChild(li); });
        sec.appendChild(ul);
      };
      if (b.causes.length > 0) list("Causes:", b.causes, "causes");
      if (b.around.length > 0) list("Events around it:", b.around, "around");
      else if (b.causes.length === 0) list("No events around it.", [], "around");
      box.appendChild(sec);
    });
    document.getElementById("charts").appendChild(box);
  }

  // --- a comparison --------------------------------------------------------

  function drawComparison(d) {
    var n = d.seconds;
    var fr = d.runs.map(function (r) { return { label: r.label, values: r.failureRate }; });
    lineChart(figure("failure-rate", "Failed share of requests per second, every run", "runs overlaid on the time since each started"),
      n, fr, palette, "failed", fmtPct, null, { range: [0, 100] });
    var p99 = d.runs.map(function (r) { return { label: r.label + " p99", values: r.p99 }; });
    var p50 = d.runs.map(function (r) { return { label: r.label + " p50", values: r.p50 }; });
    var lat = [];
    p99.forEach(function (l, i) { lat.push(l); lat.push(p50[i]); });
    var colors = [];
    d.runs.forEach(function (_, i) { colors.push(palette[i % palette.length]); colors.push(palette[i % palette.length] + "88"); });
    lineChart(figure("latency", "Latency per second, every run", "p99 and p50 (lighter) of each run"),
      n, lat, colors, "latency", fmtMs, null, latencyScale(lat));
  }
  try {
    if (typeof uPlot !== "function") {
      throw new Error("the chart library did not load");
    }
    var dataEl = document.getElementById("drill-data");
    var doc = JSON.parse(dataEl.textContent);
    if (doc.kind === "compare") {
      drawComparison(doc);
    } else {
      drawReport(doc);
    }
    body.dataset.charts = "drawn";
  } catch (err) {
    fail(err);
  }
})();
