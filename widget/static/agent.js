// The agents' search page: search through GET /api/search with filters, page through the
// results, show and copy the full accepted solution, copy the thread's link, and record
// "duplicate of" judgements. Thread text is untrusted: it is only ever set as textContent,
// and links are used only when they are http(s).
(function () {
  'use strict';

  var form = document.getElementById('search');
  var results = document.getElementById('results');
  var statusLine = document.getElementById('status');
  var pager = document.getElementById('pager');
  var targets = document.getElementById('duplicate-targets');
  var template = document.getElementById('result');
  var pageSize = Number(document.body.dataset.pageSize) || 10;
  var FILTERS = ['q', 'board', 'lang', 'from', 'to', 'solved'];
  var state = { offset: 0, total: 0, query: '', sequence: 0 };
  var details = new Map(); // thread id -> Promise of its /api/agent/threads answer

  function say(text) {
    statusLine.textContent = text;
  }

  function searchParams() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (String(value).trim() !== '') params.set(name, String(value).trim());
    });
    return params;
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
      return { error: 'The service answered ' + response.status + '.' };
    }
  }

  async function run(offset) {
    var params = searchParams();
    if (!params.get('q')) return;
    var sequence = ++state.sequence;
    params.set('offset', String(offset));
    window.history.replaceState(null, '', '?' + params.toString());
    params.set('limit', String(pageSize));
    say('Searching…');
    var response;
    try {
      response = await fetch('/api/search?' + params.toString(), {
        headers: { Accept: 'application/json' },
      });
    } catch (error) {
      if (sequence === state.sequence) say('The search service cannot be reached.');
      return;
    }
    var answer = await readJson(response);
    if (sequence !== state.sequence) return; // a newer search has started meanwhile
    if (!response.ok) {
      results.replaceChildren();
      pager.hidden = true;
      say(answer.error || 'The search failed.');
      return;
    }
    state.offset = offset;
    state.total = answer.total;
    state.query = params.get('q');
    render(answer.items);
  }

  function render(items) {
    results.replaceChildren();
    targets.replaceChildren();
    results.start = state.offset + 1;
    items.forEach(function (item) {
      results.append(resultElement(item));
      var option = document.createElement('option');
      option.value = item.id;
      option.label = item.title;
      targets.append(option);
    });
    var last = state.offset + items.length;
    if (state.total === 0) say('No thread matches.');
    else say('Results ' + (state.offset + 1) + '–' + last + ' of ' + state.total);
    pager.hidden = state.total <= pageSize;
    document.getElementById('range').textContent =
      'Page ' + (Math.floor(state.offset / pageSize) + 1) + ' of ' +
      Math.max(1, Math.ceil(state.total / pageSize));
    document.getElementById('prev').disabled = state.offset === 0;
    document.getElementById('next').disabled = last >= state.total;
  }

  function resultElement(item) {
    var element = template.content.firstElementChild.cloneNode(true);
    var part = function (selector) { return element.querySelector(selector); };
    element.dataset.id = item.id;
    var link = part('.title');
    link.textContent = item.title;
    var url = safeUrl(item.url);
    if (url) link.href = url;
    part('.solved').hidden = !item.solved;
    part('.board').textContent = item.board || '';
    part('.lang').textContent = item.lang || '';
    part('.created').textContent = item.created_at ? item.created_at.slice(0, 10) : '';
    part('.counts').textContent =
      item.kudos + ' kudos · ' + item.replies + ' replies · ' + item.views + ' views';
    if (item.duplicates > 0) {
      part('.duplicates').hidden = false;
      part('.duplicates').textContent = 'asked ' + (item.duplicates + 1) + ' times';
    }
    part('.id').textContent = item.id;
    part('.snippet').textContent = item.snippet;
    var note = part('.note');
    if (item.solution) {
      part('.solution').hidden = false;
      part('.copy-answer').hidden = false;
      part('.solution').addEventListener('toggle', function (event) {
        if (event.target.open) showSolution(item.id, part('.solution-text'));
      });
    }
    part('.copy-link').disabled = !url;
    part('.copy-link').addEventListener('click', function () {
      copy(url).then(function (done) {
        note.textContent = done ? 'Link copied.' : 'Copying is not allowed here.';
      });
    });
    part('.copy-answer').addEventListener('click', function () {
      detail(item.id).then(function (thread) {
        if (!thread.solution) throw new Error('no solution');
        return copy(thread.solution.text);
      }).then(function (done) {
        note.textContent = done ? 'Answer copied.' : 'Copying is not allowed here.';
      }).catch(function () {
        note.textContent = 'The answer could not be loaded.';
      });
    });
    var duplicateForm = part('.duplicate');
    part('.mark').addEventListener('click', function () {
      duplicateForm.hidden = false;
      duplicateForm.elements.namedItem('duplicate_of').focus();
    });
    duplicateForm.querySelector('.cancel').addEventListener('click', function () {
      duplicateForm.hidden = true;
    });
    duplicateForm.addEventListener('submit', function (event) {
      event.preventDefault();
      var target = duplicateForm.elements.namedItem('duplicate_of').value.trim();
      judge(item.id, target, note).then(function (saved) {
        if (saved) duplicateForm.hidden = true;
      });
    });
    return element;
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
      box.textContent = thread.solution ? thread.solution.text : 'No accepted solution.';
    }).catch(function () {
      box.textContent = 'The solution could not be loaded.';
    });
  }

  async function judge(id, target, note) {
    var response;
    try {
      response = await fetch('/api/agent/duplicates', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ thread: id, duplicate_of: target || null, query: state.query }),
      });
    } catch (error) {
      note.textContent = 'The judgement could not be sent.';
      return false;
    }
    var answer = await readJson(response);
    if (!response.ok) {
      note.textContent = answer.error || 'The judgement was not saved.';
      return false;
    }
    note.replaceChildren();
    if (!target) {
      note.textContent = 'Duplicate mark withdrawn.';
      return true;
    }
    note.append('Marked as duplicate of ' + target + '. ');
    var undo = document.createElement('button');
    undo.type = 'button';
    undo.className = 'undo';
    undo.textContent = 'Undo';
    undo.addEventListener('click', function () { judge(id, '', note); });
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
    run(Math.max(0, state.offset - pageSize));
  });
  document.getElementById('next').addEventListener('click', function () {
    run(state.offset + pageSize);
  });

  var initial = new URLSearchParams(window.location.search);
  fillForm(initial);
  if (initial.get('q')) run(Math.max(0, Number(initial.get('offset')) || 0));
  window.askfindAgent = { ready: true };
})();
