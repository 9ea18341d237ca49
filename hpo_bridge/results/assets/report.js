/* The report's script, inlined into the page (no library, no network):
   - hover any trial (line, point, bar or row): highlight it everywhere, its row below;
   - pick the metric whose per-trial curves show;
   - sort the trial table by any column, filter it by text and status;
   - the 2-D and 3-D scatter plots, any parameter or metric on any axis (drag to turn). */
(function () {
  'use strict';
  var SVGNS = 'http://www.w3.org/2000/svg';
  var CHAR = 6.2, LINE = 11;
  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  // -- hover: one trial everywhere ------------------------------------------------------
  var info = $('#info'), cur = null;
  var heads = $$('table.trials thead th').map(function (h) { return h.getAttribute('data-h') || h.textContent; });
  function mark(id) {
    if (id === cur) return;
    cur = id;
    $$('.hl').forEach(function (n) { n.classList.remove('hl'); });
    if (id === null) { info.textContent = ''; return; }
    $$('[data-t="' + id + '"]').forEach(function (n) {
      n.classList.add('hl');
      if (n.namespaceURI === SVGNS) n.parentNode.appendChild(n);
    });
    var row = $('table.trials tr[data-t="' + id + '"]');
    info.textContent = row ? Array.prototype.map.call(row.cells, function (c, i) {
      return heads[i] + ': ' + c.textContent;
    }).join(' \u00b7 ') : 'trial ' + id;
  }
  document.addEventListener('mouseover', function (e) {
    var t = e.target.closest ? e.target.closest('[data-t]') : null;
    mark(t ? t.getAttribute('data-t') : null);
  });

  // -- which metric's curves ------------------------------------------------------------
  var pick = $('#metric-pick');
  if (pick) pick.addEventListener('change', function () {
    $$('svg.metric-chart').forEach(function (s) { s.toggleAttribute('hidden', s.getAttribute('data-metric') !== pick.value); });
  });

  // -- the trial table: sort and filter ---------------------------------------------------
  var table = $('table.trials');
  if (table) {
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    var count = $('#shown');
    // A cell's number: plain, or a duration as the table writes it (0.4s, 3m29s, 1h02m, 2d03h).
    var UNIT = { d: 86400, h: 3600, m: 60, s: 1 };
    var numeric = function (text) {
      if (text !== '' && isFinite(text)) return parseFloat(text);
      var parts = text.match(/^(\d+(?:\.\d+)?[dhms])+$/) && text.match(/\d+(?:\.\d+)?[dhms]/g);
      return parts ? parts.reduce(function (sum, p) { return sum + parseFloat(p) * UNIT[p.slice(-1)]; }, 0) : null;
    };
    $$('thead th', table).forEach(function (th, col) {
      th.addEventListener('click', function () {
        var down = th.getAttribute('aria-sort') === 'ascending';
        $$('thead th', table).forEach(function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', down ? 'descending' : 'ascending');
        var keyed = rows.map(function (r, i) {
          var text = r.cells[col].textContent;
          return { r: r, n: numeric(text), s: text, i: i };
        });
        keyed.sort(function (a, b) {
          var empty = (a.s === '' || a.s === 'n/a') - (b.s === '' || b.s === 'n/a');
          if (empty) return empty; // no value: last either way
          var c = (a.n !== null && b.n !== null) ? a.n - b.n : a.s.localeCompare(b.s);
          return (down ? -c : c) || a.i - b.i;
        });
        keyed.forEach(function (k) { body.appendChild(k.r); });
      });
    });
    var text = $('#filter'), status = $('#status-filter');
    var apply = function () {
      var words = text.value.toLowerCase().split(/\s+/).filter(Boolean), st = status.value, shown = 0;
      rows.forEach(function (r) {
        var hay = r.textContent.toLowerCase();
        var ok = (!st || r.cells[1].textContent === st) && words.every(function (w) { return hay.indexOf(w) >= 0; });
        r.hidden = !ok;
        shown += ok ? 1 : 0;
      });
      count.textContent = shown + ' of ' + rows.length + ' trials shown';
    };
    if (text && status) { text.addEventListener('input', apply); status.addEventListener('change', apply); apply(); }
  }

  // -- scatter plots from the data ----------------------------------------------------------
  var dataNode = $('#explorer-data');
  if (!dataNode) return;
  var data = JSON.parse(dataNode.textContent);
  var dims = {};
  data.dims.forEach(function (d) { dims[d.key] = d; });

  function el(name, attrs, parent, content) {
    var n = document.createElementNS(SVGNS, name);
    for (var k in attrs) n.setAttribute(k, attrs[k]);
    if (content !== undefined) n.textContent = content;
    if (parent) parent.appendChild(n);
    return n;
  }
  // A tick's number, short and never cut: 0.001, 1e-5, 2.5e5.
  function fmt(v) {
    if (v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-4)) {
      var p = v.toExponential(3).split('e');
      return p[0].replace(/\.?0+$/, '') + 'e' + (+p[1]);
    }
    return String(+v.toPrecision(4));
  }
  function catLabel(c) { var v = JSON.parse(c); return typeof v === 'string' ? v : JSON.stringify(v); }
  function width(s) { return (s.length + 0.7 * (s.split('\u2026').length - 1)) * CHAR; }
  function cut(s, n) { return s.length <= n ? s : s.slice(0, n - 1) + '\u2026'; }
  // Labels cut to n characters keeping what tells them apart: a prefix they all share
  // becomes an ellipsis (as the server-drawn charts do).
  function distinct(labels, n) {
    if (labels.every(function (l) { return l.length <= n; })) return labels;
    var p = 0;
    while (labels.length > 1 && labels.every(function (l) { return l.length > p && l[p] === labels[0][p]; })) p++;
    return labels.map(function (l) { return cut(p >= 3 ? '\u2026' + l.slice(p) : l, n); });
  }

  // An axis over a dimension: pos(value) in 0..1 (null: none) and its tick labels.
  function axisOf(dim) {
    if (dim.cats) {
      var n = dim.cats.length;
      return { pos: function (v) { var i = dim.cats.indexOf(v); return i < 0 ? null : (i + 0.5) / n; },
               ticks: dim.cats.map(function (c, i) { return [(i + 0.5) / n, catLabel(c)]; }) };
    }
    var vals = data.trials.map(function (t) { return t.v[dim.key]; }).filter(function (v) { return typeof v === 'number' && (!dim.log || v > 0); });
    if (!vals.length) return null;
    var lo = Math.min.apply(null, vals), hi = Math.max.apply(null, vals), log = !!dim.log;
    var f = log ? Math.log10 : function (x) { return x; };
    var a = f(lo), b = f(hi);
    if (b <= a) { var pad = Math.abs(a) * 0.1 || 0.5; a -= pad; b += pad; }
    var m = (b - a) * 0.03; a -= m; b += m;
    var pos = function (v) { return typeof v === 'number' && (!log || v > 0) ? Math.min(1, Math.max(0, (f(v) - a) / (b - a))) : null; };
    var ticks = [];
    if (log) {
      for (var e = Math.floor(a); e <= Math.ceil(b); e++) if (e >= a && e <= b) ticks.push([(e - a) / (b - a), fmt(Math.pow(10, e))]);
    } else {
      var raw = (b - a) / 6, mag = Math.pow(10, Math.floor(Math.log10(raw))), step = mag * 10;
      [1, 2, 5, 10].some(function (k) { if (raw <= k * mag) { step = k * mag; return true; } return false; });
      for (var k = Math.ceil(a / step); k * step <= b; k++) ticks.push([(k * step - a) / (b - a), fmt(+(k * step).toPrecision(12))]);
    }
    return { pos: pos, ticks: ticks };
  }
  // Every k-th label, the smallest k for which none overlap along `length` px.
  function thin(ticks, length, size) {
    for (var k = 1; k <= ticks.length; k++) {
      var kept = ticks.filter(function (_, i) { return i % k === 0; }), ok = true;
      for (var i = 1; i < kept.length && ok; i++) ok = Math.abs(kept[i][0] - kept[i - 1][0]) * length >= (size(kept[i][1]) + size(kept[i - 1][1])) / 2 + 3;
      if (ok) return kept;
    }
    return ticks.slice(0, 1);
  }
  function title(dim) { return dim.name + (dim.log ? ' (log)' : '') + (dim.goal === 'maximize' ? ' \u2191' : dim.goal === 'minimize' ? ' \u2193' : ''); }
  function pointClass(t) { return 'p st-' + t.s + (t.b ? ' best' : ''); }
  function clear(svg) { while (svg.firstChild) svg.removeChild(svg.firstChild); }
  function fill(select, first) {
    data.dims.forEach(function (d) { var o = document.createElement('option'); o.value = d.key; o.textContent = d.name; select.appendChild(o); });
    select.value = first;
  }
  function choices(n) {
    // Defaults: parameters first, then the first objective last.
    var params = data.dims.filter(function (d) { return d.key[0] === 'p'; }).map(function (d) { return d.key; });
    var obj = data.dims.filter(function (d) { return d.key[0] === 'o'; }).map(function (d) { return d.key; });
    var rest = data.dims.map(function (d) { return d.key; });
    var out = params.slice(0, n - 1).concat(obj.slice(0, 1));
    rest.forEach(function (k) { if (out.length < n && out.indexOf(k) < 0) out.push(k); });
    return out;
  }

  // 2-D: x and y chosen by the reader.
  var s2 = $('#scatter2d'), sx = $('#sx'), sy = $('#sy');
  function draw2d() {
    clear(s2);
    var L = 72, T = 12, W = 460, H = 270;
    var dx = dims[sx.value], dy = dims[sy.value], ax = axisOf(dx), ay = axisOf(dy);
    s2.setAttribute('aria-label', dy.name + ' against ' + dx.name);
    if (!ax || !ay) { el('text', { x: L, y: T + 20, 'class': 'title' }, s2, 'no values to plot'); return; }
    var gy = el('g', { 'class': 'ticks y' }), gx = el('g', { 'class': 'ticks x' });
    var yl = dy.cats ? distinct(ay.ticks.map(function (t) { return t[1]; }), 9) : null;
    thin(ay.ticks.map(function (t, i) { return [t[0], yl ? yl[i] : t[1]]; }), H, function () { return LINE; }).forEach(function (t) {
      var y = T + (1 - t[0]) * H;
      el('line', { x1: L, x2: L + W, y1: y, y2: y, 'class': 'grid' }, s2);
      el('text', { x: L - 5, y: y + 3.5, 'class': 'tick', 'text-anchor': 'end' }, gy, t[1]);
    });
    var room = Math.max(4, Math.floor(W / Math.max(1, ax.ticks.length) / CHAR) - 1);
    var xl = dx.cats ? distinct(ax.ticks.map(function (t) { return t[1]; }), Math.min(12, room)) : null;
    thin(ax.ticks.map(function (t, i) { return [t[0], xl ? xl[i] : t[1]]; }), W, width).forEach(function (t) {
      var x = L + t[0] * W;
      el('line', { x1: x, x2: x, y1: T + H, y2: T + H + 4, 'class': 'axis' }, s2);
      el('text', { x: x, y: T + H + 15, 'class': 'tick', 'text-anchor': 'middle' }, gx, t[1]);
    });
    s2.appendChild(gy); s2.appendChild(gx);
    el('line', { x1: L, x2: L + W, y1: T + H, y2: T + H, 'class': 'axis' }, s2);
    el('line', { x1: L, x2: L, y1: T, y2: T + H, 'class': 'axis' }, s2);
    el('text', { x: L + W / 2, y: T + H + 31, 'class': 'title', 'text-anchor': 'middle' }, s2, title(dx));
    el('text', { x: 13, y: T + H / 2, 'class': 'title', 'text-anchor': 'middle', transform: 'rotate(-90 13 ' + (T + H / 2) + ')' }, s2, title(dy));
    var plotted = 0;
    data.trials.slice().sort(function (a, b) { return (a.b || 0) - (b.b || 0); }).forEach(function (t) {
      var fx = ax.pos(t.v[dx.key]), fy = ay.pos(t.v[dy.key]);
      if (fx === null || fy === null || fx === undefined || fy === undefined) return;
      var c = el('circle', { cx: (L + fx * W).toFixed(1), cy: (T + (1 - fy) * H).toFixed(1), r: t.b ? 4 : 3, 'class': pointClass(t), 'data-t': t.id }, s2);
      if (t.c && !t.b) c.style.fill = t.c;
      plotted++;
    });
    s2.setAttribute('data-points', plotted);
  }

  // 3-D: three axes in a cube the reader turns by dragging.
  var s3 = $('#scatter3d'), ax3 = $('#ax'), ay3 = $('#ay'), az3 = $('#az');
  var yaw = -0.6, pitch = 0.35;
  function draw3d() {
    clear(s3);
    var keys = [ax3.value, ay3.value, az3.value], axes = keys.map(function (k) { return axisOf(dims[k]); });
    if (axes.some(function (a) { return !a; })) { el('text', { x: 20, y: 30, 'class': 'title' }, s3, 'no values to plot'); return; }
    var cx = 280, cy = 205, R = 100;
    var cyw = Math.cos(yaw), syw = Math.sin(yaw), cp = Math.cos(pitch), sp = Math.sin(pitch);
    // x right, y up (the z of the data is height), z toward the reader.
    function project(p) {
      var x = p[0] * cyw + p[2] * syw, z = -p[0] * syw + p[2] * cyw;
      var y = p[1] * cp - z * sp, depth = p[1] * sp + z * cp;
      var s = 1 / (1 - depth * 0.15);
      return [cx + x * R * s, cy - y * R * s, depth];
    }
    function at(fx, fy, fz) { return project([fx * 2 - 1, fz * 2 - 1, fy * 2 - 1]); }
    var corners = [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]];
    corners.forEach(function (a) { corners.forEach(function (b) {
      var diff = Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1]) + Math.abs(a[2] - b[2]);
      if (diff === 1 && a[0] + a[1] + a[2] < b[0] + b[1] + b[2]) {
        var p = at(a[0], a[1], a[2]), q = at(b[0], b[1], b[2]);
        var axis = a[0] + a[1] + a[2] === 0;
        el('line', { x1: p[0].toFixed(1), y1: p[1].toFixed(1), x2: q[0].toFixed(1), y2: q[1].toFixed(1), 'class': 'cube' + (axis ? ' ax' : '') }, s3);
      }
    }); });
    var g = el('g', { 'class': 'ticks' });
    var placed = []; // label boxes so far: an end label never covers a title or another
    function box(p, label) { var w = width(label); return [p[0] - w / 2, p[1] - 9, p[0] + w / 2, p[1] + 3]; }
    [[1.12, 0, 0], [0, 1.12, 0], [0, 0, 1.12]].forEach(function (end, i) {
      var p = at(end[0], end[1], end[2]), label = cut(title(dims[keys[i]]), 22);
      el('text', { x: p[0].toFixed(1), y: p[1].toFixed(1), 'class': 'title', 'text-anchor': 'middle' }, s3, label);
      placed.push(box(p, label));
    });
    // End labels of each axis (low and high), where they do not collide.
    axes.forEach(function (a, i) {
      var ticks = a.ticks.length ? [a.ticks[0], a.ticks[a.ticks.length - 1]] : [];
      var names = dims[keys[i]].cats ? distinct(ticks.map(function (t) { return t[1]; }), 10) : null;
      ticks.forEach(function (t, k) {
        var f = [0, 0, 0]; f[i] = t[0];
        var p = at(f[0], f[1], f[2]), label = names ? names[k] : cut(t[1], 10);
        var mine = box(p, label);
        if (placed.some(function (b) { return mine[0] < b[2] && b[0] < mine[2] && mine[1] < b[3] && b[1] < mine[3]; })) return;
        placed.push(mine);
        el('text', { x: p[0].toFixed(1), y: p[1].toFixed(1), 'class': 'tick', 'text-anchor': 'middle' }, g, label);
      });
    });
    s3.appendChild(g);
    var pts = [];
    data.trials.forEach(function (t) {
      var f = keys.map(function (k, i) { return axes[i].pos(t.v[k]); });
      if (f.some(function (v) { return v === null || v === undefined; })) return;
      var p = at(f[0], f[1], f[2]);
      pts.push([p, t]);
    });
    pts.sort(function (a, b) { return a[0][2] - b[0][2]; }); // far ones first
    pts.forEach(function (e) {
      var t = e[1], s = 2.5 + (e[0][2] + 1.8) * 0.6;
      var c = el('circle', { cx: e[0][0].toFixed(1), cy: e[0][1].toFixed(1), r: (t.b ? s + 1 : s).toFixed(1), 'class': pointClass(t), 'data-t': t.id }, s3);
      if (t.c && !t.b) c.style.fill = t.c;
    });
    s3.setAttribute('data-points', pts.length);
  }

  if (s2 && sx && sy) {
    var two = choices(2);
    fill(sx, two[0]); fill(sy, two[1]);
    sx.addEventListener('change', draw2d); sy.addEventListener('change', draw2d);
    draw2d();
  }
  if (s3 && ax3 && ay3 && az3) {
    var three = choices(3);
    fill(ax3, three[0]); fill(ay3, three[1]); fill(az3, three[2]);
    [ax3, ay3, az3].forEach(function (s) { s.addEventListener('change', draw3d); });
    var drag = null;
    s3.addEventListener('pointerdown', function (e) { drag = [e.clientX, e.clientY, yaw, pitch]; s3.setPointerCapture(e.pointerId); });
    s3.addEventListener('pointermove', function (e) {
      if (!drag) return;
      yaw = drag[2] + (e.clientX - drag[0]) * 0.01;
      pitch = Math.max(-1.4, Math.min(1.4, drag[3] + (e.clientY - drag[1]) * 0.01));
      draw3d();
    });
    s3.addEventListener('pointerup', function () { drag = null; });
    draw3d();
  }
})();
