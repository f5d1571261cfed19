// The operations page: polls GET /ui/api/status every second and redraws the tables; the form sends POST /v1/infer.
// Every value from the pool is written with textContent, never as HTML.
// With authentication on, both need an admin tenant's API key: the operator types it in the header's field; it is
// kept in sessionStorage (this tab only, gone when it closes, never in a cookie) and sent as Authorization: Bearer.
'use strict';

const POLL_MS = 1000;
const KEY_ITEM = 'llmpool.adminKey';
let pollTimer = null;
let lastTasks = null;   // {name: requests} at lastTime, for requests per second
let lastTime = 0;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c === null || c === undefined ? '' : c);
  return e;
}
const badge = (text, state) => el('span', {class: 'badge s-' + (state || text)}, text);
const ms = (v) => v === undefined || v === null ? '–'
  : (v < 1 ? v.toFixed(2) : v < 10 ? v.toFixed(1) : Math.round(v)) + ' ms';
const pct = (v) => (v * 100).toFixed(v >= 0.995 || v === 0 ? 0 : 1) + '%';

function poolStatus(s) {
  const usable = new Set(s.providers.filter(p => p.usable).map(p => p.name));
  if (s.tasks.some(t => !t.providers.some(p => usable.has(p)))) return 'DOWN';
  return usable.size === s.providers.length ? 'UP' : 'DEGRADED';
}

function drawProviders(s) {
  const rows = s.providers.map(p => el('tr', {'data-provider': p.name},
    el('th', {scope: 'row'}, p.name),
    el('td', {class: 'mono'}, p.model),
    el('td', {class: 'health'}, badge(p.status)),
    el('td', {class: 'circuit'}, badge(p.circuit)),
    el('td', {class: 'num inflight'}, p.inflight + ' / ' + p.max_concurrency),
    el('td', {class: 'num'}, ms(p.check_latency_ms)),
    el('td', {class: 'num'}, ms(p.mean_latency_ms)),
    el('td', {class: 'num', title: p.last_error || ''}, p.failed_calls + (p.last_error ? ' ⚠' : ''))));
  document.querySelector('#providers tbody').replaceChildren(...rows);
}

function drawTasks(s, now) {
  const seconds = lastTasks ? (now - lastTime) / 1000 : 0;
  const rows = [...s.tasks].sort((a, b) => a.name.localeCompare(b.name)).map(t => {
    const rate = seconds > 0 && t.name in lastTasks ? Math.max(0, t.requests - lastTasks[t.name]) / seconds : 0;
    const wins = Object.entries(t.wins);
    const won = wins.reduce((n, [, c]) => n + c, 0);
    return el('tr', {'data-task': t.name},
      el('th', {scope: 'row'}, t.name),
      el('td', {}, t.strategy),
      el('td', {class: 'num'}, String(t.requests)),
      el('td', {class: 'num'}, rate.toFixed(1)),
      el('td', {class: 'num' + (t.errors ? ' err' : '')}, t.requests ? pct(t.errors / t.requests) : '–'),
      el('td', {}, wins.length ? wins.map(([p, c]) => p + ' ' + pct(c / won)).join(' · ') : '–'));
  });
  document.querySelector('#tasks tbody').replaceChildren(...rows);
  lastTasks = Object.fromEntries(s.tasks.map(t => [t.name, t.requests]));
  lastTime = now;
}

function drawRecent(s) {
  const rows = s.recent.map(r => el('tr', {},
    el('td', {class: 'num'}, new Date(r.time).toLocaleTimeString()),
    el('td', {class: 'mono'}, r.request_id),
    el('td', {}, r.api),
    el('td', {}, r.task),
    el('td', {}, r.strategy),
    el('td', {}, r.winner || (r.from_cache ? 'cache' : '–')),
    el('td', {class: 'num'}, ms(r.duration_ms)),
    el('td', {class: 'num'}, ms(r.overhead_ms)),
    el('td', {}, badge(String(r.status) + (r.error ? ' ' + r.error : ''), r.status < 400 ? 'ok' : r.status < 500 ? 'warn' : 'bad')),
    el('td', {class: 'prompt-col', title: r.prompt || ''}, r.prompt || '')));
  document.querySelector('#recent tbody').replaceChildren(...rows);
}

function fillTaskChoices(s) {
  const select = document.getElementById('try-task');
  const names = s.tasks.map(t => t.name);
  if ([...select.options].map(o => o.value).join() === names.join()) return;
  const chosen = select.value;
  select.replaceChildren(...s.tasks.map(t => el('option', {value: t.name}, t.name + ' (' + t.strategy + ')')));
  if (names.includes(chosen)) select.value = chosen;
}

/** The headers every call to the pool carries: the admin key, when the operator gave one. */
function authHeaders(headers) {
  const key = sessionStorage.getItem(KEY_ITEM);
  return key ? {...headers, Authorization: 'Bearer ' + key} : headers;
}

/** What the operator must do when the pool refuses the status (authentication on). */
function refusal(status) {
  if (status === 401) {
    return sessionStorage.getItem(KEY_ITEM)
      ? 'The pool does not accept this API key (HTTP 401): enter an admin tenant\'s key above.'
      : 'An admin API key is needed to see the pool (HTTP 401): enter it above.';
  }
  return 'This API key is not an admin tenant\'s (HTTP 403): enter an admin key above.';
}

async function poll() {
  pollTimer = null;
  try {
    const r = await fetch('/ui/api/status', {cache: 'no-store', headers: authHeaders({})});
    if (r.status === 401 || r.status === 403) {
      document.getElementById('connection').textContent = refusal(r.status);
      return;
    }
    if (!r.ok) throw new Error('HTTP ' + r.status);
    const s = await r.json();
    const status = poolStatus(s);
    document.getElementById('pool-status').replaceChildren(badge(status));
    document.getElementById('inflight').textContent = s.inflight_requests;
    document.getElementById('cache-hit-rate').textContent = s.cache.hit_rate === undefined ? '–'
      : pct(s.cache.hit_rate) + ' of ' + (s.cache.hits + s.cache.misses);
    document.getElementById('updated').textContent = new Date(s.time).toLocaleTimeString();
    document.body.classList.toggle('show-prompts', s.show_prompts);
    drawProviders(s);
    drawTasks(s, s.time);
    drawRecent(s);
    fillTaskChoices(s);
    document.getElementById('connection').textContent = '';
  } catch (e) {
    document.getElementById('connection').textContent = 'Cannot reach the pool (' + e.message + '); retrying…';
  } finally {
    pollTimer = setTimeout(poll, POLL_MS);
  }
}

/** Polls at once (a new key shows its effect now), keeping a single poll loop. */
function pollNow() {
  if (pollTimer !== null) {
    clearTimeout(pollTimer);
    poll();
  }
}

function useKey(event) {
  event.preventDefault();
  const field = document.getElementById('admin-key');
  const key = field.value.trim();
  if (key) sessionStorage.setItem(KEY_ITEM, key); else sessionStorage.removeItem(KEY_ITEM);
  field.value = '';
  field.placeholder = key ? 'a key is in use' : 'needed when authentication is on';
  pollNow();
}

function forgetKey() {
  sessionStorage.removeItem(KEY_ITEM);
  document.getElementById('admin-key').placeholder = 'needed when authentication is on';
  pollNow();
}

function showAnswer(box, status, body) {
  if (status !== 200) {
    const err = body.error || {};
    const parts = [el('p', {class: 'err', id: 'result-error'}, 'HTTP ' + status + ' ' + (err.code || '') + ': ' + (err.message || ''))];
    if (err.providers) {
      parts.push(el('ul', {}, ...Object.entries(err.providers).map(([p, why]) => el('li', {}, p + ': ' + why))));
    }
    box.replaceChildren(...parts);
    return;
  }
  const facts = [['Winner', body.winner_provider + ' (' + body.winner_model + ')'], ['Strategy', body.strategy_used],
    ['Models queried', (body.models_queried || []).join(', ')], ['Duration', body.duration_ms + ' ms'],
    ['From cache', body.from_cache ? 'yes' : 'no'],
    ['Tokens', body.usage ? body.usage.prompt_tokens + ' prompt, ' + body.usage.completion_tokens + ' completion' : '–']];
  if (body.agreement !== undefined) facts.push(['Agreement', pct(body.agreement)]);
  const parts = [el('div', {class: 'content', id: 'result-content'}, body.content),
    el('dl', {}, ...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]))];
  if (body.votes) {
    parts.push(el('table', {id: 'result-votes'},
      el('caption', {class: 'visually-hidden'}, 'Votes per answer'),
      el('thead', {}, el('tr', {}, el('th', {scope: 'col'}, 'Answer'), el('th', {scope: 'col', class: 'num'}, 'Votes'))),
      el('tbody', {}, ...Object.entries(body.votes).map(([answer, n]) =>
        el('tr', {}, el('td', {class: 'answer'}, answer), el('td', {class: 'num votes'}, String(n)))))));
  }
  if (body.judge) {
    const j = body.judge;
    parts.push(el('p', {id: 'result-judge'}, j.skipped
      ? 'Judge ' + (j.model || '') + ' skipped: ' + j.reason
      : 'Judge ' + j.model + ' chose candidate ' + j.choice + (j.reason ? ': ' + j.reason : '')));
  }
  box.replaceChildren(...parts);
}

async function send(event) {
  event.preventDefault();
  const form = event.target;
  const button = document.getElementById('try-send');
  const box = document.getElementById('try-result');
  const request = {task: form.task.value, prompt: form.prompt.value};
  if (form.strategy.value) request.strategy = form.strategy.value;
  if (form.max_tokens.value) request.max_tokens = Number(form.max_tokens.value);
  if (!form.cache.checked) request.cache = false;
  button.disabled = true;
  box.replaceChildren(el('p', {class: 'muted'}, 'Waiting for the pool…'));
  try {
    const r = await fetch('/v1/infer', {method: 'POST', headers: authHeaders({'Content-Type': 'application/json'}),
      body: JSON.stringify(request)});
    showAnswer(box, r.status, await r.json());
  } catch (e) {
    box.replaceChildren(el('p', {class: 'err', id: 'result-error'}, 'The request failed: ' + e.message));
  } finally {
    button.disabled = false;
  }
}

document.getElementById('try-form').addEventListener('submit', send);
document.getElementById('key-form').addEventListener('submit', useKey);
document.getElementById('key-forget').addEventListener('click', forgetKey);
if (sessionStorage.getItem(KEY_ITEM)) document.getElementById('admin-key').placeholder = 'a key is in use';
poll();
