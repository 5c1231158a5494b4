// The playground page: a handler editor, the page and config as JSON, and
// what the handler returned and what the page sends to Flocktory, from the
// same process's /v1/eval and /v1/run. The whole case lives in the URL's
// fragment, so a link reproduces it.

import { EditorView, keymap, lineNumbers, highlightActiveLine } from '@codemirror/view';
import { EditorState, Prec } from '@codemirror/state';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { javascript } from '@codemirror/lang-javascript';
import { json } from '@codemirror/lang-json';
import { syntaxHighlighting, defaultHighlightStyle, bracketMatching, indentOnInput } from '@codemirror/language';
import { closeBrackets, closeBracketsKeymap } from '@codemirror/autocomplete';
import { lintGutter, setDiagnostics } from '@codemirror/lint';

const $ = (id) => document.querySelector(`[data-testid="${id}"]`);

let project = null;
let lastRun = null;
let saving = null;
// Each run's number: an older run's answer never overwrites a newer one's.
let runs = 0;

function editor(parent, language) {
  return new EditorView({
    parent,
    state: EditorState.create({
      doc: '',
      extensions: [
        lineNumbers(),
        highlightActiveLine(),
        history(),
        indentOnInput(),
        bracketMatching(),
        closeBrackets(),
        syntaxHighlighting(defaultHighlightStyle),
        language,
        lintGutter(),
        Prec.highest(keymap.of([{ key: 'Mod-Enter', run: () => { runAll(); return true; } }])),
        keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, indentWithTab]),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) changed();
        }),
      ],
    }),
  });
}

const handlerEditor = editor($('handler'), javascript());
const pageEditor = editor($('page'), json());
const configEditor = editor($('config'), json());

function text(view) {
  return view.state.doc.toString();
}

function setText(view, value) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: value } });
}

// The integrations of a config, in either of its two forms.
function integrations(config) {
  const list = config && config.integrations;
  if (Array.isArray(list)) return list.map((entry) => entry && entry.options).filter(Boolean);
  if (list && typeof list === 'object') return Object.values(list).filter((o) => o && typeof o === 'object');
  return [];
}

// The place of handler `name` in `config` (as `eval --handler` names it),
// to read or replace its text.
function slot(config, name) {
  for (const options of integrations(config)) {
    const entries = Array.isArray(options.eventEnrichments) ? options.eventEnrichments : [];
    for (let i = 0; i < entries.length; i++) {
      if (entries[i] && (entries[i].prop === name || `eventEnrichments[${i}]` === name)) {
        return { holder: entries[i], key: 'handler' };
      }
    }
    const key = name === 'override' ? 'event' : name === 'override.product' ? 'product' : null;
    if (key && options.overrideFunctions && options.overrideFunctions[key] != null) {
      return { holder: options.overrideFunctions, key };
    }
  }
  return null;
}

function parsed(view, what) {
  try {
    return { value: JSON.parse(text(view)) };
  } catch (error) {
    return { error: `${what} is not valid JSON: ${error.message}` };
  }
}

// The config with the editor's text in the chosen handler's place.
function configWithHandler(config) {
  const name = $('name').value;
  const copy = JSON.parse(JSON.stringify(config));
  const place = name && slot(copy, name);
  if (place) place.holder[place.key] = text(handlerEditor);
  return copy;
}

function fillEvents(page) {
  const select = $('event');
  const chosen = select.value;
  const events = (page && (page.events || (page.digitalData && page.digitalData.events))) || [];
  select.replaceChildren(new Option('the first it runs on', ''));
  events.forEach((event, i) => {
    const name = event && typeof event.name === 'string' ? event.name : '(no name)';
    select.add(new Option(`#${i} ${name}`, String(i)));
  });
  if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
}

async function post(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const type = response.headers.get('content-type') || '';
  const answer = type.includes('json') ? await response.json() : await response.text();
  if (!response.ok) {
    throw new Error(answer && answer.error ? answer.error.message : String(answer));
  }
  return answer;
}

// The range to underline for an error at `line`, `column` (from 1): the
// word there, or one character.
function errorRange(doc, line, column) {
  const at = doc.line(Math.min(Math.max(line, 1), doc.lines));
  const from = Math.min(at.from + Math.max(column - 1, 0), at.to);
  let to = from;
  while (to < at.to && /[\w$]/.test(doc.sliceString(to, to + 1))) to++;
  return { from, to: Math.max(to, Math.min(from + 1, at.to)) };
}

function showEval(answer) {
  $('value').textContent = answer.error
    ? ''
    : answer.undefined
      ? 'undefined (nothing is written)'
      : JSON.stringify(answer.value, null, 2);
  const logs = answer.logs.map((l) => `${l.level}: ${l.message}`);
  if (answer.droppedLogs) logs.push(`… ${answer.droppedLogs} more lines`);
  $('logs').textContent = logs.join('\n');
  const cost = answer.cost;
  $('cost').textContent = `${(cost.micros / 1000).toFixed(2)} ms · ${(cost.memoryBytes / 1048576).toFixed(1)} MiB · on ${answer.target}`;
  const error = answer.error;
  if (!error) {
    $('error').textContent = '';
    handlerEditor.dispatch(setDiagnostics(handlerEditor.state, []));
    return;
  }
  const place = error.line ? ` (line ${error.line}, column ${error.column})` : '';
  $('error').textContent = `${error.kind}${place}: ${error.message}`;
  const diagnostics = error.line
    ? [{ ...errorRange(handlerEditor.state.doc, error.line, error.column || 1), severity: 'error', message: error.message }]
    : [];
  handlerEditor.dispatch(setDiagnostics(handlerEditor.state, diagnostics));
}

function showRun(result) {
  const rows = $('variables').querySelector('tbody');
  rows.replaceChildren();
  for (const event of result.events) {
    for (const variable of event.variables || []) {
      const row = rows.insertRow();
      row.insertCell().textContent = `${event.index == null ? '+' : '#' + event.index} ${event.name}`;
      row.insertCell().textContent = variable.product ? `${variable.product}.${variable.prop}` : variable.prop;
      row.insertCell().textContent = JSON.stringify(variable.value);
    }
  }
}

async function runAll() {
  const run = ++runs;
  const page = parsed(pageEditor, 'the page');
  const config = parsed(configEditor, 'the config');
  const problem = page.error || config.error;
  $('status').textContent = 'running…';
  lastRun = null;
  if (problem) {
    $('error').textContent = problem;
    $('status').textContent = '';
    return;
  }
  const name = $('name').value;
  if (name && !slot(config.value, name)) {
    $('error').textContent = `the config has no handler ${JSON.stringify(name)} any more: choose another, or "a snippet alone"`;
    $('status').textContent = '';
    return;
  }
  const withHandler = configWithHandler(config.value);
  const question = {
    handler: text(handlerEditor),
    scope: $('scope').value,
    event: $('event').value,
    page: page.value,
    override: name ? '' : $('override').value.trim(),
  };
  if (name) Object.assign(question, { config: withHandler, name });
  const started = performance.now();
  const [evaluated, result, calls] = await Promise.allSettled([
    post('/v1/eval', question),
    post('/v1/run', { config: withHandler, page: page.value }),
    post('/v1/run?format=js', { config: withHandler, page: page.value }),
  ]);
  if (run !== runs) return;
  if (evaluated.status === 'fulfilled') {
    showEval(evaluated.value);
  } else {
    showEval({ value: null, undefined: false, logs: [], droppedLogs: 0, cost: { micros: 0, memoryBytes: 0 }, target: '—', error: { kind: 'input', message: evaluated.reason.message } });
  }
  lastRun = result.status === 'fulfilled' ? { config: withHandler, page: page.value, result: result.value } : null;
  if (lastRun) showRun(lastRun.result);
  $('calls').textContent = calls.status === 'fulfilled' ? calls.value : calls.reason.message;
  $('status').textContent = `ran in ${Math.round(performance.now() - started)} ms`;
  // How many runs have finished, for whoever waits on one (the tests).
  document.body.dataset.runs = String(run);
  await saveState();
}

let timer = null;
function changed() {
  // What was run is no longer what the editors hold.
  lastRun = null;
  clearTimeout(timer);
  timer = setTimeout(() => {
    const page = parsed(pageEditor, 'the page');
    if (page.value) fillEvents(page.value);
    saveState();
  }, 300);
}

// The case as a test file that `handlebox test` passes: the calls of the
// last run and the value of every variable on the page's own events (not
// on events the pipeline added, which share their parent's index; for a
// variable set twice on an event, the first value, as the test reads it).
function testFile() {
  const { config, page, result } = lastRun;
  const variables = [];
  const seen = new Set();
  for (const event of result.events) {
    if (event.index == null || event.source != null) continue;
    for (const variable of event.variables || []) {
      const key = JSON.stringify([event.index, variable.prop, variable.product || null]);
      if (seen.has(key)) continue;
      seen.add(key);
      const expected = { event: event.index, prop: variable.prop, value: variable.value };
      if (variable.product) expected.product = variable.product;
      variables.push(expected);
    }
  }
  const name = $('name').value || 'snippet';
  const expect = { calls: result.calls };
  if (variables.length) expect.variables = variables;
  return {
    config,
    cases: [{ name: `${name} on ${$('fixture').value || 'the page'}`, page, expect }],
  };
}

async function saveTest() {
  // The test records what the editors hold now.
  if (!lastRun) await runAll();
  if (!lastRun) {
    $('error').textContent = 'the page could not be run, so there is nothing to record';
    return;
  }
  const blob = new Blob([JSON.stringify(testFile(), null, 2) + '\n'], { type: 'application/json' });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = `${($('name').value || 'snippet').replace(/[^\w.-]+/g, '-')}.test.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

// The fragment holds the case, deflated and base64url-encoded.
async function encode(state) {
  const stream = new Blob([JSON.stringify(state)]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function decode(fragment) {
  const binary = atob(fragment.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  return JSON.parse(await new Response(stream).text());
}

async function saveState() {
  const state = {
    name: $('name').value,
    handler: text(handlerEditor),
    scope: $('scope').value,
    event: $('event').value,
    override: $('override').value,
    fixture: $('fixture').value,
    page: text(pageEditor),
    config: text(configEditor),
  };
  saving = encode(state).then((fragment) => window.history.replaceState(null, '', `#${fragment}`));
  await saving;
}

function handlerText(name) {
  const config = parsed(configEditor, 'the config');
  const place = config.value && name && slot(config.value, name);
  return place && typeof place.holder[place.key] === 'string' ? place.holder[place.key] : '';
}

async function start() {
  const response = await fetch('/v1/project');
  project = await response.json();
  $('project').textContent = project.name;
  const names = $('name');
  for (const name of project.handlers) names.add(new Option(name, name));
  names.add(new Option('a snippet alone', ''));
  for (const fixture of project.fixtures) $('fixture').add(new Option(fixture.name, fixture.name));
  let state = null;
  if (location.hash.length > 1) {
    try {
      state = await decode(location.hash.slice(1));
    } catch (error) {
      $('error').textContent = `the link's case cannot be read (${error.message}); starting on the demo`;
    }
  }
  const strings = ['name', 'handler', 'scope', 'event', 'override', 'fixture', 'page', 'config'];
  if (state && !strings.every((key) => typeof state[key] === 'string')) {
    $('error').textContent = "the link's case is incomplete; starting on the demo";
    state = null;
  }
  if (state) {
    setText(configEditor, state.config);
    setText(pageEditor, state.page);
    names.value = state.name;
    $('fixture').value = state.fixture;
    $('scope').value = state.scope;
    $('override').value = state.override;
    setText(handlerEditor, state.handler);
    const page = parsed(pageEditor, 'the page');
    if (page.value) fillEvents(page.value);
    $('event').value = state.event;
  } else {
    setText(configEditor, JSON.stringify(project.config, null, 2));
    setText(pageEditor, JSON.stringify(project.fixtures[0].page, null, 2));
    fillEvents(project.fixtures[0].page);
    setText(handlerEditor, handlerText(names.value));
  }
  names.addEventListener('change', () => {
    if (names.value) setText(handlerEditor, handlerText(names.value));
  });
  $('fixture').addEventListener('change', () => {
    const fixture = project.fixtures.find((f) => f.name === $('fixture').value);
    if (fixture) {
      setText(pageEditor, JSON.stringify(fixture.page, null, 2));
      fillEvents(fixture.page);
    }
    runAll();
  });
  for (const id of ['scope', 'event']) $(id).addEventListener('change', runAll);
  $('run').addEventListener('click', runAll);
  $('save-test').addEventListener('click', saveTest);
  $('link').addEventListener('click', async () => {
    await saving;
    await navigator.clipboard.writeText(location.href).catch(() => {});
    $('status').textContent = 'link copied';
  });
  await runAll();
  document.body.dataset.ready = 'true';
}

start().catch((error) => {
  $('error').textContent = `the playground could not start: ${error.message}`;
});
