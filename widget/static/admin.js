// The operators' dashboard: charts of the report per day or week (GET /api/admin/series),
// the deflection experiment (GET /api/admin/report), content gaps with one-click curation
// (GET /api/admin/gaps, POST /api/admin/rules), and the rules in force with remove and a
// synonyms form. Queries and titles are untrusted: they are only ever set as textContent.
// Charts are drawn by uPlot when the server has it (data-charts); otherwise the page says
// so and the table of figures is the view. Strings come from widget/dashboard_text.py.
(function () {
  'use strict';

  var lang = document.body.dataset.lang || 'de';
  var TEXT = JSON.parse(document.body.dataset.text);
  var form = document.getElementById('filters');
  var statusLine = document.getElementById('status');
  var chartsBox = document.getElementById('charts');
  var chartsNote = document.getElementById('charts-note');
  var curationStatus = document.getElementById('curation-status');
  var rulesStatus = document.getElementById('rules-status');
  var numbers = new Intl.NumberFormat(lang);
  var percent = new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 1 });
  var dates = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeZone: 'UTC' });
  var tick = new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'short', timeZone: 'UTC' });
  var charts = [];
  var GAP_TOP = 10;
  var MAX_PIN_QUERIES = 50;
  // Colours that keep 3:1 against white and apart from one another (line charts).
  var COLOURS = ['#1f5fa8', '#b3541e', '#2e7d32', '#8e24aa'];

  function text(key, values) {
    return TEXT[key].replace(/\{(\w+)\}/g, function (whole, name) {
      var value = values[name];
      return typeof value === 'number' ? numbers.format(value) : String(value);
    });
  }

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined && content !== null) node.textContent = String(content);
    return node;
  }

  /** Show a list's items or, with none, the note that stands in its place (no list item). */
  function fill(list, items) {
    list.replaceChildren.apply(list, items);
    list.hidden = items.length === 0;
    document.getElementById(list.id + '-empty').hidden = items.length > 0;
  }

  /** Say in ``box`` how a change went, next to where it was asked for; a refusal carries
   *  the service's message, set as text like everything else the service sends. */
  function tell(box, message, refused) {
    box.textContent = message;
    box.classList.toggle('refused', refused);
  }

  /** A box that scrolls sideways on narrow screens, reachable by keyboard. */
  function scrollable(label) {
    var box = element('div', 'scroll');
    box.tabIndex = 0;
    box.setAttribute('role', 'region');
    box.setAttribute('aria-label', label);
    return box;
  }

  function rate(value) {
    return value === null || value === undefined ? '–' : percent.format(value);
  }

  /** The admin API's JSON answer; a failure rejects with the service's own message. */
  function api(path, options) {
    return fetch(path, Object.assign({ credentials: 'same-origin' }, options)).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (!r.ok) throw new Error(body.error || String(r.status));
        return body;
      });
    });
  }

  function send(method, path, body) {
    var options = { method: method };
    if (body) {
      options.headers = { 'Content-Type': 'application/json' };
      options.body = JSON.stringify(body);
    }
    return api(path, options);
  }

  function period() {
    return new URLSearchParams({ days: form.elements.days.value });
  }

  function seriesParams() {
    var params = period();
    ['bucket', 'lang', 'board'].forEach(function (name) {
      if (form.elements[name].value) params.set(name, form.elements[name].value);
    });
    return params;
  }

  // --- activity: charts and the table of figures --------------------------------------

  var COLUMNS = [
    ['searches', function (p) { return numbers.format(p.searches); }],
    ['shown', function (p) { return numbers.format(p.shown); }],
    ['click_through', function (p) { return rate(p.click_through); }],
    ['deflection', function (p) { return rate(p.deflection_rate); }],
    ['asked_anyway', function (p) { return numbers.format(p.asked_anyway); }],
    ['helpful_yes', function (p) { return numbers.format(p.helpful.yes); }],
    ['helpful_no', function (p) { return numbers.format(p.helpful.no); }],
  ];

  function showTable(points) {
    var table = document.getElementById('figures-table');
    table.replaceChildren();
    var head = table.createTHead().insertRow();
    head.appendChild(element('th', null, TEXT.start)).scope = 'col';
    COLUMNS.forEach(function (column) {
      head.appendChild(element('th', null, TEXT[column[0]])).scope = 'col';
    });
    var body = table.createTBody();
    points.forEach(function (point) {
      var row = body.insertRow();
      row.appendChild(element('th', null, dates.format(new Date(point.start)))).scope = 'row';
      COLUMNS.forEach(function (column) { row.appendChild(element('td', null, column[1](point))); });
    });
  }

  function chartSpecs(points) {
    var value = function (figure) { return points.map(figure); };
    var share = function (x) { return x === null ? null : Math.round(x * 1000) / 10; };
    return [
      ['chart_volume', [['searches', value(function (p) { return p.searches; })],
        ['shown', value(function (p) { return p.shown; })]]],
      ['chart_rates', [['click_through', value(function (p) { return share(p.click_through); })],
        ['deflection', value(function (p) { return share(p.deflection_rate); })]]],
      ['chart_outcomes', [['asked_anyway', value(function (p) { return p.asked_anyway; })],
        ['helpful_yes', value(function (p) { return p.helpful.yes; })],
        ['helpful_no', value(function (p) { return p.helpful.no; })]]],
    ];
  }

  /** One small chart per group of figures; none without points (or without uPlot). */
  function showCharts(points) {
    charts.forEach(function (chart) { chart.destroy(); });
    charts = [];
    chartsBox.replaceChildren();
    if (!points) return;
    var times = points.map(function (p) { return Date.parse(p.start) / 1000; });
    chartSpecs(points).forEach(function (spec) {
      var figure = chartsBox.appendChild(element('figure', 'chart'));
      figure.appendChild(element('figcaption', null, TEXT[spec[0]]));
      var series = [{ label: TEXT.start, value: legendDate }].concat(spec[1].map(function (line, i) {
        return { label: TEXT[line[0]], stroke: COLOURS[i], width: 2, points: { show: true } };
      }));
      var data = [times].concat(spec[1].map(function (line) { return line[1]; }));
      var options = { width: chartWidth(), height: 220, series: series, tzDate: utc,
        axes: [{ space: 64, values: function (u, ticks) { return ticks.map(shortDate); } }, {}] };
      charts.push(new window.uPlot(options, data, figure));
    });
  }

  function legendDate(u, seconds) { return seconds == null ? '–' : dates.format(seconds * 1000); }

  function shortDate(seconds) { return tick.format(seconds * 1000); }

  function utc(seconds) { return window.uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'); }

  function chartWidth() {
    return Math.max(260, Math.min(chartsBox.clientWidth || 600, 900));
  }

  function loadActivity() {
    return api('/api/admin/series?' + seriesParams()).then(function (answer) {
      var points = answer.points;
      var any = points.some(function (p) { return p.searches > 0; });
      var notes = [];
      if (!any) notes.push(TEXT.no_data);
      if (!window.uPlot) notes.push(TEXT.no_charts);
      chartsNote.textContent = notes.join(' ');
      chartsNote.hidden = notes.length === 0;
      showTable(points);
      // Without charts the table is the view: open it.
      if (!window.uPlot) document.getElementById('figures').open = true;
      showCharts(window.uPlot && any ? points : null);
    });
  }

  // --- the experiment -----------------------------------------------------------------

  function loadExperiment() {
    var box = document.getElementById('experiment-body');
    return api('/api/admin/report?top=1&' + period()).then(function (report) {
      var experiment = report.experiment;
      box.replaceChildren();
      if (!experiment.running) {
        box.appendChild(element('p', 'note', TEXT.not_running));
        return;
      }
      var table = box.appendChild(scrollable(TEXT.arms)).appendChild(element('table'));
      var head = table.createTHead().insertRow();
      ['arm', 'sessions', 'posted', 'rate'].forEach(function (key) {
        head.appendChild(element('th', null, TEXT[key])).scope = 'col';
      });
      var body = table.createTBody();
      ['widget', 'holdout'].forEach(function (arm) {
        var figures = experiment.arms[arm];
        var row = body.insertRow();
        row.appendChild(element('th', null, TEXT['arm_' + arm])).scope = 'row';
        row.appendChild(element('td', null, numbers.format(figures.sessions)));
        row.appendChild(element('td', null, numbers.format(figures.posted)));
        row.appendChild(element('td', null, rate(figures.posted_rate)));
      });
      var deflection = experiment.deflection;
      box.appendChild(element('p', 'estimate', deflection ? text('estimate', {
        value: rate(deflection.estimate), low: rate(deflection.low), high: rate(deflection.high),
      }) : TEXT.too_little));
    });
  }

  // --- content gaps -------------------------------------------------------------------

  function pinRule(group, candidate) {
    var queries = [group.question].concat(group.examples.map(function (e) { return e.query; }));
    var rule = { kind: 'pin', thread: candidate.id,
      queries: queries.filter(function (q, i) { return q && queries.indexOf(q) === i; })
        .slice(0, MAX_PIN_QUERIES) };
    if (group.lang) rule.lang = group.lang;
    return rule;
  }

  function act(button, note, rule, doneKey) {
    button.disabled = true;
    // Two handlers, not then().catch(): the list of rules failing to load after a save
    // is a loading error (loadAll's status line), not "not saved".
    send('POST', '/api/admin/rules', rule).then(function (saved) {
      tell(note, text(doneKey, { id: saved.id }), false);
      loadRules().catch(failed);
    }, function (e) {
      button.disabled = false;
      tell(note, text('not_saved', { error: e.message }), true);
    });
  }

  /** A candidate's title, a link to its thread only when that is an http(s) address. */
  function titleOf(candidate) {
    if (!/^https?:\/\//i.test(candidate.url || '')) return element('span', 'title', candidate.title);
    var link = element('a', 'title', candidate.title);
    link.href = candidate.url;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    return link;
  }

  function gapItem(group) {
    var item = element('li', 'gap');
    item.dataset.id = group.id;
    item.appendChild(element('h4', 'question', group.question));
    item.appendChild(element('p', 'meta',
      text('gap_counts', { sessions: group.sessions, searches: group.searches })));
    var examples = item.appendChild(element('ul', 'examples'));
    examples.setAttribute('aria-label', TEXT.examples);
    group.examples.forEach(function (example) {
      examples.appendChild(element('li', null, example.query + ' (' +
        numbers.format(example.questions) + ')'));
    });
    var note = element('p', 'note');
    note.setAttribute('role', 'status');
    var candidates = item.appendChild(element('ul', 'candidates'));
    candidates.setAttribute('aria-label', TEXT.candidates);
    group.candidates.forEach(function (candidate) {
      var line = candidates.appendChild(element('li', 'candidate'));
      line.dataset.id = candidate.id;
      line.appendChild(titleOf(candidate));
      var pin = line.appendChild(element('button', 'pin', TEXT.pin));
      pin.type = 'button';
      pin.addEventListener('click', function () { act(pin, note, pinRule(group, candidate), 'pinned'); });
      var hide = line.appendChild(element('button', 'hide', TEXT.hide));
      hide.type = 'button';
      hide.addEventListener('click', function () {
        act(hide, note, { kind: 'hidden', thread: candidate.id, reason: TEXT.hidden_reason }, 'hidden');
      });
    });
    item.appendChild(note);
    return item;
  }

  function showGaps(list, groups) {
    fill(list, groups.map(gapItem));
  }

  function loadGaps() {
    var params = period();
    var csv = new URLSearchParams(params);
    csv.set('format', 'csv');
    document.getElementById('gaps-csv').href = '/api/admin/gaps?' + csv;
    params.set('top', String(GAP_TOP));
    return api('/api/admin/gaps?' + params).then(function (report) {
      showGaps(document.getElementById('gaps-no-match'), report.no_match);
      showGaps(document.getElementById('gaps-poor-match'), report.poor_match);
    });
  }

  // --- curation rules -----------------------------------------------------------------

  function describe(rule) {
    if (rule.kind === 'synonyms') return rule.lang + ': ' + rule.terms.join(', ');
    var parts = [rule.thread];
    if (rule.queries && rule.queries.length) parts.push(rule.queries.join(' · '));
    if (rule.reason) parts.push(rule.reason);
    if (rule.ends) parts.push('→ ' + dates.format(new Date(rule.ends)));
    return parts.join(' – ');
  }

  function loadRules() {
    var list = document.getElementById('rules');
    return api('/api/admin/rules').then(function (answer) {
      fill(list, answer.rules.map(function (rule) {
        var item = element('li', 'rule');
        item.dataset.id = rule.id;
        item.dataset.kind = rule.kind;
        item.appendChild(element('span', 'kind', TEXT['kind_' + rule.kind] || rule.kind));
        item.appendChild(element('span', 'what', describe(rule)));
        var remove = item.appendChild(element('button', 'remove', TEXT.remove));
        remove.type = 'button';
        remove.setAttribute('aria-label', TEXT.remove + ': ' + describe(rule));
        remove.addEventListener('click', function () {
          remove.disabled = true;
          send('DELETE', '/api/admin/rules/' + rule.id).then(function () {
            tell(rulesStatus, text('removed', { id: rule.id }), false);
            loadRules().catch(failed);
          }, function (e) {
            remove.disabled = false;
            tell(rulesStatus, text('not_removed', { error: e.message }), true);
          });
        });
        return item;
      }));
    });
  }

  document.getElementById('synonyms').addEventListener('submit', function (event) {
    event.preventDefault();
    var synonymForm = event.target;
    var terms = synonymForm.elements.terms.value.split(',')
      .map(function (term) { return term.trim(); })
      .filter(function (term) { return term !== ''; });
    send('POST', '/api/admin/rules', { kind: 'synonyms', lang: synonymForm.elements.lang.value,
      terms: terms }).then(function (saved) {
      tell(curationStatus, text('added', { id: saved.id }), false);
      synonymForm.reset();
      loadRules().catch(failed);
    }, function (e) {
      tell(curationStatus, text('not_saved', { error: e.message }), true);
    });
  });

  // --- everything ---------------------------------------------------------------------

  function failed(e) {
    statusLine.textContent = text('load_failed', { error: e.message });
  }

  function loadAll() {
    statusLine.textContent = TEXT.loading;
    var loads = [loadActivity(), loadExperiment(), loadGaps(), loadRules()].map(function (p) {
      return p.catch(function (e) { failed(e); throw e; });
    });
    return Promise.allSettled(loads).then(function (outcomes) {
      if (outcomes.every(function (o) { return o.status === 'fulfilled'; })) {
        statusLine.textContent = '';
      }
      window.askfindAdmin.ready = true;
    });
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    window.askfindAdmin.ready = false;
    loadAll();
  });
  window.addEventListener('resize', function () {
    charts.forEach(function (chart) { chart.setSize({ width: chartWidth(), height: 220 }); });
  });
  window.askfindAdmin = { ready: false };
  loadAll();
})();
