// One session of the pyasm extension in a real VS Code, as a user would have
// it: code-server on 127.0.0.1, driven in Chromium by puppeteer-core. run.sh
// installs both and starts this with Node 24:
//
//   node drive.js --pyasm BIN --vsix VSIX --python PYTHON3.11 --examples DIR --out DIR
//
// It starts from a fresh user-data folder, extensions folder and workspace
// (an old user-data folder brings back old unsaved text). Each step prints
// `ok: ...` or ends the run with `FAILED: <step>: <why>`, leaving a
// screenshot of that moment in --out. code-server and Chromium are stopped
// whatever happens.
'use strict';

const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');

const puppeteer = require(path.join(process.env.E2E_MODULES, 'puppeteer-core'));
const CODE_SERVER = path.join(process.env.E2E_MODULES, 'code-server', 'out', 'node', 'entry.js');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}
for (const k of ['pyasm', 'vsix', 'python', 'examples', 'out']) {
  if (!args[k]) {
    throw new Error(`drive.js: --${k} is missing`);
  }
}

/** Generous: only a hang reaches these. */
const WAIT = 60_000;
const WHOLE_RUN = 10 * 60_000;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pyasm-vscode-e2e-'));
const userData = path.join(tmp, 'user-data');
const workspace = path.join(tmp, 'workspace');
let server; // the code-server process
let browser;
let page;

function sh(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', ...opts });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
  }
  return r.stdout;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function get(url) {
  return new Promise((resolve) => {
    http
      .get(url, (res) => {
        res.resume();
        resolve(res.statusCode);
      })
      .on('error', () => resolve(undefined));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let current = 'setting up';
async function step(name, f) {
  current = name;
  const t = Date.now();
  const detail = await f();
  console.log(`ok: ${name}${detail ? `: ${detail}` : ''} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
}

function check(ok, why) {
  if (!ok) {
    throw new Error(why);
  }
}

/** Waits for `f(...fargs)`, run in the page, to return something truthy, and
 *  returns it; `what` says what was awaited when it never comes. */
async function until(what, f, ...fargs) {
  return within(WAIT, what, f, ...fargs);
}

/** `until`, waiting at most `ms`. */
async function within(ms, what, f, ...fargs) {
  try {
    const h = await page.waitForFunction(f, { timeout: ms, polling: 250 }, ...fargs);
    return await h.jsonValue();
  } catch (e) {
    throw new Error(`waited ${ms / 1000} s for ${what} (${e.message.split('\n')[0]})`);
  }
}

// ---- in the page ----------------------------------------------------------

/** Helpers the page code of the steps uses, defined in every page load. */
function installHelpers() {
  /** Every element matching `sel`, inside shadow roots too (VS Code's menus
   *  live in one). */
  window.__all = (sel, root = document) => {
    const out = [...root.querySelectorAll(sel)];
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) {
        out.push(...window.__all(sel, el.shadowRoot));
      }
    }
    return out;
  };
  window.__visible = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  };
  /** Marks `el` (if any) as the one element named `name`, for a selector
   *  `[data-e2e=name]` outside the page; VS Code reuses list rows, so an
   *  old mark goes. */
  window.__mark = (el, name) => {
    for (const old of window.__all(`[data-e2e=${name}]`)) {
      old.removeAttribute('data-e2e');
    }
    el?.setAttribute('data-e2e', name);
  };
  window.__text = (el) => (el.textContent || '').replace(/\u00a0/g, ' ');
  /** The lines the active editor shows, top to bottom. */
  window.__lines = () => {
    const ed = document.querySelector('.editor-group-container.active .monaco-editor .view-lines');
    if (!ed) {
      return [];
    }
    return [...ed.querySelectorAll('.view-line')]
      .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
      .map(window.__text);
  };
  /** The span of the active editor showing exactly `text` (on a line that
   *  matches `line`, if given). */
  window.__token = (text, line) => {
    const ed = document.querySelector('.editor-group-container.active .monaco-editor .view-lines');
    for (const l of ed ? ed.querySelectorAll('.view-line') : []) {
      if (line && !new RegExp(line).test(window.__text(l))) {
        continue;
      }
      for (const s of l.querySelectorAll('span > span')) {
        if (window.__text(s) === text) {
          return s;
        }
      }
    }
    return null;
  };
}

async function center(handle, what) {
  const box = handle && (await handle.boundingBox());
  check(box, `${what} is not on the screen`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** The explorer's row for the file `name`, checked to be there. */
async function explorerRow(name) {
  for (const r of await page.$$('.explorer-folders-view .monaco-list-row')) {
    if ((await r.evaluate((e) => e.querySelector('.label-name')?.textContent)) === name) {
      return r;
    }
  }
  return check(false, `${name} is not in the explorer`);
}

async function token(text, line) {
  return (await page.evaluateHandle((t, l) => window.__token(t, l), text, line)).asElement();
}

/** Runs command `id` from the command palette (F1), found by typing `title`. */
async function runCommand(id, title) {
  // The palette closes when it loses the focus, which a view still taking
  // it can do: then it is opened again.
  const typed = () =>
    page.evaluate(() => {
      const input = document.querySelector('.quick-input-widget input');
      return input && document.activeElement === input && window.__visible(input) ? input.value : null;
    });
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    for (let t = Date.now(); (await typed()) === null && Date.now() - t < 5000; ) {
      await sleep(100);
    }
    if ((await typed()) !== null) {
      await page.keyboard.type(title);
      if ((await typed()) === `>${title}`) {
        break;
      }
    }
    check(attempt < 5, `the command palette does not keep the focus to type "${title}"`);
    await page.keyboard.press('Escape');
  }
  await until(
    `"${title}" (${id}) in the palette`,
    (c) => {
      const entry = document.querySelector(`.quick-input-list .monaco-list-row [data-quick-input-id="${c}"]`);
      window.__mark(entry, 'command');
      return !!entry;
    },
    id,
  );
  await (await page.$('[data-e2e=command]')).click();
}

async function clickTab(title) {
  const tab = await until(`tab ${title}`, (t) => {
    const el = [...document.querySelectorAll('.tabs-container .tab')].find((x) => x.getAttribute('aria-label') === t);
    if (el) {
      window.__mark(el, 'tab');
    }
    return !!el;
  }, title);
  check(tab, title);
  const el = await page.$('.tabs-container .tab[data-e2e=tab]');
  await page.evaluate((e) => e.removeAttribute('data-e2e'), el);
  await el.click();
  await until(`the focus in ${title}`, () =>
    document.activeElement?.closest('.editor-group-container.active .monaco-editor'),
  );
}

/** The colour of a label (its name where it is defined, on a line of the
 *  active editor on the screen), and whether it is a shade of grey, as the
 *  text around it is: a label must be coloured. */
async function labelColour() {
  const span = await token(
    await page.evaluate(() => window.__lines().map((l) => /^\s*([A-Za-z_]\w*):/.exec(l)).find(Boolean)?.[1]),
    '^\\s*[A-Za-z_]\\w*:',
  );
  check(span, 'no label on the screen');
  const [label, colour, text] = await page.evaluate(
    (s) => [
      window.__text(s),
      getComputedStyle(s).color,
      getComputedStyle(document.querySelector('.editor-group-container.active .monaco-editor .view-lines')).color,
    ],
    span,
  );
  const rgb = colour.match(/\d+/g).slice(0, 3).map(Number);
  const grey = Math.max(...rgb) - Math.min(...rgb) < 32;
  return { label, colour, text, grey };
}

// ---- the session ----------------------------------------------------------

async function session() {
  const examples = args.examples;
  fs.rmSync(path.join(args.out, 'failure.png'), { force: true });
  const expected = path.join(tmp, 'expected');
  fs.mkdirSync(expected);
  fs.mkdirSync(workspace);

  // What loop.pyasm prints, built by the pyasm command line.
  sh(args.pyasm, ['build', path.join(examples, 'loop.pyasm'), '-o', path.join(expected, 'loop.pyc')]);
  const loopOutput = sh(args.python, [path.join(expected, 'loop.pyc')]);
  check(loopOutput.trim() !== '', 'loop.pyasm prints nothing');

  // The workspace: loop.pyasm with its last jump's label misspelt (a
  // diagnostic with a quick fix), and a .pyc to disassemble.
  const source = fs.readFileSync(path.join(examples, 'loop.pyasm'), 'utf8');
  const broken = source.replace(/JUMP_BACKWARD top\b/, 'JUMP_BACKWARD tpo');
  check(broken !== source, 'examples/3.11/loop.pyasm has no `JUMP_BACKWARD top` any more');
  fs.writeFileSync(path.join(workspace, 'loop.pyasm'), broken);
  sh(args.pyasm, ['build', path.join(examples, 'closure.pyasm'), '-o', path.join(workspace, 'closure.pyc')]);

  // Settings: the server path starts wrong, in the Remote settings
  // (Machine/settings.json): code-server is a remote window, where the
  // extension host runs on the server and a machine-overridable setting in
  // the User settings does not apply. The test then sets it through the
  // extension's "Set pyasm.server.path" button.
  const missing = path.join(tmp, 'not-installed', 'pyasm');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.mkdirSync(path.join(userData, 'Machine'), { recursive: true });
  fs.writeFileSync(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify(
      {
        'files.autoSave': 'off',
        'workbench.colorTheme': 'Dark Modern',
        'workbench.startupEditor': 'none',
        'workbench.editor.enablePreview': false,
        'workbench.tips.enabled': false,
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
        'editor.minimap.enabled': false,
        'extensions.ignoreRecommendations': true,
        'telemetry.telemetryLevel': 'off',
        'chat.disableAIFeatures': true,
      },
      null,
      2,
    ),
  );
  fs.writeFileSync(
    path.join(userData, 'Machine', 'settings.json'),
    JSON.stringify({ 'pyasm.server.path': missing }, null, 2),
  );

  const extensions = path.join(tmp, 'extensions');
  const serverArgs = [
    CODE_SERVER,
    '--user-data-dir', userData,
    '--extensions-dir', extensions,
    '--config', path.join(tmp, 'code-server.yaml'),
  ];
  await step('code-server --install-extension', () => {
    const o = sh(process.execPath, [...serverArgs, '--install-extension', args.vsix]);
    check(fs.readdirSync(extensions).some((d) => d.startsWith('pyasm.pyasm-')), `not installed:\n${o}`);
  });

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  await step('code-server starts', async () => {
    const log = fs.openSync(path.join(tmp, 'code-server.log'), 'w');
    server = spawn(
      process.execPath,
      [
        ...serverArgs,
        '--bind-addr', `127.0.0.1:${port}`,
        '--auth', 'none',
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--ignore-last-opened',
        workspace,
      ],
      { stdio: ['ignore', log, log], detached: true },
    );
    for (let t = Date.now(); Date.now() - t < WAIT; await sleep(250)) {
      check(server.exitCode === null, `code-server exited:\n${fs.readFileSync(path.join(tmp, 'code-server.log'), 'utf8')}`);
      if ((await get(`${base}/healthz`)) === 200) {
        return base;
      }
    }
    throw new Error('code-server did not answer');
  });

  await step('Chromium opens the workspace', async () => {
    browser = await puppeteer.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      userDataDir: path.join(tmp, 'chromium'),
      defaultViewport: { width: 1200, height: 760 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
      ],
    });
    page = await browser.newPage();
    await page.evaluateOnNewDocument(installHelpers);
    await page.goto(`${base}/?folder=${encodeURIComponent(workspace)}`, { timeout: WAIT });
    await until('explorer with loop.pyasm', () =>
      [...document.querySelectorAll('.explorer-folders-view .label-name')].some((e) => e.textContent === 'loop.pyasm'),
    );
  });

  await step('open loop.pyasm from the explorer', async () => {
    await (await explorerRow('loop.pyasm')).click();
    await until('loop.pyasm in the editor', () => window.__lines().some((l) => l.includes('FOR_ITER')));
  });

  await step('no pyasm at pyasm.server.path: the extension says so', async () => {
    return until(
      'message about the missing server',
      (m) => {
        const toast = [...document.querySelectorAll('.notification-toast')].find((t) =>
          window.__text(t).includes(m),
        );
        return toast && window.__text(toast.querySelector('.notification-list-item-message'));
      },
      `not found at ${missing}`,
    );
  });

  await step('"Set pyasm.server.path" shows the setting, and setting it starts the server', async () => {
    // Once the toast has slid in, its buttons stay where they are.
    await until('the toast in place', () => document.querySelector('.notification-toast.notification-fade-in-done'));
    const buttons = await page.$$('.notification-toast .monaco-button');
    let button;
    for (const b of buttons) {
      if ((await b.evaluate((e) => e.textContent)) === 'Set pyasm.server.path') {
        button = b;
      }
    }
    check(button, 'no "Set pyasm.server.path" button');
    await button.click();
    const tab = await until('the settings editor showing pyasm.server.path', () => {
      const ed = document.querySelector('.settings-editor');
      if (!ed) {
        return false;
      }
      const row = [...ed.querySelectorAll('.setting-item-contents')].find((r) =>
        window.__text(r).includes('that runs the language server'),
      );
      if (!row) {
        return false;
      }
      window.__mark(row.querySelector('input'), 'server-path');
      const checked = ed.querySelector('.settings-tabs-widget .checked');
      return checked ? window.__text(checked).trim() : '?';
    });
    // The settings list can redraw the row as it takes the focus: the
    // value is typed once the input has the focus, and again if it is not
    // all there.
    const focused = () =>
      page.evaluate(() => {
        const a = document.activeElement;
        return a?.matches('.settings-editor input') && window.__text(a.closest('.setting-item-contents')).includes('that runs the language server')
          ? a.value
          : null;
      });
    for (let attempt = 1; (await focused()) !== args.pyasm; attempt++) {
      check(attempt <= 5, `the setting's input does not take "${args.pyasm}" (it has "${await focused()}")`);
      const input = await page.$('input[data-e2e=server-path]');
      if (input && (await focused()) === null) {
        await input.click();
      }
      for (let t = Date.now(); (await focused()) === null && Date.now() - t < 5000; ) {
        await sleep(100);
      }
      await page.keyboard.down('Control');
      await page.keyboard.press('KeyA');
      await page.keyboard.up('Control');
      await page.keyboard.type(args.pyasm);
    }
    await page.keyboard.press('Tab');
    const machine = path.join(userData, 'Machine', 'settings.json');
    const written = () => fs.readFileSync(machine, 'utf8').includes(JSON.stringify(args.pyasm));
    for (let t = Date.now(); !written() && Date.now() - t < WAIT; ) {
      await sleep(250);
    }
    check(written(), `the settings editor did not write ${machine}:\n${fs.readFileSync(machine, 'utf8')}`);
    // Closed by the close button of the dialog it is shown in.
    await until('the settings editor\'s close button', () => {
      for (let e = document.querySelector('.settings-editor'); e; e = e.parentElement) {
        const close = e.querySelector('.codicon-close');
        if (close && window.__visible(close)) {
          window.__mark(close, 'close-settings');
          return true;
        }
      }
      return false;
    });
    await (await page.$('[data-e2e=close-settings]')).click();
    await until('the settings editor closed', () => !document.querySelector('.settings-editor'));
    return `on the settings tab "${tab}"`;
  });

  await step('the server underlines the misspelt label', async () => {
    await clickTab('loop.pyasm');
    await until('a squiggle under tpo', () => {
      const t = window.__token('tpo');
      const squiggles = [...document.querySelectorAll('.editor-group-container.active .squiggly-error')];
      if (!t || squiggles.length === 0) {
        return false;
      }
      const a = t.getBoundingClientRect();
      return squiggles.some((q) => {
        const b = q.getBoundingClientRect();
        return b.left <= a.left + 1 && b.right >= a.right - 1 && Math.abs(b.bottom - a.bottom) < a.height;
      });
    });
  });

  await step('labels are coloured in Dark Modern', async () => {
    check(await page.$('.monaco-workbench[class*=dark_modern]'), 'the theme is not Dark Modern');
    const c = await labelColour();
    check(!c.grey, `the label ${c.label} is ${c.colour}, a grey like the text (${c.text})`);
    return `${c.label} is ${c.colour} (text ${c.text})`;
  });

  await step('hover on an opcode shows its documentation', async () => {
    // The last jump: its hover leaves the code above it and the squiggle
    // below it on the screen, for the screenshot.
    // The editor shows a hover when the mouse comes to rest on a word. Text
    // that moves under a resting mouse (inlay hints arriving, a redraw)
    // shows none, and one CI run waited its whole minute for it: so the
    // mouse leaves and comes back to where the token is now, up to six
    // times, and the step says how many it took.
    let text;
    let tries = 0;
    while (!text) {
      tries++;
      await page.mouse.move(5, 5);
      await sleep(300);
      await page.mouse.move(...Object.values(await center(await token('JUMP_BACKWARD'), 'JUMP_BACKWARD')));
      try {
        text = await within(WAIT / 6, 'hover', () => {
          const h = [...document.querySelectorAll('.monaco-hover-content')].find(window.__visible);
          return h && window.__text(h);
        });
      } catch (e) {
        check(tries < 6, `${e.message}, ${tries} times`);
      }
    }
    check(
      /JUMP_BACKWARD/.test(text) && /opcode \d+ in Python 3\.11/.test(text) && /stack effect/.test(text),
      `the hover says: ${text}`,
    );
    await page.screenshot({ path: path.join(args.out, 'vscode.png') });
    return `${tries === 1 ? 'at once' : `on try ${tries}`}: ${text.replace(/\s+/g, ' ').slice(0, 100)}`;
  });

  await step('the Problems panel shows the misspelt label', async () => {
    await runCommand('workbench.panel.markers.view.focus', 'Focus on Problems View');
    return until('the diagnostic in the Problems panel', () => {
      const row = [...document.querySelectorAll('.markers-panel .monaco-list-row')].find((r) =>
        /tpo/.test(window.__text(r)),
      );
      return row && window.__text(row);
    });
  });

  await step('the quick fix corrects the label', async () => {
    // A double click on the problem shows it in the editor, a click there
    // puts the cursor on it.
    await page.mouse.move(5, 5);
    await until('the problem', () => {
      const row = [...document.querySelectorAll('.markers-panel .monaco-list-row')].find((r) => /tpo/.test(window.__text(r)));
      window.__mark(row, 'problem');
      return !!row;
    });
    const at = await center(await page.$('[data-e2e=problem]'), 'the problem');
    await page.mouse.click(at.x, at.y, { clickCount: 2 });
    await until('tpo in the editor', () => window.__token('tpo') && window.__visible(window.__token('tpo')));
    const tpo = await center(await token('tpo'), 'tpo');
    await page.mouse.click(tpo.x, tpo.y);
    await until('the focus in the editor', () =>
      document.activeElement?.closest('.editor-group-container.active .monaco-editor'),
    );
    // Ctrl+. asks for the fixes at the cursor; the light bulb says the
    // editor has them.
    await until('the light bulb', () => [...document.querySelectorAll('.lightBulbWidget')].some(window.__visible));
    const fix = () =>
      page.evaluate(() => {
        const item = window.__all('.action-widget .monaco-list-row').find((r) => window.__text(r).includes('Replace with `top`'));
        window.__mark(item, 'fix');
        return !!item;
      });
    for (let attempt = 1; !(await fix()); attempt++) {
      check(attempt <= 5, 'Ctrl+. shows no "Replace with `top`"');
      await page.keyboard.down('Control');
      await page.keyboard.press('Period');
      await page.keyboard.up('Control');
      for (let t = Date.now(); !(await fix()) && Date.now() - t < 5000; ) {
        await sleep(100);
      }
    }
    const item = await page.$('pierce/[data-e2e=fix]');
    await item.click();
    await until('the fixed line', () => window.__lines().some((l) => /JUMP_BACKWARD top\b/.test(l)));
    await until('the diagnostic gone', () =>
      ![...document.querySelectorAll('.markers-panel .monaco-list-row')].some((r) => /tpo/.test(window.__text(r))),
    );
    check(
      await page.evaluate(() => !!document.querySelector('.tabs-container .tab.active.dirty')),
      'loop.pyasm is not shown as modified',
    );
  });

  await step('"pyasm: Build .pyc" builds the unsaved buffer, and the .pyc runs', async () => {
    const pyc = path.join(workspace, 'loop.pyc');
    await runCommand('pyasm.buildPyc', 'pyasm: Build .pyc');
    for (let t = Date.now(); !fs.existsSync(pyc) && Date.now() - t < WAIT; ) {
      await sleep(250);
    }
    check(fs.existsSync(pyc), `no ${pyc}`);
    check(fs.readFileSync(path.join(workspace, 'loop.pyasm'), 'utf8') === broken, 'loop.pyasm was saved');
    const out = sh(args.python, [pyc]);
    check(out === loopOutput, `python3.11 loop.pyc printed ${JSON.stringify(out)}, not ${JSON.stringify(loopOutput)}`);
    return `python3.11 printed ${JSON.stringify(out.slice(0, 30))}...`;
  });

  await step('"Disassemble .pyc" from the explorer opens closure.pyasm, and Save writes it there', async () => {
    const target = await explorerRow('closure.pyc');
    const at = await center(target, 'closure.pyc');
    await page.mouse.click(at.x, at.y, { button: 'right' });
    await until('"Disassemble .pyc" in the context menu', () => {
      const item = window.__all('.monaco-menu .action-item').find((a) => window.__text(a).trim().startsWith('Disassemble .pyc'));
      window.__mark(item?.querySelector('.action-label'), 'dis');
      return !!item;
    });
    // A menu item takes a click once the pointer has come over it.
    const item = await center(await page.$('pierce/[data-e2e=dis]'), '"Disassemble .pyc"');
    await page.mouse.move(item.x - 20, item.y);
    await page.mouse.move(item.x, item.y, { steps: 5 });
    await until('"Disassemble .pyc" under the pointer', () =>
      window.__all('.monaco-menu .action-item.focused').some((a) => window.__text(a).includes('Disassemble .pyc')),
    );
    await page.mouse.click(item.x, item.y);
    const title = await until('the disassembly tab', () => {
      const t = document.querySelector('.editor-group-container.active .tabs-container .tab.active');
      return t && window.__lines().some((l) => l.startsWith('.code ')) && t.getAttribute('aria-label');
    });
    check(title === 'closure.pyasm', `the disassembly's tab is titled ${title}`);
    const lines = await page.evaluate(() => window.__lines());
    check(lines[0] === '.python 3.11', `it starts ${lines[0]}`);
    // (The stack depths, inlay hints, may stand before an instruction.)
    check(lines.some((l) => /\bMAKE_FUNCTION\b/.test(l)), `no MAKE_FUNCTION in:\n${lines.join('\n')}`);
    // Save writes it beside the .pyc, under that name, without asking.
    const saved = path.join(workspace, 'closure.pyasm');
    await page.keyboard.down('Control');
    await page.keyboard.press('KeyS');
    await page.keyboard.up('Control');
    // It is what `pyasm dis` prints; the file can be there before all of it is.
    const dis = sh(args.pyasm, ['dis', path.join(workspace, 'closure.pyc')]);
    const text = () => (fs.existsSync(saved) ? fs.readFileSync(saved, 'utf8') : null);
    for (let t = Date.now(); text() !== dis && Date.now() - t < WAIT; ) {
      await sleep(250);
    }
    check(text() !== null, `Save did not write ${saved}`);
    check(text() === dis, `${saved} is not what pyasm dis prints:\n${text()}`);
    return `tab ${title}, ${lines.length} lines shown, saved as closure.pyasm`;
  });

  await step('labels are coloured in Light Modern', async () => {
    await runCommand('workbench.action.selectTheme', 'Preferences: Color Theme');
    await until('the theme picker', () => document.activeElement?.matches('.quick-input-widget input'));
    await page.keyboard.type('Light Modern');
    await until('Light Modern in the picker', () =>
      document.querySelector('.quick-input-list .monaco-list-row.focused')?.getAttribute('aria-label')?.startsWith('Light Modern'),
    );
    await page.keyboard.press('Enter');
    await until('the theme Light Modern', () => document.querySelector('.monaco-workbench[class*=light_modern]'));
    await clickTab('loop.pyasm');
    await until('loop.pyasm in the editor', () => window.__lines().some((l) => l.includes('FOR_ITER')));
    const c = await labelColour();
    check(!c.grey, `the label ${c.label} is ${c.colour}, a grey like the text (${c.text})`);
    return `${c.label} is ${c.colour} (text ${c.text})`;
  });

  await step('reloading the window stops the client before its output channel', async () => {
    // VS Code disposes an extension's subscriptions without waiting for its
    // deactivate(); a client still stopping then wrote to a closed channel.
    const logs = fs.readdirSync(path.join(userData, 'logs')).map((d) => path.join(userData, 'logs', d));
    const hostLogs = (n) => logs.map((d) => path.join(d, `exthost${n}`)).filter((d) => fs.existsSync(d));
    const started = () =>
      hostLogs(2).some((d) =>
        fs.readdirSync(d).some(
          (o) =>
            o.startsWith('output_logging_') &&
            fs.readdirSync(path.join(d, o)).some((f) => f.endsWith('pyasm.log') && /starting /.test(fs.readFileSync(path.join(d, o, f), 'utf8'))),
        ),
      );
    await runCommand('workbench.action.reloadWindow', 'Developer: Reload Window');
    for (let t = Date.now(); !started() && Date.now() - t < WAIT; ) {
      await sleep(250);
    }
    check(started(), 'the reloaded window did not start the server again');
    // Only this extension's writes count: VS Code's own JSON extension (its
    // server runs for settings.json) has the same race, and logs it from
    // its own folder. A log entry starts with its time; the stack below it
    // says whose code wrote.
    const ours = /[\\/]extensions[\\/]pyasm\.pyasm-|\[pyasm\.pyasm\]/;
    const closed = [];
    for (const d of hostLogs(1)) {
      for (const f of fs.readdirSync(d, { recursive: true })) {
        const file = path.join(d, f);
        if (!fs.statSync(file).isFile()) {
          continue;
        }
        const entries = fs.readFileSync(file, 'utf8').split(/\n(?=\d{4}-\d\d-\d\d )/);
        for (const entry of entries) {
          if (/Channel has been closed/.test(entry) && ours.test(entry)) {
            closed.push(`${file}:\n${entry}`);
          }
        }
      }
    }
    check(closed.length === 0, `"Channel has been closed" in ${closed.join(', ')}`);
  });
}

async function cleanUp() {
  if (browser) {
    await browser.close().catch(() => undefined);
    const p = browser.process();
    if (p && p.exitCode === null) {
      p.kill('SIGKILL');
    }
  }
  if (server && server.exitCode === null) {
    try {
      process.kill(-server.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (!process.env.KEEP) {
    fs.rmSync(tmp, { recursive: true, force: true });
  } else {
    console.log(`kept ${tmp}`);
  }
}

(async () => {
  const timer = setTimeout(() => {
    console.log(`FAILED: ${current}: the whole run took over ${WHOLE_RUN / 60000} minutes`);
    cleanUp().finally(() => process.exit(1));
  }, WHOLE_RUN);
  let failed = false;
  try {
    await session();
  } catch (e) {
    failed = true;
    console.log(`FAILED: ${current}: ${e && e.message ? e.message : e}`);
    if (page) {
      await page.screenshot({ path: path.join(args.out, 'failure.png') }).catch(() => undefined);
      console.log(`(the screen at that moment: ${path.join(args.out, 'failure.png')})`);
    }
    const log = path.join(tmp, 'code-server.log');
    if (page && process.env.E2E_DEBUG) {
      for (const sel of process.env.E2E_DEBUG.split(';')) {
        const html = await page.evaluate((s) => window.__all(s).map((e) => e.outerHTML.slice(0, 3000)), sel).catch(String);
        console.log(`${sel}:`, html);
      }
    }
    if (fs.existsSync(log)) {
      console.log(`code-server's log ends:\n${fs.readFileSync(log, 'utf8').split('\n').slice(-20).join('\n')}`);
    }
  }
  clearTimeout(timer);
  await cleanUp();
  process.exit(failed ? 1 : 0);
})();
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => cleanUp().finally(() => process.exit(1)));
}
