/**
 * The dashboard's browser script (plain ES2020, no build). It keeps the token in session
 * storage and sends it as a bearer header; it puts into the page only HTML rendered (and
 * escaped) by the server, and sets everything else with textContent.
 */
export const APP_JS = String.raw`
(function () {
  'use strict';
  var TOKEN_KEY = 'hvkube.token';
  var THUMB_WIDTH = 320;
  var THUMB_EVERY_MS = 4000;
  var SCREEN_EVERY_MS = 1000;
  var body = document.body;
  var pageKind = body.dataset.page;
  var vmName = body.dataset.vm || '';
  var stopped = true;
  var lastEventId = null;
  var backfilled = false;
  var progressText = {};
  var thumbUrls = {};
  var thumbAt = {};
  var screenHas = false;

  function $(sel) { return document.querySelector(sel); }
  function token() { return sessionStorage.getItem(TOKEN_KEY); }
  function authHeaders(extra) {
    var h = extra || {};
    var t = token();
    if (t) h.Authorization = 'Bearer ' + t;
    return h;
  }
  function AuthError() { this.message = 'sign in needed'; }

  async function call(path, opts) {
    opts = opts || {};
    var init = { method: opts.method || 'GET', headers: authHeaders(opts.headers || {}) };
    // The server refuses a POST without this media type even when it has no body.
    if (init.method !== 'GET') init.headers['Content-Type'] = 'application/json';
    if (opts.json !== undefined) init.body = JSON.stringify(opts.json);
    var res = await fetch(path, init);
    if (res.status === 401) { needLogin(); throw new AuthError(); }
    return res;
  }

  async function apiJson(path, opts) {
    var res = await call(path, opts);
    var text = await res.text();
    var data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!res.ok) {
      var msg = data && data.error && data.error.message ? data.error.message : 'HTTP ' + res.status;
      throw new Error(msg);
    }
    return data;
  }

  // ---- feedback ----
  var toastTimer = null;
  function toast(text, bad) {
    var t = $('#toast');
    t.textContent = text;
    t.className = bad ? 'toast bad' : 'toast';
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { t.hidden = true; }, bad ? 7000 : 3500);
  }
  function failed(e) { if (!(e instanceof AuthError)) toast(e && e.message ? e.message : String(e), true); }
  function setLive(on) {
    var l = $('#live');
    l.textContent = on ? 'live' : 'offline';
    l.className = on ? 'live on' : 'live';
  }

  function confirmAction(text, addExtra) {
    return new Promise(function (resolve) {
      var d = $('#confirm');
      $('#confirm-text').textContent = text;
      var extra = $('#confirm-extra');
      extra.replaceChildren();
      var read = addExtra ? addExtra(extra) : function () { return {}; };
      d.returnValue = '';
      d.addEventListener('close', function onClose() {
        d.removeEventListener('close', onClose);
        resolve(d.returnValue === 'ok' ? read() : null);
      });
      d.showModal();
    });
  }
  function checkbox(parent, label) {
    var l = document.createElement('label');
    var c = document.createElement('input');
    c.type = 'checkbox';
    l.appendChild(c);
    l.appendChild(document.createTextNode(' ' + label));
    parent.appendChild(l);
    return c;
  }
  function select(parent, label, options) {
    var l = document.createElement('label');
    l.appendChild(document.createTextNode(label + ' '));
    var s = document.createElement('select');
    options.forEach(function (o) {
      var opt = document.createElement('option');
      opt.value = o[0];
      opt.textContent = o[1];
      s.appendChild(opt);
    });
    l.appendChild(s);
    parent.appendChild(l);
    return s;
  }

  // ---- sign-in ----
  function needLogin() {
    stopped = true;
    setLive(false);
    $('#login').hidden = false;
    $('#main').hidden = true;
    $('#logout').hidden = token() === null;
  }
  $('#login-form').addEventListener('submit', async function (e) {
    e.preventDefault();
    var input = $('#token');
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    input.value = '';
    var res = await fetch('/ui/f/pools', { headers: authHeaders({}) });
    if (res.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      $('#login-error').textContent = 'this token is not accepted';
      return;
    }
    $('#login-error').textContent = '';
    start();
  });
  $('#logout').addEventListener('click', function () {
    sessionStorage.removeItem(TOKEN_KEY);
    location.reload();
  });

  // ---- fragments ----
  var inflight = {};
  function fragmentIds() {
    return Array.prototype.map.call(document.querySelectorAll('[data-fragment]'), function (el) { return el.id; });
  }
  function busyEditing(el) {
    var a = document.activeElement;
    return a && el.contains(a) && (a.tagName === 'INPUT' || a.tagName === 'SELECT' || a.tagName === 'TEXTAREA');
  }
  async function refresh(id) {
    var el = document.getElementById(id);
    if (!el || stopped) return;
    if (inflight[id]) { inflight[id] = 'again'; return; }
    if (busyEditing(el)) return;
    inflight[id] = true;
    try {
      var q = id === 'vm' ? '?name=' + encodeURIComponent(vmName) : '';
      var res = await call('/ui/f/' + id + q);
      var html = await res.text();
      if (!busyEditing(el)) {
        var edits = formEdits(el);
        // Server-rendered by hono/jsx, which escapes every value.
        el.innerHTML = html;
        restoreEdits(el, edits);
        afterRender(id, el);
      }
    } catch (e) {
      if (!(e instanceof AuthError)) el.setAttribute('data-stale', '1');
    } finally {
      var again = inflight[id] === 'again';
      inflight[id] = false;
      if (again) refresh(id);
    }
  }
  // What the user changed in a section's forms (a chosen workflow, a pool size) survives a refresh.
  function controlKey(c) {
    var f = c.form;
    return (f ? f.dataset.action + ':' + (f.dataset.pool || '') : '') + ':' + c.name;
  }
  function defaultIndex(select) {
    for (var i = 0; i < select.options.length; i++) if (select.options[i].defaultSelected) return i;
    return 0;
  }
  function formEdits(el) {
    var edits = {};
    el.querySelectorAll('form[data-action] input[name], form[data-action] select[name]').forEach(function (c) {
      var changed = c.tagName === 'SELECT' ? c.selectedIndex !== defaultIndex(c) : c.value !== c.defaultValue;
      if (changed) edits[controlKey(c)] = c.value;
    });
    return edits;
  }
  function restoreEdits(el, edits) {
    el.querySelectorAll('form[data-action] input[name], form[data-action] select[name]').forEach(function (c) {
      var k = controlKey(c);
      if (Object.prototype.hasOwnProperty.call(edits, k)) c.value = edits[k];
    });
  }
  function refreshAll() { fragmentIds().forEach(refresh); }
  var soon = null;
  function refreshSoon() {
    if (soon) return;
    soon = setTimeout(function () { soon = null; refreshAll(); }, 250);
  }
  function afterRender(id, el) {
    el.querySelectorAll('img[data-thumb]').forEach(function (img) {
      var u = thumbUrls[img.dataset.thumb];
      if (u) img.src = u;
    });
    el.querySelectorAll('[data-progress-for]').forEach(function (p) {
      p.textContent = progressText[p.dataset.progressFor] || '';
    });
    if (id === 'hosts') {
      // A single host has no host rows: the panel shows only for a fleet.
      var hostsPanel = document.getElementById('hosts-panel');
      if (hostsPanel) hostsPanel.hidden = !el.querySelector('[data-host]');
    }
    if (id === 'vm') {
      var d = el.firstElementChild;
      screenHas = !!d && d.dataset.screen === '1';
      if (!screenHas) {
        // A VM that does not exist renders its error line instead of the details.
        $('#screen-note').textContent = d && d.dataset.state
          ? 'no screen while the VM is ' + d.dataset.state
          : 'no screen: ' + (d ? d.textContent.trim() : 'the VM is unknown');
        $('#screen-img').removeAttribute('src');
      }
    }
  }

  // ---- thumbnails and the big screen ----
  async function fetchScreen(name, width) {
    var res = await call('/api/v1/vms/' + encodeURIComponent(name) + '/screenshot' + (width ? '?width=' + width : ''));
    if (!res.ok) throw new Error('screenshot of ' + name + ' failed (HTTP ' + res.status + ')');
    return URL.createObjectURL(await res.blob());
  }
  function visible(el) {
    var r = el.getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight && r.width > 0;
  }
  async function thumbTick() {
    if (stopped || document.hidden) return;
    var now = Date.now();
    var due = Array.prototype.filter.call(document.querySelectorAll('img[data-thumb]'), function (img) {
      return now - (thumbAt[img.dataset.thumb] || 0) > THUMB_EVERY_MS && visible(img);
    });
    due.sort(function (a, b) { return (thumbAt[a.dataset.thumb] || 0) - (thumbAt[b.dataset.thumb] || 0); });
    var img = due[0];
    if (!img) return;
    var name = img.dataset.thumb;
    thumbAt[name] = now;
    try {
      var url = await fetchScreen(name, THUMB_WIDTH);
      var old = thumbUrls[name];
      thumbUrls[name] = url;
      document.querySelectorAll('img[data-thumb]').forEach(function (i) { if (i.dataset.thumb === name) i.src = url; });
      if (old) setTimeout(function () { URL.revokeObjectURL(old); }, 2000);
    } catch (e) { /* the VM may have just been saved: the next refresh drops its thumbnail */ }
  }
  async function screenTick() {
    if (stopped || document.hidden || !screenHas) return;
    try {
      var url = await fetchScreen(vmName, 0);
      var img = $('#screen-img');
      var old = img.src;
      img.src = url;
      $('#screen-note').textContent = '';
      if (old && old.indexOf('blob:') === 0) setTimeout(function () { URL.revokeObjectURL(old); }, 2000);
    } catch (e) { $('#screen-note').textContent = e.message; }
  }
  function loop(fn, ms) {
    (async function again() {
      await fn();
      setTimeout(again, ms);
    })();
  }

  // ---- console input on the VM page ----
  var inputChain = Promise.resolve();
  function send(fn) {
    inputChain = inputChain.then(fn).catch(failed);
    return inputChain;
  }
  function post(path, json) { return apiJson(path, { method: 'POST', json: json }); }
  function vmPath(name, verb) { return '/api/v1/vms/' + encodeURIComponent(name) + '/' + verb; }
  function screenPoint(e) {
    var img = e.currentTarget;
    var r = img.getBoundingClientRect();
    return {
      x: Math.max(0, Math.round((e.clientX - r.left) * img.naturalWidth / r.width)),
      y: Math.max(0, Math.round((e.clientY - r.top) * img.naturalHeight / r.height))
    };
  }
  var KEYS = { Enter: 'enter', Escape: 'esc', Tab: 'tab', Backspace: 'backspace', Delete: 'delete', Insert: 'insert',
    Home: 'home', End: 'end', PageUp: 'pageup', PageDown: 'pagedown', ArrowUp: 'up', ArrowDown: 'down',
    ArrowLeft: 'left', ArrowRight: 'right', ' ': 'space', CapsLock: 'capslock' };
  var typed = '';
  var typedTimer = null;
  function flushTyped() {
    clearTimeout(typedTimer);
    if (!typed) return;
    var text = typed;
    typed = '';
    send(function () { return post(vmPath(vmName, 'type'), { text: text }); });
  }
  function chordOf(e) {
    var key = KEYS[e.key] || (/^F([1-9]|1[0-2])$/.test(e.key) ? e.key.toLowerCase() : null);
    if (!key && e.key.length === 1) key = e.key.toLowerCase();
    if (!key) return null;
    var mods = [];
    if (e.ctrlKey) mods.push('ctrl');
    if (e.altKey) mods.push('alt');
    if (e.metaKey) mods.push('meta');
    if (e.shiftKey && (e.key.length > 1 || /[a-z]/i.test(e.key))) mods.push('shift');
    return mods.concat([key]).join('+');
  }
  function wireScreen() {
    var screen = $('#screen');
    var img = $('#screen-img');
    img.addEventListener('click', function (e) {
      if (e.detail > 1) return;
      var p = screenPoint(e);
      screen.focus();
      send(function () { return post(vmPath(vmName, 'click'), { x: p.x, y: p.y }); });
    });
    img.addEventListener('dblclick', function (e) {
      var p = screenPoint(e);
      send(function () { return post(vmPath(vmName, 'click'), { x: p.x, y: p.y, double: true }); });
    });
    img.addEventListener('contextmenu', function (e) {
      e.preventDefault();
      var p = screenPoint(e);
      send(function () { return post(vmPath(vmName, 'click'), { x: p.x, y: p.y, button: 'right' }); });
    });
    screen.addEventListener('keydown', function (e) {
      if (['Shift', 'Control', 'Alt', 'Meta', 'AltGraph'].indexOf(e.key) >= 0) return;
      e.preventDefault();
      if (!e.ctrlKey && !e.altKey && !e.metaKey && e.key.length === 1) {
        typed += e.key;
        clearTimeout(typedTimer);
        typedTimer = setTimeout(flushTyped, 120);
        return;
      }
      var chord = chordOf(e);
      if (!chord) return;
      flushTyped();
      send(function () { return post(vmPath(vmName, 'keys'), { chords: [chord] }); });
    });
    $('#type-form').addEventListener('submit', function (e) {
      e.preventDefault();
      var f = e.currentTarget;
      var keys = e.submitter && e.submitter.name === 'send';
      if (keys) {
        var chords = f.elements.keys.value.split(/[\s,]+/).filter(Boolean);
        if (chords.length) send(function () { return post(vmPath(vmName, 'keys'), { chords: chords }); });
        f.elements.keys.value = '';
      } else if (f.elements.text.value) {
        var text = f.elements.text.value;
        send(function () { return post(vmPath(vmName, 'type'), { text: text }); });
        f.elements.text.value = '';
      }
    });
  }

  // ---- actions ----
  async function openScreenshot(name) {
    var w = window.open('', '_blank');
    var url = await fetchScreen(name, 0);
    if (w) { w.location.href = url; return; }
    var a = document.createElement('a');
    a.href = url;
    a.download = name + '.png';
    a.click();
  }
  var actions = {
    acquire: async function (el) {
      var r = await post('/api/v1/acquire', { pool_name: el.dataset.pool, holder: 'dashboard', wait: false });
      toast('acquired ' + r.vm_name + ' in ' + r.resume_ms + ' ms');
    },
    resume: async function (el) { await post(vmPath(el.dataset.vm, 'resume')); toast(el.dataset.vm + ' resumed'); },
    save: async function (el) { await post(vmPath(el.dataset.vm, 'save')); toast(el.dataset.vm + ' saved'); },
    reset: async function (el) {
      var leased = el.dataset.leased === '1';
      var answer = await confirmAction('Reset ' + el.dataset.vm + ' to its clean checkpoint? What happened in it since is lost.', function (box) {
        if (!leased) return function () { return { force: false }; };
        var c = checkbox(box, 'it is in use: reset it anyway, taking it from its holder');
        return function () { return { force: c.checked }; };
      });
      if (!answer) return;
      toast('resetting ' + el.dataset.vm + '…');
      await post(vmPath(el.dataset.vm, 'reset'), answer);
      toast(el.dataset.vm + ' reset');
    },
    screenshot: async function (el) { await openScreenshot(el.dataset.vm); },
    release: async function (el) {
      var answer = await confirmAction('Release ' + el.dataset.vm + ' from its holder?', function (box) {
        var s = select(box, 'then', [['', "the pool's policy"], ['save', 'save (keep the session)'], ['reset', 'reset to clean'], ['destroy', 'destroy the VM']]);
        return function () { return s.value ? { policy: s.value } : {}; };
      });
      if (!answer) return;
      await post(vmPath(el.dataset.vm, 'release'), answer);
      toast(el.dataset.vm + ' released');
    },
    scale: async function (el) {
      var desired = Number(el.elements.desired.value);
      var warm = Number(el.elements.warm.value);
      var ok = await confirmAction('Scale pool ' + el.dataset.pool + ' to ' + desired + ' VMs, ' + warm + ' kept warm? Idle VMs are removed when scaling down.');
      if (!ok) return;
      await post('/api/v1/pools/' + encodeURIComponent(el.dataset.pool) + '/scale', { desired: desired, warm: warm });
      toast('pool ' + el.dataset.pool + ' scaled');
    },
    'cancel-agent': async function (el) {
      var ok = await confirmAction('Cancel agent ' + el.dataset.agent + '? Its VM is reset.');
      if (!ok) return;
      await post('/api/v1/agents/' + encodeURIComponent(el.dataset.agent) + '/cancel', {});
      toast('agent cancelled');
    },
    'submit-agent': async function (el) {
      var raw = el.elements.input.value.trim();
      var input = {};
      if (raw) {
        try { input = JSON.parse(raw); } catch (e) { throw new Error('the input is not JSON: ' + e.message); }
      }
      var a = await post('/api/v1/agents', { pool: el.elements.pool.value, workflow: el.elements.workflow.value, input: input });
      el.elements.input.value = '';
      toast('agent ' + a.id + ' submitted');
    },
    artifact: async function (el) {
      var res = await call('/api/v1/agents/' + encodeURIComponent(el.dataset.agent) + '/artifacts/' + encodeURIComponent(el.dataset.index));
      if (!res.ok) throw new Error('artifact not available (HTTP ' + res.status + ')');
      window.open(URL.createObjectURL(await res.blob()), '_blank');
    }
  };
  async function runAction(name, el) {
    var fn = actions[name];
    if (!fn) return;
    el.setAttribute('aria-busy', 'true');
    try { await fn(el); } catch (e) { failed(e); } finally { el.removeAttribute('aria-busy'); refreshSoon(); }
  }
  document.addEventListener('click', function (e) {
    var el = e.target.closest('button[data-action], a[data-action]');
    if (!el) return;
    e.preventDefault();
    runAction(el.dataset.action, el);
  });
  document.addEventListener('submit', function (e) {
    var f = e.target.closest('form[data-action]');
    if (!f) return;
    e.preventDefault();
    runAction(f.dataset.action, f);
  });

  // ---- live events ----
  function clockOf(iso) { return iso ? iso.slice(11, 19) : ''; }
  function eventRow(ev) {
    var li = document.createElement('li');
    var text = ev.action + (ev.from || ev.to ? ' (' + (ev.from || '∅') + ' → ' + (ev.to || '∅') + ')' : '') +
      (ev.durationMs !== null && ev.durationMs !== undefined ? ' ' + ev.durationMs + ' ms' : '') + ' · ' + ev.actor;
    [[clockOf(ev.at), 'at'], [ev.kind, 'kind'], [ev.subject, 'subject'], [text, 'what']].forEach(function (c) {
      var s = document.createElement('span');
      s.className = c[1];
      s.textContent = c[0];
      li.appendChild(s);
    });
    li.dataset.id = String(ev.id);
    return li;
  }
  function addEvent(ev) {
    var list = $('#events');
    if (!list) return;
    var li = eventRow(ev);
    li.className = 'fresh';
    setTimeout(function () { li.className = ''; }, 2500);
    list.insertBefore(li, list.firstChild);
    while (list.children.length > 200) list.removeChild(list.lastChild);
  }
  async function backfill(after) {
    backfilled = true;
    var list = $('#events');
    if (!list || !after) return;
    // Events up to the stream's start are older than any live row: they go below, newest first.
    var events = await apiJson('/api/v1/events?after=' + Math.max(0, after - 40) + '&limit=40');
    events.reverse().forEach(function (ev) { list.appendChild(eventRow(ev)); });
  }
  function onSse(block) {
    var type = 'message';
    var data = '';
    block.split('\n').forEach(function (line) {
      if (!line || line.charAt(0) === ':') return;
      var i = line.indexOf(':');
      var field = i < 0 ? line : line.slice(0, i);
      var value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') type = value;
      else if (field === 'data') data += (data ? '\n' : '') + value;
      else if (field === 'id') lastEventId = value;
    });
    if (!data) return;
    var msg = JSON.parse(data);
    if (type === 'hello') { if (!backfilled) backfill(msg.after).catch(failed); return; }
    if (type === 'progress') {
      progressText[msg.pool] = msg.vm + ': ' + msg.step + (msg.message ? ' — ' + msg.message : '');
      document.querySelectorAll('[data-progress-for]').forEach(function (p) {
        if (p.dataset.progressFor === msg.pool) p.textContent = progressText[msg.pool];
      });
    } else {
      addEvent(msg);
    }
    refreshSoon();
  }
  async function connectEvents() {
    if (stopped) return;
    try {
      var h = authHeaders({ Accept: 'text/event-stream' });
      if (lastEventId) h['Last-Event-ID'] = lastEventId;
      var q = pageKind === 'vm' ? '?subject=' + encodeURIComponent(vmName) : '';
      var res = await fetch('/api/v1/events' + q, { headers: h });
      if (res.status === 401) { needLogin(); return; }
      if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
      setLive(true);
      var reader = res.body.getReader();
      var decoder = new TextDecoder();
      var buf = '';
      for (;;) {
        var r = await reader.read();
        if (r.done || stopped) break;
        buf += decoder.decode(r.value, { stream: true }).replace(/\r\n/g, '\n');
        var at;
        while ((at = buf.indexOf('\n\n')) >= 0) {
          var block = buf.slice(0, at);
          buf = buf.slice(at + 2);
          onSse(block);
        }
      }
    } catch (e) { /* reconnect below */ }
    setLive(false);
    if (!stopped) setTimeout(connectEvents, 2000);
  }

  // ---- start ----
  var started = false;
  function start() {
    stopped = false;
    $('#login').hidden = true;
    $('#main').hidden = false;
    $('#logout').hidden = token() === null;
    refreshAll();
    connectEvents();
    if (started) return;
    started = true;
    setInterval(function () { if (!stopped && !document.hidden) refreshAll(); }, 10000);
    if (pageKind === 'vm') { wireScreen(); loop(screenTick, SCREEN_EVERY_MS); }
    else loop(thumbTick, 600);
  }
  if (body.dataset.auth === 'on' && token() === null) needLogin();
  else start();
})();
`;
