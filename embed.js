/*! askfind embed.js: while a customer types a question, show the threads and help articles
 * that already answer it. No framework, no build step, one global (window.askfind).
 * <script src="https://HOST/embed.js" data-target="#question-title" async></script>
 * Options, accessibility and safety: docs/widget.md.
 */
(() => {
  'use strict';
  if (window.askfind) return;
  const script = document.currentScript;
  const SETTLE_MS = 1000; // typing paused this long: the query counts as one search (impression)
  const CACHE_SIZE = 50;
  const QUERY_MAX = 500; // the API's query_max_chars: it refuses a longer GET q

  const TEXT = {
    de: {
      list: 'Vorschläge aus der Community', head: 'Wurde Ihre Frage schon beantwortet?',
      solved: 'Gelöst', sure: 'Sehr wahrscheinlich Ihre Frage', asked: (n) => `${n}× gefragt`,
      kudos: ['Kudo', 'Kudos'], replies: ['Antwort', 'Antworten'], views: ['Aufruf', 'Aufrufe'],
      ask: 'Frage trotzdem stellen',
      count: (n) => (n === 1 ? '1 Vorschlag' : `${n} Vorschläge`) + ', Pfeiltasten zum Auswählen',
      box: 'Ihre Frage', helped: (t) => `Hat „${t}“ Ihre Frage beantwortet?`, yes: 'Ja',
      no: 'Nein', thanks: 'Danke für Ihre Rückmeldung!', arts: 'Hilfe-Artikel',
      old: 'Möglicherweise veraltet',
    },
    en: {
      list: 'Suggestions from the community', head: 'Has your question been answered already?',
      solved: 'Solved', sure: 'Very likely your question', asked: (n) => `asked ${n} times`,
      kudos: ['kudo', 'kudos'], replies: ['reply', 'replies'], views: ['view', 'views'],
      ask: 'Ask your question anyway',
      count: (n) => (n === 1 ? '1 suggestion' : `${n} suggestions`) + ', use arrow keys to choose',
      box: 'Your question', helped: (t) => `Did “${t}” answer your question?`, yes: 'Yes',
      no: 'No', thanks: 'Thank you for your feedback!', arts: 'Help articles',
      old: 'May be outdated',
    },
  };
  // Words too common to highlight (looks only: the server ranks with its own analysis).
  const STOP = new Set(('der die das den dem des und oder ein eine einen einem mit für ist ' +
    'nicht ich mein meine wie was wo bei auf von zu im ins the and for with not how what ' +
    'why can does my is are to in on of').split(' '));

  const HOST_CSS = `
:host{all:initial;display:block;position:relative;font:14px/1.45 var(--askfind-font,system-ui,sans-serif);
 color:var(--fg);--a:var(--askfind-accent,#1b5fc1);--fg:var(--askfind-text,#1c1c1c);
 --bg:var(--askfind-background,#fff);--m:var(--askfind-muted,#595959)}
.p{position:absolute;z-index:2147483000;box-sizing:border-box;background:var(--bg);border:1px solid #8a8a8a;
 border-radius:var(--askfind-radius,8px);box-shadow:0 6px 24px rgb(0 0 0/.18);max-height:min(75vh,36rem);
 overflow:auto;animation:f .12s ease-out}
[hidden]{display:none!important}
.hd{margin:0;padding:8px 12px;font-weight:600;color:var(--m)}
.ft{padding:8px 12px;border-top:1px solid #ddd}
.fb{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0}
button{font:inherit;font-weight:600;cursor:pointer;border-radius:6px;padding:6px 12px;
 border:1px solid var(--a);background:var(--bg);color:var(--a)}
button:focus-visible{outline:3px solid var(--a);outline-offset:2px}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
@keyframes f{from{opacity:0;transform:translateY(-4px)}}
@media (prefers-reduced-motion:reduce){.p{animation:none}}
@media (max-width:500px){.p{border-radius:0;border-width:1px 0}}`;
  const OPTION_CSS = `
:host{display:block;padding:10px 12px;border-top:1px solid #e3e3e3;cursor:pointer;color:var(--fg)}
:host(:hover){background:#f3f3f5}
:host([data-sure]){border-left:5px solid var(--a);padding-left:7px}
:host([aria-selected=true]){background:#eef3fb;outline:3px solid var(--a);outline-offset:-3px}
.t{font-weight:600;font-size:15px}
mark{background:var(--askfind-mark,#ffe27a);color:inherit}
p{margin:2px 0 0;color:var(--m);display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:2;overflow:hidden}
p.so{color:var(--fg);-webkit-line-clamp:3;border-left:3px solid #1f7a3d;padding-left:8px;margin-top:6px}
.mt{display:flex;flex-wrap:wrap;gap:2px 12px;margin-top:4px;font-size:12px;color:var(--m)}
.b{display:inline-block;margin-right:6px;padding:0 8px;border-radius:10px;font-size:12px;color:#fff;background:#1f7a3d}
.su{background:var(--a)}.o{background:#8a4500}`;

  /** A constructed stylesheet (allowed under a CSP without 'unsafe-inline'), or the text. */
  const sheet = (css) => {
    try {
      const s = new CSSStyleSheet();
      s.replaceSync(css);
      return s;
    } catch (e) {
      return css; // no constructable stylesheets (old browsers): a <style> element instead
    }
  };
  const HOST_SHEET = sheet(HOST_CSS);
  const OPTION_SHEET = sheet(OPTION_CSS);

  /** The children worth showing: append() would write null as "null". */
  const present = (kids) => kids.filter((k) => k != null && k !== false && k !== '');
  /** An element; children are nodes or strings, and strings become text. */
  const h = (tag, attrs, ...kids) => {
    const el = document.createElement(tag);
    for (const k in attrs) if (attrs[k] != null) el.setAttribute(k, attrs[k]);
    el.append(...present(kids));
    return el;
  };
  /** An element only if it has something to show (no empty boxes). */
  const hIf = (tag, attrs, ...kids) => (present(kids).length ? h(tag, attrs, ...kids) : null);
  const shadow = (el, styles) => {
    const root = el.attachShadow({ mode: 'open' });
    if (typeof styles === 'string') root.append(h('style', null, styles));
    else root.adoptedStyleSheets = [styles];
    return root;
  };
  /** The absolute URL if it is http(s), else null: no javascript:, data: or other schemes. */
  const safeUrl = (url) => {
    if (!url) return null;
    try {
      const u = new URL(url, location.href);
      return /^https?:$/.test(u.protocol) ? u.href : null;
    } catch (e) {
      return null;
    }
  };
  const wordsOf = (text) => [...new Set(text.toLowerCase().split(/[^\p{L}\p{N}]+/u))]
    .filter((w) => w.length > 2 && !STOP.has(w));
  /** Text with the typed words marked: text nodes and <mark> elements, never markup. */
  const highlight = (text, words) => {
    if (!words.length) return [text];
    // The words hold only letters and digits (see wordsOf): nothing to escape.
    const re = new RegExp(words.sort((a, b) => b.length - a.length).join('|'), 'giu');
    const out = [];
    let last = 0;
    for (const m of text.matchAll(re)) {
      out.push(text.slice(last, m.index), h('mark', null, m[0]));
      last = m.index + m[0].length;
    }
    out.push(text.slice(last));
    return out;
  };
  const session = (crypto.randomUUID ? crypto.randomUUID() : Math.random().toString(36).slice(2) +
    Date.now().toString(36));
  let widgets = 0;

  /** Attach ask-and-find to a text input. */
  function attach(input, o) {
    const t = TEXT[o.lang];
    const details = typeof o.details === 'string' ? document.querySelector(o.details) : o.details;
    const fields = details ? [input, details] : [input];
    let at = input; // the field in focus: the panel opens under it
    const id = `askfind${++widgets}`;
    const base = o.api.endsWith('/') ? o.api : `${o.api}/`;
    const host = h('askfind-widget');
    for (const name of ['accent', 'background', 'text']) {
      if (o[name]) host.style.setProperty(`--askfind-${name}`, o[name]);
    }
    const root = shadow(host, HOST_SHEET);
    const list = h('askfind-list', { role: 'listbox', id: `${id}-list`, 'aria-label': t.list });
    const live = h('div', { class: 'sr', role: 'status', 'aria-live': 'polite' });
    const askButton = h('button', { type: 'button', part: 'ask' }, t.ask);
    const panel = h('div', { class: 'p', hidden: '' },
      h('p', { class: 'hd' }, t.head), h('slot'), h('div', { class: 'ft' }, askButton));
    const feedbackBar = h('div', { class: 'fb', hidden: '' });
    root.append(live, panel, feedbackBar);
    host.append(list);
    input.after(host);
    for (const [k, v] of Object.entries({ role: 'combobox', 'aria-autocomplete': 'list',
      'aria-expanded': 'false', 'aria-controls': list.id, autocomplete: 'off' })) {
      input.setAttribute(k, v);
    }

    const cache = new Map();
    let items = []; // the suggestions on show: threads, then articles
    let opts = []; // their options
    let shownFor = ''; // the text they were found for
    let searched = null; // the text of the latest search
    let active = -1;
    let seq = 0; // bumped by every change of the text: answers for older texts are dropped
    let controller = null;
    let timer = 0;
    let composing = false;
    let pending = null; // the impression to send once typing settles
    let settleTimer = 0;
    let lastImpression = null;
    let askedFor = null;

    const send = (type, data) => {
      const body = JSON.stringify({ type, session, query: shownFor, lang: o.lang,
        ...(o.board ? { board: o.board } : {}), ...data });
      const url = new URL('api/events', base).href;
      // A beacon survives the page being left for the thread or the ask form.
      if (!(navigator.sendBeacon && navigator.sendBeacon(url, body))) {
        fetch(url, { method: 'POST', body, keepalive: true, mode: 'no-cors' }).catch(() => {});
      }
    };
    const flush = () => {
      clearTimeout(settleTimer);
      if (pending && pending.query !== lastImpression) {
        lastImpression = pending.query;
        send('impression', pending);
      }
      pending = null;
    };

    const place = () => {
      const box = host.getBoundingClientRect();
      const field = at.getBoundingClientRect();
      const narrow = innerWidth < 500; // phones: the panel spans the whole width
      const left = narrow ? -box.left : field.left - box.left;
      panel.style.top = `${field.bottom - box.top + 4}px`;
      panel.style.left = `${left}px`;
      panel.style.width = `${narrow ? document.documentElement.clientWidth
        : Math.min(Math.max(field.width, 320), innerWidth - field.left - 8)}px`;
    };
    const setActive = (i) => {
      const options = opts;
      if (options[active]) options[active].setAttribute('aria-selected', 'false');
      active = i;
      if (options[i]) {
        options[i].setAttribute('aria-selected', 'true');
        input.setAttribute('aria-activedescendant', options[i].id);
        options[i].scrollIntoView({ block: 'nearest' });
      } else {
        input.removeAttribute('aria-activedescendant');
      }
    };
    const expand = (open) => {
      panel.hidden = !open;
      input.setAttribute('aria-expanded', String(open));
      setActive(-1);
      if (open) place();
    };

    const option = (item, i, words) => {
      const art = item.type === 'article'; // no kudos, replies or solution
      const sure = !art && i === 0 && item.confidence >= o.sure;
      const old = item.outdated && t.old;
      const repeats = item.duplicates > 0 && t.asked(item.duplicates + 1);
      const label = [sure && t.sure, item.title, item.solved && t.solved, old, repeats];
      const el = h('askfind-option', { role: 'option', id: `${id}-${i}`, 'aria-selected': 'false',
        'aria-label': label.filter(Boolean).join(', '), 'data-sure': sure ? '' : null });
      // Optional fields: a missing one shows nothing (no "null", "NaN" or empty line).
      const date = item.created_at ? new Date(item.created_at) : null;
      const count = (n, [one, many]) => (Number.isFinite(n)
        ? `${n.toLocaleString(o.lang)} ${n === 1 ? one : many}` : null);
      const solution = item.solution && item.solution.snippet;
      const meta = present(art ? [item.board] : [item.board,
        date && !isNaN(date) && date.toLocaleDateString(o.lang, { dateStyle: 'medium' }),
        count(item.kudos, t.kudos), count(item.replies, t.replies),
        count(item.views, t.views), repeats]);
      shadow(el, OPTION_SHEET).append(...present([
        h('div', { class: 't' }, sure && h('span', { class: 'b su' }, t.sure),
          item.solved && h('span', { class: 'b' }, t.solved), old && h('span', { class: 'b o' }, old),
          h('span', null, ...highlight(String(item.title || ''), words))),
        hIf('p', null, item.snippet),
        hIf('p', { class: 'so' }, solution),
        hIf('div', { class: 'mt' }, ...meta.map((x) => h('span', null, x))),
      ]));
      return el;
    };
    /** Show what was found for a text, help articles in a group of their own after the
     * threads; nothing found shows nothing (no empty box). */
    const show = (found, text, started) => {
      const arts = found.filter((x) => x.type === 'article');
      items = [...found.filter((x) => x.type !== 'article').slice(0, o.limit), ...arts];
      shownFor = text;
      const words = wordsOf(text);
      opts = items.map((item, i) => option(item, i, words));
      const n = items.length - arts.length;
      const group = arts.length ? h('askfind-group', { role: 'group', 'aria-label': t.arts },
        ...opts.slice(n)) : null;
      const head = h('p', { class: 'hd', 'aria-hidden': 'true' }, t.arts);
      if (group) shadow(group, HOST_SHEET).append(head, h('slot'));
      list.replaceChildren(...opts.slice(0, n), ...present([group]));
      live.textContent = items.length ? t.count(items.length) : '';
      expand(items.length > 0 && fields.some((f) => f.matches(':focus')));
      if (started != null) {
        // What scripts/widget-latency measures: request start to the frame showing it.
        requestAnimationFrame(() => performance.measure('askfind:suggest',
          { start: started, detail: { query: text, shown: items.length } }));
      }
      clearTimeout(settleTimer);
      pending = text.length >= o.minChars ? { query: text, results: items.map((x) => x.id) } : null;
      settleTimer = setTimeout(flush, SETTLE_MS);
    };
    /** The title, then the details as far as a GET takes them, cut after a word. The last
     * word is half-typed only if it ends the field written in. */
    const question = () => {
      const more = details ? details.value : '';
      const whole = `${input.value} ${more}`.trim().replace(/\s+/g, ' ');
      const cut = whole.lastIndexOf(' ', QUERY_MAX);
      const text = whole.length > QUERY_MAX ? whole.slice(0, cut > 0 ? cut : QUERY_MAX) : whole;
      return { text, partial: text === whole && (at === details || !more.trim()) };
    };
    const suggest = () => {
      const { text, partial } = question();
      if (text === searched) return; // unchanged: a space, or details past the cut
      searched = text;
      clearTimeout(timer);
      if (controller) controller.abort(); // superseded: the server need not finish it
      controller = null;
      const mine = ++seq;
      const key = `${+partial}${text}`;
      if (text.length < o.minChars) return show([], text);
      if (cache.has(key)) return show(cache.get(key), text, performance.now());
      timer = setTimeout(async () => {
        const started = performance.now();
        const url = new URL('api/suggest', base);
        url.searchParams.set('q', text);
        url.searchParams.set('limit', o.limit);
        if (!partial) url.searchParams.set('partial', 'false');
        if (o.board) url.searchParams.set('board', o.board);
        url.searchParams.set('session', session);
        const ctl = (controller = new AbortController());
        try {
          const answer = await fetch(url, { signal: ctl.signal, credentials: 'omit' });
          if (!answer.ok) throw new Error(`askfind: ${answer.status}`);
          const got = await answer.json();
          const found = [...(got.items || []), ...(got.articles || [])];
          cache.delete(key);
          cache.set(key, found);
          if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value);
          if (mine === seq) show(found, text, started); // a late answer never overwrites
        } catch (e) {
          if (mine === seq && e.name !== 'AbortError') show([], text);
        }
      }, o.debounce);
    };

    const askedAnyway = () => {
      const text = input.value.trim();
      flush();
      if (text && askedFor !== text) {
        askedFor = text;
        send('asked_anyway', { query: text });
      }
    };
    const feedback = (item, rank) => {
      const answer = (label, helpful) => {
        const b = h('button', { type: 'button' }, label);
        b.addEventListener('click', () => {
          send('helpful', { thread: item.id, rank, helpful });
          feedbackBar.replaceChildren(t.thanks);
          live.textContent = t.thanks;
        });
        return b;
      };
      feedbackBar.replaceChildren(h('span', null, t.helped(item.title)),
        answer(t.yes, true), answer(t.no, false));
      feedbackBar.hidden = false;
    };
    const choose = (i) => {
      const item = items[i];
      const url = item && safeUrl(item.url);
      if (!url) return;
      flush();
      send('click', { thread: item.id, rank: i + 1 });
      if (!o.newTab) return location.assign(url);
      window.open(url, '_blank', 'noopener');
      expand(false);
      feedback(item, i + 1);
    };
    const ask = () => {
      const text = input.value.trim();
      askedAnyway();
      expand(false);
      const detail = { query: text };
      const event = new CustomEvent('askfind:ask', { bubbles: true, cancelable: true, composed: true, detail });
      if (!input.dispatchEvent(event)) return; // the page runs its own ask flow
      const target = o.askUrl && safeUrl(o.askUrl.replace('{q}', encodeURIComponent(text)));
      if (target) location.assign(target);
      else if (input.form) input.form.requestSubmit();
      else input.focus();
    };

    const keys = (e) => {
      if (e.isComposing || composing || e.keyCode === 229) return;
      const n = items.length;
      const open = !panel.hidden;
      const key = e.key;
      if ((key === 'ArrowDown' || key === 'ArrowUp') && n && e.target === input) { // not the details'
        e.preventDefault();
        const down = key === 'ArrowDown';
        if (!open) expand(true);
        setActive(!open || active < 0 ? (down ? 0 : n - 1) : (active + (down ? 1 : n - 1)) % n);
      } else if ((key === 'Home' || key === 'End') && open && active >= 0) {
        e.preventDefault();
        setActive(key === 'Home' ? 0 : n - 1);
      } else if (key === 'Enter' && open && active >= 0) {
        e.preventDefault();
        choose(active);
      } else if (key === 'Escape' && open) {
        e.preventDefault();
        expand(false);
      }
    };
    for (const f of fields) {
      f.addEventListener('keydown', keys);
      f.addEventListener('input', (e) => {
        if (!composing && !e.isComposing) suggest();
      });
      // IME: no search while a word is being composed, one when it is committed.
      f.addEventListener('compositionstart', () => (composing = true));
      f.addEventListener('compositionend', () => {
        composing = false;
        suggest();
      });
      f.addEventListener('focus', () => {
        at = f;
        if (items.length && question().text === shownFor) expand(true);
      });
      f.addEventListener('blur', (e) => {
        if (e.relatedTarget !== host) expand(false); // focus into the panel (the ask button) keeps it
      });
    }
    root.addEventListener('focusout', (e) => {
      if (!fields.includes(e.relatedTarget) && !root.contains(e.relatedTarget)) expand(false);
    });
    list.addEventListener('mousedown', (e) => e.preventDefault()); // keep focus in the input
    list.addEventListener('click', (e) => {
      const el = e.target.closest('askfind-option');
      if (el) choose(opts.indexOf(el));
    });
    askButton.addEventListener('click', ask);
    if (input.form) {
      input.form.addEventListener('submit', (e) => {
        if (composing) return e.preventDefault(); // Enter committed a composition: not a submit
        if (lastImpression || pending) askedAnyway();
      });
    }
    addEventListener('pagehide', flush);
    addEventListener('resize', () => panel.hidden || place());
  }

  /** The widget's own question box, where the script tag is (no target given). */
  function ownBox(o) {
    const inputId = `askfind-box${widgets + 1}`;
    const label = h('label', { for: inputId }, TEXT[o.lang].box);
    const input = h('input', { id: inputId, type: 'text', maxlength: '500' });
    // CSSOM, not a style attribute: allowed under a CSP without 'unsafe-inline'.
    label.style.cssText = 'display:block;font-weight:600;margin-bottom:4px';
    input.style.cssText = 'box-sizing:border-box;width:100%;font:inherit;font-size:16px;' +
      'padding:8px 10px;border:1px solid #767676;border-radius:6px';
    const box = h('div', { class: 'askfind-box' }, label, input);
    if (script && script.parentNode && script.parentNode !== document.head) script.before(box);
    else document.body.append(box);
    return input;
  }

  const given = { ...window.askfindSettings, ...(script ? script.dataset : {}) };
  const number = (value, fallback) => (value == null || value === '' || isNaN(value) ? fallback : +value);
  const pageLang = String(given.lang || document.documentElement.lang || 'de').toLowerCase();
  const config = {
    ...given,
    api: given.api || (script && script.src ? new URL('.', script.src).href : `${location.origin}/`),
    lang: pageLang.startsWith('de') ? 'de' : 'en',
    limit: Math.min(5, Math.max(1, number(given.limit, 5))),
    minChars: Math.max(1, number(given.minChars, 3)),
    debounce: number(given.debounce, 150),
    sure: number(given.sure, 0.9),
    newTab: String(given.newTab) !== 'false',
  };
  window.askfind = { attach: (input, options) => attach(input, { ...config, ...options }) };
  const start = () => {
    const input = given.target ? document.querySelector(given.target) : ownBox(config);
    if (input) attach(input, config);
    else console.warn('askfind: no element matches', given.target);
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
