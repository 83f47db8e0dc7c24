/* siteplan interactive map: the weights tuned in the browser, no server.
 *
 * Written for siteplan (siteplan/render/interactive.py puts it in the page). It reads
 * the page's data from one <script type="application/json"> element (never
 * run as script), re-scores every eligible site with the formulas of
 * siteplan.methods.aggregate (WLC, WGM, OWA, TOPSIS with the ideal points of all
 * eligible sites), re-classes (mapclassify's quantiles or equal intervals),
 * re-colours, re-ranks, moves the numbered top sites and fills tooltips and
 * popups when they open.
 *
 * JavaScript API (window.siteplan is the last interactive map of the page;
 * window.siteplanMaps[<map variable>] holds each):
 *   siteplan.setWeights({criterion: weight, ...})  weights >= 0, any scale, not
 *       all 0; criteria left out keep their weight; all are then divided by
 *       the total (as Profile.with_weights does in Python)
 *   siteplan.setMethod(name)      "wlc", "wgm", "owa" or "topsis"
 *   siteplan.weights()            {criterion: weight}, summing to 1
 *   siteplan.method()             the method's name
 *   siteplan.ranking()            [{parcel_id, score, rank, rank_shared}, ...] best
 *                                 first; score 0-100, rank = 1 + sites scoring higher,
 *                                 rank_shared = how many sites hold that rank (as
 *                                 siteplan.scoring.ranks.rank_columns); equal scores in the
 *                                 order of siteplan.scoring.ranks.TIE_RULE (parcel_id)
 *   siteplan.explain(parcel_id)   {score, base, contributions: {criterion: points}}
 *   siteplan.toml()               the profile as TOML with these weights and method
 *   siteplan.reset()              back to the profile's weights and method
 *   siteplan.onChange(fn)         fn(siteplan) after every change
 *   siteplan.topSites()           parcel ids of the numbered markers, best first
 *   siteplan.timing()             milliseconds of the last change, by part
 * Popup points: WLC 100 w c; other methods the Shapley value of each criterion
 * (coalition value = the score with the criteria outside it at 0, weights and
 * TOPSIS ideal points unchanged; base = every criterion at 0). The URL fragment
 * (#m=wlc&w.<criterion>=<weight>...) is written 250 ms after the last change.
 * Every text from data is escaped (esc) before it is put into HTML.
 */
(function () {
  "use strict";

  // the same table as siteplan.render.words.esc: HTML, template-literal characters, braces
  var ESC = [["&", "&amp;"], ["<", "&lt;"], [">", "&gt;"], ['"', "&quot;"], ["'", "&#39;"],
             ["`", "&#96;"], ["$", "&#36;"], ["\\", "&#92;"], ["{", "&#123;"], ["}", "&#125;"]];
  var METHODS = ["wlc", "wgm", "owa", "topsis"];

  function esc(value) {
    var s = value === null || value === undefined ? "" : String(value);
    s = s.replace(/[\x00-\x1f\x7f]/g, " ");
    for (var i = 0; i < ESC.length; i++) s = s.split(ESC[i][0]).join(ESC[i][1]);
    return s;
  }

  function bytes(b64) {
    var bin = atob(b64), n = bin.length, out = new Uint8Array(n);
    for (var i = 0; i < n; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function float64s(b64) {            // little-endian float64, as numpy writes '<f8'
    var b = bytes(b64);
    return new Float64Array(b.buffer, 0, b.length / 8);
  }

  function varints(b64) {             // zigzag LEB128 integers
    var b = bytes(b64), out = [], i = 0;
    while (i < b.length) {
      var v = 0, mul = 1, x;
      do { x = b[i++]; v += (x & 127) * mul; mul *= 128; } while (x & 128);
      out.push(v % 2 ? -(v + 1) / 2 : v / 2);
    }
    return out;
  }

  function cumsum2(values) {          // running sums of interleaved x, y differences
    var out = new Array(values.length), x = 0, y = 0;
    for (var i = 0; i + 1 < values.length; i += 2) {
      x += values[i];
      y += values[i + 1];
      out[i] = x;
      out[i + 1] = y;
    }
    return out;
  }

  // -------------------------------------------------------------- numbers in words

  function rint(v) {                  // round half to even, as numpy.rint
    var f = Math.floor(v), d = v - f;
    if (d > 0.5) return f + 1;
    if (d < 0.5) return f;
    return f % 2 === 0 ? f : f + 1;
  }

  // (thousands, decimal) separators per language, from the page's data (siteplan.words)
  var SEPARATORS = {};

  function fmt(x, decimals, lang) {   // 4.200,5 (id) or 4,200.5 (en), as siteplan.words.fmt_fixed
    if (!isFinite(x)) return "\u2013";
    var seps = SEPARATORS[lang] || [",", "."];
    var scale = Math.pow(10, decimals), iv = rint(Math.abs(x) * scale);
    var whole = String(Math.floor(iv / scale));
    whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, seps[0]);
    var out = whole;
    if (decimals) {
      var frac = String(iv % scale);
      while (frac.length < decimals) frac = "0" + frac;
      out += seps[1] + frac;
    }
    return x < 0 && iv > 0 ? "-" + out : out;
  }

  function shares(w, decimals) {      // percentages rounded so that they add up to 100
    var scale = Math.pow(10, decimals), total = 100 * scale, raw = [], base = [], s = 0;
    for (var j = 0; j < w.length; j++) {
      raw.push(w[j] * total);
      base.push(Math.floor(raw[j]));
      s += base[j];
    }
    var order = raw.map(function (r, j) { return j; }).sort(function (a, b) {
      return (raw[b] - base[b]) - (raw[a] - base[a]) || a - b;
    });
    for (var k = 0; k < Math.round(total - s) && k < order.length; k++) base[order[k]] += 1;
    return base.map(function (b) { return b / scale; });
  }

  // -------------------------------------------------------------- aggregation

  function Model(data) {
    this.n = data.n;
    this.m = data.criteria.length;
    this.c = float64s(data.c);          // row-major, n x m, in [0, 1]
    this.alpha = data.alpha;
    this.owaV = data.owa_v;             // siteplan.methods.aggregate.owa_order_weights(m, alpha)
    this.prepareTopsis();
  }

  Model.prototype.prepareTopsis = function () {
    var n = this.n, m = this.m, c = this.c, norms = new Float64Array(m), i, j;
    for (j = 0; j < m; j++) {
      var s = 0;
      for (i = 0; i < n; i++) s += c[i * m + j] * c[i * m + j];
      norms[j] = Math.sqrt(s);
    }
    this.norms = norms;
    var rmax = new Float64Array(m).fill(-Infinity), rmin = new Float64Array(m).fill(Infinity);
    for (i = 0; i < n; i++) {
      for (j = 0; j < m; j++) {
        var r = norms[j] > 0 ? c[i * m + j] / norms[j] : 0;
        if (r > rmax[j]) rmax[j] = r;
        if (r < rmin[j]) rmin[j] = r;
      }
    }
    this.rmax = rmax;
    this.rmin = rmin;
  };

  // score in [0, 1] of one row of suitabilities, by the method, with the ideal
  // points of every eligible site (TOPSIS: v = r * w; best, worst = max, min of v)
  Model.prototype.score1 = function (row, w, method) {
    var m = this.m, j, s = 0;
    if (method === "wlc") {
      for (j = 0; j < m; j++) s += row[j] * w[j];
      return s;
    }
    if (method === "wgm") {
      for (j = 0; j < m; j++) {
        var x = Math.min(Math.max(row[j], 0), 1);
        if (x <= 0) { if (w[j] > 0) return 0; continue; }
        s += Math.log(x) * w[j];
      }
      return Math.exp(s);
    }
    if (method === "owa") {
      var idx = [];
      for (j = 0; j < m; j++) idx.push(j);
      idx.sort(function (a, b) { return row[b] - row[a] || a - b; });   // stable, highest first
      var num = 0, den = 0;
      for (var k = 0; k < m; k++) {
        var u = w[idx[k]] * this.owaV[k];
        num += u * row[idx[k]];
        den += u;
      }
      return num / den;
    }
    // topsis
    var dp = 0, dm = 0;
    for (j = 0; j < m; j++) {
      var r = this.norms[j] > 0 ? row[j] / this.norms[j] : 0;
      var v = r * w[j], best = this.rmax[j] * w[j], worst = this.rmin[j] * w[j];
      dp += (v - best) * (v - best);
      dm += (v - worst) * (v - worst);
    }
    dp = Math.sqrt(dp);
    dm = Math.sqrt(dm);
    return dp + dm > 0 ? dm / (dp + dm) : 1;
  };

  Model.prototype.row = function (i) {
    return this.c.subarray(i * this.m, (i + 1) * this.m);
  };

  Model.prototype.scores = function (w, method) {
    var out = new Float64Array(this.n);
    for (var i = 0; i < this.n; i++) out[i] = this.score1(this.row(i), w, method) * 100;
    return out;
  };

  // contributions in score points: WLC 100 w c; other methods the Shapley value of
  // each criterion, a coalition's value being the score with the criteria outside
  // it set to 0 (weights and TOPSIS ideal points unchanged); base = all at 0
  Model.prototype.explain = function (i, w, method) {
    var m = this.m, row = this.row(i), out = new Array(m), j;
    var score = this.score1(row, w, method) * 100;
    if (method === "wlc") {
      for (j = 0; j < m; j++) out[j] = 100 * w[j] * row[j];
      return {score: score, base: 0, contributions: out};
    }
    var size = 1 << m, vals = new Float64Array(size), tmp = new Float64Array(m), mask;
    for (mask = 0; mask < size; mask++) {
      for (j = 0; j < m; j++) tmp[j] = mask & (1 << j) ? row[j] : 0;
      vals[mask] = this.score1(tmp, w, method) * 100;
    }
    var fact = [1];
    for (j = 1; j <= m; j++) fact.push(fact[j - 1] * j);
    var coef = [];
    for (var s = 0; s < m; s++) coef.push(fact[s] * fact[m - s - 1] / fact[m]);
    for (j = 0; j < m; j++) {
      var bit = 1 << j, phi = 0;
      for (mask = 0; mask < size; mask++) {
        if (mask & bit) continue;
        var pop = 0, x = mask;
        while (x) { pop += x & 1; x >>= 1; }
        phi += coef[pop] * (vals[mask | bit] - vals[mask]);
      }
      out[j] = phi;
    }
    return {score: score, base: vals[0], contributions: out};
  };

  // -------------------------------------------------------------- classes (mapclassify)

  function percentile(sorted, per) {   // scipy.stats.scoreatpercentile, 'fraction'
    var idx = per / 100 * (sorted.length - 1), i = Math.trunc(idx);
    if (i === idx) return sorted[i];
    var w0 = (i + 1) - idx, w1 = idx - i;
    return (sorted[i] * w0 + sorted[i + 1] * w1) / (w0 + w1);
  }

  function arange(start, stop, step) { // numpy.arange for floats
    var n = Math.ceil((stop - start) / step), out = [];
    if (n > 0) out.push(start);
    if (n > 1) out.push(start + step);
    var delta = (start + step) - start;
    for (var i = 2; i < n; i++) out.push(start + i * delta);
    return out;
  }

  function classify(ascending, spec) { // bins (upper bounds), as render.score_map._classify
    var n = ascending.length;
    if (!n) return [];
    var unique = 1;
    for (var i = 1; i < n; i++) if (ascending[i] !== ascending[i - 1]) unique++;
    var k = Math.min(spec.k, unique), max = ascending[n - 1], min = ascending[0];
    if (k === 1) return [max];
    if (spec.scheme === "equalinterval") {
      var width = (max - min) * 1.0 / k, cuts = arange(min + width, max + width, width);
      if (cuts.length > k) cuts = cuts.slice(0, k);
      cuts[cuts.length - 1] = max;
      return cuts;
    }
    var q = spec.pcts[k].map(function (p) { return percentile(ascending, p); });
    q.sort(function (a, b) { return a - b; });
    return q.filter(function (v, j) { return j === 0 || v !== q[j - 1]; });
  }

  function binOf(bins, y) {            // first bin with y <= bin (mapclassify.bin1d)
    var lo = 0, hi = bins.length - 1;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (y <= bins[mid]) hi = mid; else lo = mid + 1;
    }
    return lo;
  }

  // -------------------------------------------------------------- geometry

  function features(geom, n) {        // GeoJSON features of the sites that have a shape
    var parts = varints(geom.parts), rings = varints(geom.rings), verts = varints(geom.verts);
    var xy = cumsum2(varints(geom.xy)), scale = geom.scale, feats = [];
    var ring = 0, part = 0, v = 0;
    for (var s = 0; s < n; s++) {
      var polys = [];
      for (var p = 0; p < parts[s]; p++, part++) {
        var poly = [];
        for (var r = 0; r < rings[part]; r++, ring++) {
          var coords = [];
          for (var k = 0; k < verts[ring]; k++, v++) {
            coords.push([xy[2 * v] / scale, xy[2 * v + 1] / scale]);
          }
          if (coords.length) coords.push(coords[0]);
          poly.push(coords);
        }
        polys.push(poly);
      }
      if (polys.length) {
        feats.push({type: "Feature", id: s, properties: {},
                    geometry: polys.length === 1 ? {type: "Polygon", coordinates: polys[0]}
                      : {type: "MultiPolygon", coordinates: polys}});
      }
    }
    return {type: "FeatureCollection", features: feats};
  }

  // -------------------------------------------------------------- the map

  function create(map, layer, markers, dataId) {
    var data = JSON.parse(document.getElementById(dataId).textContent);
    var model = new Model(data), tx = data.words, lang = data.lang, n = data.n;
    Object.assign(SEPARATORS, data.seps);   // every language's, as siteplan.words has them
    var names = data.criteria.map(function (c) { return c.name; });
    var initial = {w: data.weights.slice(), method: data.method};
    var state = {w: data.weights.slice(), method: data.method};
    var timing = null, scores, order, ranks, shared, counts, cls = new Int16Array(n).fill(-1), bins = [], palette = [];
    var listeners = [], byId = new Map(), shownClasses = data.classes.initial;
    var tie = varints(data.tie);       // each site's place under TIE_RULE
    // each criterion's measured value of each site, as text ("317 m"): codes into the texts
    var measured = (data.measured || []).map(function (m) {
      return m ? {codes: varints(m.codes), values: m.values} : null; });
    var pts = cumsum2(varints(data.pt)), nopt = new Set(data.nopt), mapName = data.map;
    data.ids.forEach(function (id, i) { byId.set(String(id), i); });

    // ---------------------------------------------------------- words of a site
    var kel = data.kel, kec = data.kec;
    function label(i) {
      var name = data.names ? String(data.names[i] || "").trim() : "";
      return esc(name || String(data.ids[i]).trim());
    }
    function meta(i) {
      var parts = [];
      if (data.names && String(data.names[i] || "").trim()) parts.push(esc(String(data.ids[i]).trim()));
      if (kel && kel.values[kel.codes[i]]) parts.push(tx.kel + " " + esc(kel.values[kel.codes[i]]));
      if (kec && kec.values[kec.codes[i]]) parts.push(tx.kec + " " + esc(kec.values[kec.codes[i]]));
      return parts.join(" \u00b7 ");
    }
    function atInitial() {
      if (state.method !== initial.method) return false;
      for (var j = 0; j < names.length; j++) if (state.w[j] !== initial.w[j]) return false;
      return true;
    }
    function tooltip(i) {
      return "<b>#" + fmt(ranks[i], 0, lang) + "</b> " + label(i) + " \u00b7 " +
        tx.score.toLowerCase() + " <b>" + fmt(scores[i], 1, lang) + "</b>";
    }
    function popup(i) {
      var ex = model.explain(i, state.w, state.method), m = meta(i), row = model.row(i);
      var html = "<div class=sp-pop><h4>" + label(i) + "</h4>" +
        (m ? "<div class=m>" + m + "</div>" : "") +
        "<div class=s>" + tx.score + " <b>" + fmt(scores[i], 1, lang) + "</b> \u00b7 " +
        tx.rank + " <b>" + fmt(ranks[i], 0, lang) + "</b>" + (shared[i] > 1 ? " (" +
        tx.rank_shared.replace("{n}", fmt(shared[i], 0, lang)) + ")" : "") + " " + tx.of +
        " " + fmt(n, 0, lang) +
        "</div><div class=m>" + tx.area + " " + fmt(data.area[i], 0, lang) + " m\u00b2 (" +
        fmt(data.area[i] / 1e4, 2, lang) + " ha)</div>";
      if (data.stab && atInitial() && isFinite(data.stab[i])) {
        html += "<div class=st>" + tx.stability.replace("{k}", esc(data.top_k))
          .replace("{p}", fmt(data.stab[i] * 100, 0, lang)) + "</div>";
      }
      html += "<table><tr><th>" + tx.criterion + "<th class=v>" + tx.measured +
        "<th class=b>" + tx.suitability + "<th class=p>" + tx.points;
      for (var j = 0; j < names.length; j++) {
        var pct = fmt(Math.min(Math.max(row[j] || 0, 0), 1) * 100, 0, "en");
        var points = ex.contributions[j];
        var said = measured[j] ? measured[j].values[measured[j].codes[i]] : "\u2013";
        html += "<tr><td>" + esc(data.criteria[j].title) + "<td class=v>" + esc(said) +
          "<td class=b><i style=width:" + pct + "%></i><td class=p>" +
          (points < 0 ? "" : "+") + fmt(points, 1, lang);
      }
      html += "</table>";
      html += "<div class=m>" + (state.method !== "wlc" ?
        tx.shapley.replace("{base}", fmt(ex.base, 1, lang)) : tx.points_note) + "</div>";
      return html + "</div>";
    }

    // ---------------------------------------------------------- the scored layer
    var style = function (feature) {
      var code = cls[feature.id], col = palette[code] || palette[0] || ["#999999", "#555555"];
      return Object.assign({}, data.style, {fillColor: col[0], color: col[1]});
    };
    layer.options.style = style;
    layer.options.onEachFeature = function (feature, lyr) {
      lyr.on({
        mouseover: function (e) { e.target.setStyle(data.highlight); },
        mouseout: function (e) { layer.resetStyle(e.target); }
      });
    };
    // one canvas for every site: re-colouring thousands of shapes redraws one bitmap
    // instead of restyling thousands of SVG elements
    var canvas = L.canvas({padding: 0.1, tolerance: 0});
    layer.options.renderer = canvas;
    var drawn = new Array(n);
    readFragment(false);
    compute();
    layer.addData(features(data.geom, n));
    layer.eachLayer(function (l) { drawn[l.feature.id] = l; });
    layer.bindTooltip(function (l) { return tooltip(l.feature.id); },
                      {sticky: true, className: "sp-tip"});
    layer.bindPopup(function (l) { return popup(l.feature.id); },
                    {maxWidth: 380, className: "sp-geopop"});

    function point(i) { return [pts[2 * i + 1] / 1e6, pts[2 * i] / 1e6]; }

    var pinned = new Map();            // site -> its numbered marker, kept while in the top

    function icon(i, off) {           // off: the pin's offset from its site, in pixels
      var text = String(ranks[i]), width = Math.max(24, 10 + 7 * text.length);
      var dx = off[0], dy = off[1], half = Math.floor(width / 2), html;
      if (dx === 0 && dy === 0) {
        html = '<div class="sp-rank" style="width:' + width + 'px">' + text + "</div>";
      } else {                         // moved: a thin line leads back to the site
        var sx = half - dx, sy = 30 - dy;
        html = '<svg class="sp-lead" width="1" height="1"><line x1="' + half + '" y1="12" x2="' +
          sx + '" y2="' + sy + '" stroke="#1f1f1f" stroke-width="1.5"/><circle cx="' + sx +
          '" cy="' + sy + '" r="3" fill="#1f1f1f" stroke="#fff" stroke-width="1"/></svg>' +
          '<div class="sp-rank sp-moved" style="width:' + width + 'px">' + text + "</div>";
      }
      return L.divIcon({html: html, iconSize: [width, 30], iconAnchor: [half - dx, 30 - dy],
                        popupAnchor: [dx, dy - 28], className: "sp-rank-icon"});
    }

    // where each numbered pin goes, best first: on its site, or at the first place around
    // it (up, up right, up left, right, left, down right, down left, down; then a step
    // further) that covers no pin placed before it at any of the page's opening zooms;
    // siteplan.render._labels.spread_labels, step for step
    var DIRECTIONS = [[0, -1], [1, -1], [-1, -1], [1, 0], [-1, 0], [1, 1], [-1, 1], [0, 1]];
    function spread(sites, w, h) {
      var gap = 2, bw = w + gap, bh = h + gap, cands = [[0, 0]], zooms = data.pin_zooms;
      for (var k = 1; k <= 4; k++) {
        DIRECTIONS.forEach(function (d) { cands.push([d[0] * bw * k, d[1] * bh * k]); });
      }
      var screens = zooms.map(function (z) {
        return sites.map(function (i) { return map.project(point(i), z); }); });
      var placed = zooms.map(function () { return []; }), out = [];
      sites.forEach(function (_, i) {
        var pick = 0, least = Infinity, boxes = [];
        for (var c = 0; c < cands.length; c++) {
          var cost = 0, bs = screens.map(function (scr) {
            var x = scr[i].x + cands[c][0], y = scr[i].y + cands[c][1];
            return [x - bw / 2, y - bh, x + bw / 2, y]; });
          bs.forEach(function (b, z) {
            placed[z].forEach(function (p) {
              cost += Math.max(Math.min(b[2], p[2]) - Math.max(b[0], p[0]), 0) *
                Math.max(Math.min(b[3], p[3]) - Math.max(b[1], p[1]), 0); });
          });
          if (cost <= 0) { pick = c; boxes = bs; break; }
          if (cost < least) { least = cost; pick = c; boxes = bs; }
        }
        boxes.forEach(function (b, z) { placed[z].push(b); });
        out.push(cands[pick]);
      });
      return out;
    }

    function drawMarkers() {          // the top sites numbered; an open popup stays open
      var keep = new Set();
      for (var k = 0; k < order.length && k < data.top; k++) {
        if (!nopt.has(order[k])) keep.add(order[k]);
      }
      pinned.forEach(function (mk, i) {
        if (!keep.has(i)) { markers.removeLayer(mk); pinned.delete(i); }
      });
      var sites = Array.from(keep), widest = 24;
      sites.forEach(function (i) { widest = Math.max(widest, 10 + 7 * String(ranks[i]).length); });
      var offsets = spread(sites, widest, 30), at = new Map();
      sites.forEach(function (i, k) { at.set(i, offsets[k]); });
      keep.forEach(function (i) {
        var mk = pinned.get(i), off = at.get(i), key = ranks[i] + ":" + off.join(",");
        if (mk) {
          if (mk.shownKey !== key) mk.setIcon(icon(i, off));
        } else {
          mk = L.marker(point(i), {icon: icon(i, off)});
          mk.siteIndex = i;
          mk.bindTooltip(tooltip.bind(null, i));
          mk.bindPopup(popup.bind(null, i), {maxWidth: 380});
          pinned.set(i, mk);
          markers.addLayer(mk);
        }
        mk.shownKey = key;
      });
    }

    // ---------------------------------------------------------- legend, title, panel
    function container() { return map.getContainer(); }

    function updateLegend(counts) {
      var box = container().querySelector(".sp-legend");
      if (!box) return;
      // the legend's rows follow its heading (.h), inside the box's fold when it has one
      var legend = box.querySelector(":scope > details") || box;
      var head = legend.querySelector(":scope > .h");
      var rows = [];
      for (var b = bins.length - 1; b >= 0; b--) {
        var lo = fmt(b ? bins[b - 1] : scores[order[order.length - 1]], 1, lang);
        var hi = fmt(bins[b], 1, lang), rng = lo === hi ? hi : lo + " \u2013 " + hi;
        var row = document.createElement("div");
        row.className = "r";
        row.innerHTML = '<i style="background:' + esc(palette[b][0]) + '"></i>' + rng +
          " <span class=c>(" + fmt(counts[b], 0, lang) + ")</span>";
        rows.push(row);
      }
      for (var r = 0; r < shownClasses; r++) legend.removeChild(head.nextElementSibling);
      var after = head.nextElementSibling;
      rows.forEach(function (row) { legend.insertBefore(row, after); });
      shownClasses = rows.length;
      var note = legend.querySelector(":scope > .n");
      if (note) note.textContent = bins.length + " " + tx.classes + " (" + data.classes.name + ")";
      var subs = legend.querySelectorAll(".sub"), pct = shares(state.w, 0);
      for (var s = 0; s < subs.length; s++) {
        if (subs[s].textContent !== tx.legend_criteria) continue;
        var el = subs[s].nextElementSibling;
        for (var j = 0; j < names.length && el; j++, el = el.nextElementSibling) {
          var span = el.querySelector(".c");
          if (span) span.textContent = "(" + fmt(pct[j], 0, lang) + "%)";
        }
      }
    }

    function updateTitle() {
      var t2 = container().querySelector(".sp-title .t2");
      if (!t2) return;
      var re = new RegExp("(" + tx.method + ") [A-Z]+$");
      t2.textContent = t2.textContent.replace(re, "$1 " + state.method.toUpperCase());
    }

    var dragged = null, dragFrame = 0;
    var panel = buildPanel();

    function buildPanel() {
      var ctl = L.control({position: "topright"}), div;
      ctl.onAdd = function () {
        div = L.DomUtil.create("div", "sp-box sp-panel");
        // folded on a phone, so the map stays in sight; one tap opens it
        var h = "<details" + (window.innerWidth >= 600 ? " open" : "") + "><summary>" +
          tx.panel_title + "</summary>";
        if (data.methods.length > 1) {
          h += "<label class=sp-m>" + tx.method_label + " <select>";
          data.methods.forEach(function (m) {
            h += '<option value="' + m + '">' + esc(tx["method_" + m]) + "</option>";
          });
          h += "</select></label>";
        }
        h += "<table><tr><th>" + tx.criterion + "<th colspan=2>" + tx.share + "</tr>";
        names.forEach(function (name, j) {
          h += "<tr data-j=" + j + "><td>" + esc(data.criteria[j].title) +
            "<td><input type=range min=0 max=100 step=1 aria-label=\"" +
            esc(data.criteria[j].title) + "\"><td><input type=text inputmode=decimal " +
            "class=sp-pct size=5 aria-label=\"" + esc(data.criteria[j].title) + " %\"> %</tr>";
        });
        h += "<tr class=sum><td>" + tx.total + "<td><td><b>100</b> %</tr></table>" +
          "<div class=sp-note>" + tx.slider_note + "</div>" +
          "<div class=sp-btns><button type=button class=sp-reset>" + tx.reset + "</button>" +
          "<button type=button class=sp-copy>" + tx.copy + "</button></div>" +
          "<div class=sp-msg></div><textarea class=sp-toml readonly hidden rows=8></textarea>" +
          "</details>";
        div.innerHTML = h;
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        var select = div.querySelector("select");
        if (select) select.addEventListener("change", function () { api.setMethod(select.value); });
        div.querySelectorAll("tr[data-j]").forEach(function (tr) {
          var j = +tr.getAttribute("data-j");
          tr.querySelector("input[type=range]").addEventListener("input", function (e) {
            dragged = [j, +e.target.value];       // while dragging: one update per frame
            if (!dragFrame) {
              dragFrame = window.requestAnimationFrame(function () {
                dragFrame = 0;
                setShare(dragged[0], dragged[1]);
              });
            }
          });
          tr.querySelector("input.sp-pct").addEventListener("change", function (e) {
            // the box shows the page's decimal mark (35,0 in Indonesian); either mark is read
            var v = parseFloat(String(e.target.value).trim().replace(",", "."));
            if (isFinite(v)) setShare(j, Math.min(Math.max(v, 0), 100));
            else updatePanel();
          });
        });
        div.querySelector(".sp-reset").addEventListener("click", function () { api.reset(); });
        div.querySelector(".sp-copy").addEventListener("click", copyToml);
        return div;
      };
      ctl.addTo(map);
      var corner = ctl.getContainer().parentNode;      // above the layer list
      corner.insertBefore(ctl.getContainer(), corner.firstChild);
      return ctl;
    }

    function setShare(j, percent) {   // one share set; the others keep their proportions
      var v = percent / 100, rest = 0, k, w = state.w.slice();
      for (k = 0; k < w.length; k++) if (k !== j) rest += w[k];
      for (k = 0; k < w.length; k++) {
        if (k === j) w[k] = v;
        else w[k] = rest > 0 ? w[k] / rest * (1 - v) : (1 - v) / (w.length - 1);
      }
      if (w.length === 1) w[0] = 1;
      var given = {};
      names.forEach(function (name, k2) { given[name] = w[k2]; });
      try { api.setWeights(given); } catch (err) { message(err.message); }
    }

    function message(text) {
      var el = panel.getContainer().querySelector(".sp-msg");
      el.textContent = text;
    }

    function updatePanel() {
      var div = panel.getContainer(), pct = shares(state.w, 1);
      div.querySelectorAll("tr[data-j]").forEach(function (tr) {
        var j = +tr.getAttribute("data-j");
        tr.querySelector("input[type=range]").value = String(state.w[j] * 100);
        tr.querySelector("input.sp-pct").value = fmt(pct[j], 1, lang);
      });
      var select = div.querySelector("select");
      if (select) select.value = state.method;
    }

    function copyToml() {
      var text = api.toml(), area = panel.getContainer().querySelector(".sp-toml");
      area.value = text;
      area.hidden = false;
      area.select();
      var done = function () { message(tx.copied); };
      var manual = function () { message(tx.copy_manual); };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, manual);
      } else {
        manual();
      }
    }

    // ---------------------------------------------------------- URL fragment

    var fragmentTimer = null;

    function writeFragment() {        // later, once: replaceState costs ~50 ms in Chromium
      window.clearTimeout(fragmentTimer);
      fragmentTimer = window.setTimeout(writeFragmentNow, 250);
    }

    function writeFragmentNow() {
      try {
        if (atInitial()) {
          if (location.hash) history.replaceState(null, "", location.pathname + location.search);
          return;
        }
        var params = new URLSearchParams();
        params.set("m", state.method);
        names.forEach(function (name, j) {       // 0.2, not 0.19999999999999998
          params.set("w." + name, String(+state.w[j].toPrecision(15)));
        });
        history.replaceState(null, "", "#" + params.toString());
      } catch (err) { /* a page without a URL of its own (srcdoc) */ }
    }

    function readFragment(redraw) {   // #m=topsis&w.akses_jalan=0.4&w.luas=0.1
      var hash = location.hash.replace(/^#/, "");
      if (hash.indexOf("w.") < 0 && hash.indexOf("m=") < 0) return;
      var params = new URLSearchParams(hash), given = {};
      params.forEach(function (value, key) {
        if (key.slice(0, 2) === "w." && names.indexOf(key.slice(2)) >= 0) {
          given[key.slice(2)] = parseFloat(value);
        }
      });
      var method = params.get("m");
      try {
        if (Object.keys(given).length) applyWeights(given);
        if (method && data.methods.indexOf(method) >= 0) state.method = method;
      } catch (err) {
        window.setTimeout(function () { message(err.message); }, 0);
      }
      if (redraw) update();
    }

    // ---------------------------------------------------------- one change
    function compute() {
      scores = model.scores(state.w, state.method);
      order = new Array(n);
      for (var i = 0; i < n; i++) order[i] = i;
      order.sort(function (a, b) { return scores[b] - scores[a] || tie[a] - tie[b]; });
      ranks = new Int32Array(n);
      shared = new Int32Array(n);
      for (var k = 0, first = 0; k < n; k++) {   // a run of equal scores shares one rank
        var i2 = order[k];
        if (k > 0 && scores[i2] === scores[order[k - 1]]) {
          ranks[i2] = ranks[order[k - 1]];
        } else {
          ranks[i2] = k + 1;
          first = k;
        }
        if (k === n - 1 || scores[order[k + 1]] !== scores[i2]) {
          for (var q = first; q <= k; q++) shared[order[q]] = k - first + 1;
        }
      }
      var ascending = new Float64Array(n);
      for (var a = 0; a < n; a++) ascending[a] = scores[order[n - 1 - a]];
      bins = classify(ascending, data.classes);
      var newPalette = data.classes.palettes[bins.length] || [], repaint =
        newPalette.join() !== palette.join(), changed = [];
      palette = newPalette;
      counts = new Array(bins.length).fill(0);
      for (var s = 0; s < n; s++) {
        var code = binOf(bins, scores[s]);
        counts[code]++;
        if (code !== cls[s] || repaint) {
          cls[s] = code;
          changed.push(s);
        }
      }
      return changed;
    }

    function recolour(lyr) {          // only the colours change; one redraw of the canvas
      var col = palette[cls[lyr.feature.id]] || palette[0];
      lyr.options.fillColor = col[0];
      lyr.options.color = col[1];
      if (lyr._map) canvas._requestRedraw(lyr);
    }

    function update() {
      var t0 = performance.now(), changed = compute(), t1 = performance.now();
      for (var c = 0; c < changed.length; c++) {
        var lyr = drawn[changed[c]];
        if (lyr) recolour(lyr);
      }
      var t2 = performance.now();
      paint();
      timing = {compute: t1 - t0, recolour: t2 - t1, rest: performance.now() - t2,
                changed: changed.length};
    }

    function paint() {
      drawMarkers();
      updateLegend(counts);
      updateTitle();
      updatePanel();
      writeFragment();
      var open = map._popup;
      if (open && open.isOpen && open.isOpen()) open.update();
      listeners.forEach(function (fn) { fn(api); });
    }

    function applyWeights(given) {    // as Profile.with_weights: the others keep theirs
      if (!given || typeof given !== "object") throw new Error(tx.err_mapping);
      var merged = state.w.slice(), unknown = [];
      Object.keys(given).forEach(function (key) {
        var j = names.indexOf(key);
        if (j < 0) { unknown.push(key); return; }
        var v = Number(given[key]);
        if (!isFinite(v) || v < 0 || typeof given[key] === "boolean") {
          throw new Error(tx.err_weight.replace("{name}", key).replace("{value}", String(given[key])));
        }
        merged[j] = v;
      });
      if (unknown.length) {
        throw new Error(tx.err_unknown.replace("{names}", unknown.join(", "))
          .replace("{known}", names.join(", ")));
      }
      var total = 0;
      for (var j = 0; j < merged.length; j++) total += merged[j];
      if (!(total > 0)) throw new Error(tx.err_zero);
      state.w = merged.map(function (v) { return v / total; });
    }

    // ---------------------------------------------------------- the API
    var api = {
      map: mapName,
      setWeights: function (given) {
        applyWeights(given);
        message("");
        update();
        return api.weights();
      },
      setMethod: function (name) {
        if (data.methods.indexOf(name) < 0) {
          throw new Error(tx.err_method.replace("{name}", String(name))
            .replace("{known}", data.methods.join(", ")));
        }
        state.method = name;
        update();
        return name;
      },
      weights: function () {
        var out = {};
        names.forEach(function (name, j) { out[name] = state.w[j]; });
        return out;
      },
      method: function () { return state.method; },
      ranking: function () {
        return order.map(function (i) {
          return {parcel_id: data.ids[i], score: scores[i], rank: ranks[i],
                  rank_shared: shared[i]};
        });
      },
      explain: function (parcelId) {
        var i = byId.get(String(parcelId));
        if (i === undefined) throw new Error(tx.err_site.replace("{id}", String(parcelId)));
        var ex = model.explain(i, state.w, state.method), out = {};
        names.forEach(function (name, j) { out[name] = ex.contributions[j]; });
        return {score: ex.score, base: ex.base, contributions: out};
      },
      toml: function () {
        var text = data.toml.split("\u0001method\u0001").join(state.method);
        names.forEach(function (name, j) {
          text = text.split("\u0001w" + j + "\u0001").join(String(state.w[j]));
        });
        return text;
      },
      reset: function () {
        state.w = initial.w.slice();
        state.method = initial.method;
        message("");
        update();
      },
      onChange: function (fn) { listeners.push(fn); },
      timing: function () { return timing; },   // ms of the last change, for benchmarks
      topSites: function () {
        return markers.getLayers().map(function (mk) { return data.ids[mk.siteIndex]; });
      }
    };
    paint();
    window.addEventListener("hashchange", function () { readFragment(true); });
    window.siteplanMaps = window.siteplanMaps || {};
    window.siteplanMaps[mapName] = api;
    return api;
  }

  window.siteplanInteractive = {create: create, esc: esc, fmt: fmt, METHODS: METHODS,
                                features: features};
})();
