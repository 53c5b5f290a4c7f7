// The agents' search page: search through GET /api/search with filters (a pasted message,
// one with line breaks or longer than a query may be, through POST /api/search, showing
// what of it was searched), page through the results, show and copy the full accepted solution, copy the thread's link, and record
// "duplicate of" judgements, the canonical thread found by its title as the agent types.
// Thread text is untrusted: it is only ever set as textContent, and links are used only
// when they are http(s). The page's strings come in the page's language (de or en) from
// the server (widget/agent_text.py); numbers and dates are formatted for that language.
(function () {
  'use strict';

  var form = document.getElementById('search');
  var results = document.getElementById('results');
  var statusLine = document.getElementById('status');
  var pager = document.getElementById('pager');
  var filters = document.getElementById('filters');
  var template = document.getElementById('result');
  var articleTemplate = document.getElementById('article');
  var articles = document.getElementById('articles');
  var switchLink = document.getElementById('switch-language');
  var question = document.getElementById('q');
  var hint = document.getElementById('q-hint');
  var searched = document.getElementById('searched');
  var pageSize = Number(document.body.dataset.pageSize) || 10;
  // The service's limits (its settings): longer than a query is a message; longer than a
  // message is refused here, in the page's words, rather than cut.
  var QUERY_MAX = Number(document.body.dataset.queryMaxChars);
  var MESSAGE_MAX = Number(document.body.dataset.messageMaxChars);
  var MAX_OFFSET = Number(document.body.dataset.maxOffset);
  var lang = document.body.dataset.lang || 'de';
  var TEXT = JSON.parse(document.body.dataset.text);
  var FILTERS = ['q', 'board', 'lang', 'from', 'to', 'solved'];
  var PICKER_LIMIT = 8;
  var PICKER_DEBOUNCE_MS = 200;
  var PICKER_MIN_CHARS = 2;
  var FILTER_DEBOUNCE_MS = 300; // typing a date's year changes it once a digit
  var DAY = /^\d{4}-\d{2}-\d{2}$/; // what the service takes (a date field may hold 5-digit years)
  // Control characters no searched text holds (the service refuses them): vertical tab
  // and form feed (Word's line and page breaks) become line breaks, the rest spaces.
  var BREAKS = /[\x0b\x0c]/g;
  var CONTROLS = /[\x00-\x08\x0e-\x1f\x7f-\x9f]/g;
  // Errors known by their status alone, where an answer names no code.
  var STATUS_PROBLEMS = { 401: 'sign_in_required', 429: 'rate_limited', 503: 'unavailable' };
  var NARROW = window.matchMedia('(max-width: 40rem)'); // phones: filters fold away
  var numbers = new Intl.NumberFormat(lang);
  var dates = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeZone: 'UTC' });
  var plurals = new Intl.PluralRules(lang);
  var state = { offset: 0, total: 0, query: '', sequence: 0 };
  var filterTimer = 0;
  var details = new Map(); // thread id -> Promise of its /api/agent/threads answer
  var pickers = 0;

  /** A string of the page's language, {name} placeholders filled (numbers formatted). */
  function text(key, values) {
    return fill(TEXT[key], values);
  }

  function fill(entry, values) {
    if (typeof entry === 'object') entry = entry[plurals.select(values.n)] || entry.other;
    return entry.replace(/\{(\w+)\}/g, function (whole, name) {
      var value = values[name];
      return typeof value === 'number' ? numbers.format(value) : String(value);
    });
  }

  /** Show ``message`` on the status line; ``isProblem`` styles it as an error. */
  function say(message, isProblem) {
    statusLine.textContent = message;
    statusLine.classList.toggle('problem', Boolean(isProblem));
  }

  /** Show ``message`` in a result's note, as an error when ``isProblem``. */
  function tell(note, message, isProblem) {
    note.textContent = message;
    note.classList.toggle('problem', Boolean(isProblem));
  }

  /** The question as it is searched: trimmed, control characters replaced. */
  function questionText() {
    return question.value.replace(BREAKS, '\n').replace(CONTROLS, ' ').trim();
  }

  /** Characters as the service counts them (code points, not UTF-16 units). */
  function length(value) {
    return Array.from(value).length;
  }

  /** A pasted message, not a query: lines of its own, or longer than a query may be. */
  function isMessage(value) {
    return /[\r\n]/.test(value) || length(value) > QUERY_MAX;
  }

  function searchParams() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (String(value).trim() !== '') params.set(name, String(value).trim());
    });
    var q = questionText();
    if (q) params.set('q', q);
    else params.delete('q');
    return params;
  }

  /** What in the form the service would refuse, said in the page's language (null: none). */
  function formProblem(params) {
    var q = params.get('q');
    if (length(q) > MESSAGE_MAX) return text('too_long', { n: length(q), max: MESSAGE_MAX });
    var from = params.get('from');
    var to = params.get('to');
    if ((from && !DAY.test(from)) || (to && !DAY.test(to))) return text('bad_date', {});
    if (from && to && to < from) return text('reversed_dates', {});
    return null;
  }

  /** Under the field: what it takes, or, for a message, how long it is and how it is searched. */
  function showHint() {
    var q = questionText();
    var message = Boolean(q) && isMessage(q);
    hint.textContent = message
      ? text('as_message', { n: length(q), max: MESSAGE_MAX })
      : text('question_hint', { max: MESSAGE_MAX });
    hint.classList.toggle('message', message);
    hint.classList.toggle('problem', length(q) > MESSAGE_MAX);
  }

  function fillForm(params) {
    FILTERS.forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (!field) return;
      if (field.type === 'checkbox') field.checked = params.get(name) === 'true';
      else field.value = params.get(name) || '';
    });
  }

  function safeUrl(url) {
    if (!url) return null;
    try {
      var parsed = new URL(url, window.location.href);
      return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
    } catch (error) {
      return null;
    }
  }

  async function readJson(response) {
    try {
      return await response.json();
    } catch (error) {
      return { error: text('answered', { status: response.status }) };
    }
  }

  /** What went wrong, in the page's language: the problem the answer's code names, else
   * one its status alone names (/api/search gives no code), else the service's English
   * error, else ``fallback``. */
  function problem(response, answer, fallback) {
    var named = Object.prototype.hasOwnProperty.call(TEXT.problems, answer.code);
    var name = named ? answer.code : STATUS_PROBLEMS[response.status];
    if (!name) return answer.error || text(fallback, {});
    var seconds = Number(response.headers.get('Retry-After'));
    return fill(TEXT.problems[name], {
      id: answer.id || '',
      seconds: response.headers.has('Retry-After') && Number.isFinite(seconds) ? seconds : '…',
    });
  }

  /** The filters beyond the question: how many are set, shown on the folded summary. */
  function showActiveFilters() {
    var params = searchParams();
    var active = FILTERS.filter(function (name) { return name !== 'q' && params.get(name); });
    document.getElementById('active-filters').textContent =
      active.length ? '(' + text('active_filters', { n: active.length }) + ')' : '';
    return active.length;
  }

  /** The language switch keeps the search on show. */
  function keepSearchOnSwitch(params) {
    var kept = new URLSearchParams(params);
    kept.set('ui', switchLink.getAttribute('hreflang'));
    switchLink.href = '?' + kept.toString();
  }

  /** Forget what was on show: a search that cannot run shows no stale results. */
  function clearResults() {
    results.replaceChildren();
    renderArticles([]);
    pager.hidden = true;
    searched.hidden = true;
  }

  /** The request for ``params``: a query in the URL, a message as a JSON body. */
  function searchRequest(params, message) {
    var headers = { Accept: 'application/json' };
    if (!message) return fetch('/api/search?' + params.toString(), { headers: headers });
    var body = {};
    params.forEach(function (value, name) {
      if (name === 'solved') body.solved = value === 'true';
      else if (name === 'limit' || name === 'offset') body[name] = Number(value);
      else body[name] = value;
    });
    headers['Content-Type'] = 'application/json';
    return fetch('/api/search', { method: 'POST', headers: headers, body: JSON.stringify(body) });
  }

  /** Search from ``offset``. ``options.paged``: the agent turned a page, so the new page is
   * scrolled to its top and focus moves to its status line. */
  async function run(offset, options) {
    clearTimeout(filterTimer);
    var paged = Boolean(options && options.paged);
    var params = searchParams();
    if (!params.get('q')) return;
    var sequence = ++state.sequence;
    var refused = formProblem(params);
    if (refused) {
      clearResults();
      say(refused, true);
      return;
    }
    // A shared link may point anywhere: no page before the first or past the service's last.
    offset = Math.min(Math.max(0, Math.floor(offset) || 0), MAX_OFFSET);
    var message = isMessage(params.get('q'));
    params.set('offset', String(offset));
    // A message (often with names and addresses) stays out of the address and the history.
    var address = new URLSearchParams(params);
    if (message) address.delete('q');
    window.history.replaceState(null, '', '?' + address.toString());
    keepSearchOnSwitch(address);
    showActiveFilters();
    params.set('limit', String(pageSize));
    say(text('searching', {}));
    results.setAttribute('aria-busy', 'true');
    var response;
    try {
      response = await searchRequest(params, message);
    } catch (error) {
      if (sequence === state.sequence) {
        results.removeAttribute('aria-busy');
        say(text('unreachable', {}), true);
      }
      return;
    }
    var answer = await readJson(response);
    if (sequence !== state.sequence) return; // a newer search has started meanwhile
    results.removeAttribute('aria-busy');
    if (!response.ok) {
      clearResults();
      say(problem(response, answer, 'failed'), true);
      return;
    }
    if (answer.items.length === 0 && answer.total > 0 && offset > 0) {
      // Past the end (a shared link, or fewer results since): show the last page instead.
      run(Math.floor((answer.total - 1) / pageSize) * pageSize, options);
      return;
    }
    state.offset = offset;
    state.total = answer.total;
    // What a judgement records as searched: a message's searched part, not all of it.
    state.query = message ? answer.searched || '' : params.get('q');
    searched.hidden = !message;
    document.getElementById('searched-text').textContent = message ? answer.searched || '' : '';
    render(answer.items);
    renderArticles(answer.articles || []);
    if (paged) {
      statusLine.focus({ preventScroll: true });
      statusLine.scrollIntoView({ block: 'start' });
    }
  }

  function render(items) {
    results.replaceChildren();
    results.start = state.offset + 1;
    items.forEach(function (item) {
      results.append(resultElement(item));
    });
    var last = state.offset + items.length;
    if (state.total === 0) say(text('none', {}));
    else say(text('results', { first: state.offset + 1, last: last, total: state.total }));
    pager.hidden = state.total <= pageSize;
    document.getElementById('range').textContent = text('page', {
      page: Math.floor(state.offset / pageSize) + 1,
      pages: Math.max(1, Math.ceil(state.total / pageSize)),
    });
    document.getElementById('prev').disabled = state.offset === 0;
    document.getElementById('next').disabled =
      last >= state.total || state.offset + pageSize > MAX_OFFSET;
  }

  function resultElement(item) {
    var element = template.content.firstElementChild.cloneNode(true);
    var part = function (selector) { return element.querySelector(selector); };
    element.dataset.id = item.id;
    var link = part('.title');
    link.textContent = item.title;
    var url = safeUrl(item.url);
    if (url) link.href = url;
    part('.meta').append.apply(part('.meta'), metaParts(item));
    part('.snippet').textContent = item.snippet || '';
    part('.snippet').hidden = !item.snippet;
    var note = part('.note');
    if (item.solution) {
      part('.solution').hidden = false;
      part('.copy-answer').hidden = false;
      part('.solution').addEventListener('toggle', function (event) {
        if (event.target.open) showSolution(item.id, part('.solution-text'));
      });
    }
    copyLinkButton(part('.copy-link'), url, note);
    part('.copy-answer').addEventListener('click', function () {
      detail(item.id).then(function (thread) {
        if (!thread.solution) throw new Error('no solution');
        return copy(thread.solution.text);
      }).then(function (done) {
        tell(note, text(done ? 'answer_copied' : 'copy_refused', {}), !done);
      }).catch(function () {
        tell(note, text('answer_failed', {}), true);
      });
    });
    duplicateForm(item, part('.duplicate'), part('.mark'), note);
    return element;
  }

  function copyLinkButton(button, url, note) {
    button.disabled = !url;
    button.addEventListener('click', function () {
      copy(url).then(function (done) {
        tell(note, text(done ? 'link_copied' : 'copy_refused', {}), !done);
      });
    });
  }

  /** The help articles of an answer, in a section of their own below the threads (none:
   * no section). */
  function renderArticles(found) {
    var list = articles.querySelector('ul');
    list.replaceChildren();
    found.forEach(function (item) {
      var element = articleTemplate.content.firstElementChild.cloneNode(true);
      var part = function (selector) { return element.querySelector(selector); };
      var url = safeUrl(item.url);
      element.dataset.id = item.id;
      part('.title').textContent = item.title;
      if (url) part('.title').href = url;
      part('.meta').append.apply(part('.meta'), metaParts(item));
      part('.snippet').textContent = item.snippet || '';
      part('.snippet').hidden = !item.snippet;
      copyLinkButton(part('.copy-link'), url, part('.note'));
      list.append(element);
    });
    articles.hidden = found.length === 0;
  }

  /** The details line: only what the item has, each part its own element (the separators
   * are drawn between them by agent.css), numbers and date in the page's language. */
  function metaParts(item) {
    var parts = [];
    function add(className, content, tag) {
      if (content === null || content === undefined || content === '') return null;
      var span = document.createElement(tag || 'span');
      span.className = className;
      span.textContent = content;
      parts.push(span);
      return span;
    }
    if (item.solved) add('badge solved', text('solved', {}));
    if (item.outdated) add('badge outdated', text('outdated', {}));
    add('board', item.board);
    if (item.lang) add('lang', languageName(item.lang)).dataset.code = item.lang;
    var created = item.created_at ? new Date(item.created_at) : null;
    if (created && !isNaN(created)) {
      add('created', dates.format(created), 'time').dateTime = item.created_at.slice(0, 10);
    }
    // A help article has no kudos or replies of its own.
    if (item.type !== 'article') {
      ['kudos', 'replies', 'views'].forEach(function (name) {
        if (Number.isFinite(item[name])) add(name, text(name, { n: item[name] }));
      });
    }
    if (item.duplicates > 0) add('duplicates', text('asked', { n: item.duplicates + 1 }));
    add('id', text('id', { id: item.id }));
    return parts;
  }

  function languageName(code) {
    var select = document.getElementById('lang');
    var option = Array.prototype.find.call(select.options, function (o) { return o.value === code; });
    return option ? option.textContent : code;
  }

  /** "Mark as duplicate of …": a combobox that searches titles as the agent types and
   * sends the chosen thread's id. Typed text that was never chosen is the thread with that
   * title among those the list offers for it, else it goes as an id. */
  function duplicateForm(item, form, opener, note) {
    var n = ++pickers;
    var input = form.querySelector('.picker-input');
    var list = form.querySelector('.picker-list');
    var hint = form.querySelector('.picker-hint');
    var announce = form.querySelector('.picker-status');
    var chosen = form.elements.namedItem('duplicate_of');
    var found = [];
    var active = -1;
    var timer = 0;
    var sequence = 0;
    var controller = null;
    input.id = 'picker-' + n;
    list.id = 'picker-' + n + '-list';
    hint.id = 'picker-' + n + '-hint';
    form.querySelector('.picker-label').htmlFor = input.id;
    input.setAttribute('aria-controls', list.id);
    input.setAttribute('aria-describedby', hint.id);

    function expand(open) {
      list.hidden = !open;
      input.setAttribute('aria-expanded', String(open));
      if (!open) setActive(-1);
    }
    function setActive(index) {
      if (list.children[active]) list.children[active].setAttribute('aria-selected', 'false');
      active = index;
      var option = list.children[index];
      if (option) {
        option.setAttribute('aria-selected', 'true');
        input.setAttribute('aria-activedescendant', option.id);
        option.scrollIntoView({ block: 'nearest' });
      } else {
        input.removeAttribute('aria-activedescendant');
      }
    }
    function choose(index) {
      var thread = found[index];
      if (!thread) return;
      input.value = thread.title;
      chosen.value = thread.id;
      chosen.dataset.title = thread.title;
      expand(false);
    }
    function show(threads) {
      found = threads;
      list.replaceChildren.apply(list, threads.map(function (thread, index) {
        var option = document.createElement('li');
        option.id = list.id + '-' + index;
        option.setAttribute('role', 'option');
        option.setAttribute('aria-selected', 'false');
        var title = document.createElement('span');
        title.className = 'picker-title';
        title.textContent = thread.title;
        var where = document.createElement('span');
        where.className = 'picker-meta';
        where.textContent = [thread.board, thread.id].filter(Boolean).join(' · ');
        option.append(title, where);
        return option;
      }));
      announce.textContent = threads.length ? text('matches', { n: threads.length }) : text('no_match', {});
      expand(threads.length > 0 && document.activeElement === input);
    }
    /** The offered thread whose title is ``typed`` (case and spacing aside), if any. */
    function titled(typed) {
      var wanted = typed.normalize('NFC').replace(/\s+/g, ' ').toLocaleLowerCase();
      return found.findIndex(function (thread) {
        var title = String(thread.title).normalize('NFC').replace(/\s+/g, ' ');
        return title.trim().toLocaleLowerCase() === wanted;
      });
    }
    async function lookUp() {
      clearTimeout(timer);
      var query = input.value.trim();
      var mine = ++sequence;
      if (controller) controller.abort(); // superseded: the server need not finish it
      controller = null;
      if (query.length < PICKER_MIN_CHARS) return show([]);
      var params = new URLSearchParams({ q: query, limit: String(PICKER_LIMIT + 1) });
      var ctl = (controller = new AbortController());
      try {
        var response = await fetch('/api/search?' + params.toString(), {
          headers: { Accept: 'application/json' }, signal: ctl.signal,
        });
        var answer = await readJson(response);
        if (mine !== sequence) return; // a late answer never overwrites a newer one
        var items = response.ok ? answer.items : [];
        show(items.filter(function (other) { return other.id !== item.id; }).slice(0, PICKER_LIMIT));
      } catch (error) {
        if (mine === sequence && error.name !== 'AbortError') show([]);
      }
    }

    input.addEventListener('input', function () {
      chosen.value = ''; // the text changed: what was chosen no longer stands
      clearTimeout(timer);
      timer = setTimeout(lookUp, PICKER_DEBOUNCE_MS);
    });
    input.addEventListener('keydown', function (event) {
      var open = !list.hidden;
      var count = found.length;
      if ((event.key === 'ArrowDown' || event.key === 'ArrowUp') && count) {
        event.preventDefault();
        var down = event.key === 'ArrowDown';
        if (!open) expand(true);
        setActive(!open || active < 0 ? (down ? 0 : count - 1) : (active + (down ? 1 : count - 1)) % count);
      } else if (event.key === 'Enter' && open && active >= 0) {
        event.preventDefault(); // choosing is not saving
        choose(active);
      } else if (event.key === 'Escape' && open) {
        event.preventDefault();
        expand(false);
      }
    });
    input.addEventListener('blur', function () { expand(false); });
    list.addEventListener('mousedown', function (event) { event.preventDefault(); }); // keep focus
    list.addEventListener('click', function (event) {
      var option = event.target.closest('[role=option]');
      if (option) choose(Array.prototype.indexOf.call(list.children, option));
    });

    opener.addEventListener('click', function () {
      form.hidden = false;
      input.focus();
    });
    form.querySelector('.cancel').addEventListener('click', function () {
      expand(false);
      form.hidden = true;
      opener.focus();
    });
    form.addEventListener('submit', async function (event) {
      event.preventDefault();
      var typed = input.value.trim();
      if (!chosen.value && typed) {
        await lookUp(); // the list for exactly what is typed (a pending one is stale)
        var index = titled(typed);
        if (index >= 0) choose(index);
      }
      var target = chosen.value || typed;
      if (!target) {
        tell(note, text('choose', {}), true);
        input.focus();
        return;
      }
      var saved = await judge(item.id, target, chosen.value ? chosen.dataset.title : target, note, {
        typed: !chosen.value,
        opener: opener,
      });
      if (saved) {
        form.hidden = true;
        opener.focus(); // the form held the focus: give it back to what opened it
      }
    });
  }

  function detail(id) {
    if (!details.has(id)) {
      var loading = fetch('/api/agent/threads/' + encodeURIComponent(id), {
        headers: { Accept: 'application/json' },
      }).then(function (response) {
        if (!response.ok) throw new Error('status ' + response.status);
        return response.json();
      });
      loading.catch(function () { details.delete(id); });
      details.set(id, loading);
    }
    return details.get(id);
  }

  function showSolution(id, box) {
    detail(id).then(function (thread) {
      box.textContent = thread.solution ? thread.solution.text : text('no_solution', {});
    }).catch(function () {
      box.textContent = text('solution_failed', {});
    });
  }

  /** Record (or, with no ``target``, withdraw) a judgement; ``how.typed``: the target is
   * typed text, not a thread chosen from the list; ``how.opener``: where focus goes when
   * the note's undo button it held is gone. */
  async function judge(id, target, title, note, how) {
    var response;
    try {
      response = await fetch('/api/agent/duplicates', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({
          thread: id,
          duplicate_of: target || null,
          query: Array.from(state.query).slice(0, QUERY_MAX).join(''),
        }),
      });
    } catch (error) {
      tell(note, text('unsent', {}), true);
      return false;
    }
    var answer = await readJson(response);
    if (!response.ok) {
      var unknownTyped = how.typed && answer.code === 'thread_not_found' && answer.id === target;
      tell(note, unknownTyped ? text('not_chosen', { id: target }) : problem(response, answer, 'unsaved'), true);
      return false;
    }
    tell(note, '', false);
    if (!target) {
      tell(note, text('withdrawn', {}), false);
      if (note.contains(document.activeElement) || document.activeElement === document.body) {
        how.opener.focus();
      }
      return true;
    }
    note.append(text('marked', { title: title, id: target }) + ' ');
    var undo = document.createElement('button');
    undo.type = 'button';
    undo.className = 'undo';
    undo.textContent = text('undo', {});
    undo.addEventListener('click', function () { judge(id, '', '', note, how); });
    note.append(undo);
    return true;
  }

  async function copy(text) {
    if (!text) return false;
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        return true;
      } catch (error) {
        // not allowed (no permission, page not focused): try the old way below
      }
    }
    var area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'offscreen';
    document.body.append(area);
    area.select();
    var done = false;
    try {
      done = document.execCommand('copy');
    } catch (error) {
      done = false;
    }
    area.remove();
    return done;
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    run(0);
  });
  document.getElementById('prev').addEventListener('click', function () {
    run(Math.max(0, state.offset - pageSize), { paged: true });
  });
  document.getElementById('next').addEventListener('click', function () {
    run(state.offset + pageSize, { paged: true });
  });

  // A changed filter searches again, from the first page (the question's own change
  // waits for Search: it fires when the field loses focus, mid-thought).
  form.addEventListener('change', function (event) {
    showActiveFilters();
    if (event.target === question) return;
    clearTimeout(filterTimer);
    filterTimer = setTimeout(function () { run(0); }, FILTER_DEBOUNCE_MS);
  });
  // Enter searches, Shift+Enter starts a new line (a pasted message keeps its own).
  question.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  question.addEventListener('input', showHint);

  var initial = new URLSearchParams(window.location.search);
  initial.delete('ui'); // the language switch has done its work (the server remembers it)
  fillForm(initial);
  showHint();
  keepSearchOnSwitch(initial);
  // Open on wide screens; on a phone folded unless a filter is set (then it shows what).
  filters.open = !NARROW.matches || showActiveFilters() > 0;
  if (initial.get('q')) run(Number(initial.get('offset')) || 0);
  window.askfindAgent = { ready: true };
})();
