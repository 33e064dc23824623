-- End-to-end test of editors/nvim in a real Neovim, run by tests/nvim.rs as
--   nvim --headless --clean -u tests/nvim/e2e.lua
-- with PYASM_BIN (the server), PYASM_PLUGIN (editors/nvim), PYASM_WORK (a
-- folder holding hello.pyasm and broken.pyasm), PYASM_TS_PARSER (the
-- grammar compiled for this Neovim's tree-sitter) and PYASM_RESULT (where
-- the verdict goes) in the environment.
--
-- Opens the files through the plugin's filetype detection and ftplugin,
-- checks that the plugin's copies of the tree-sitter queries load and
-- capture what they should, waits for the server's diagnostics, asks for
-- hover (the request and the
-- floating window), runs :PyasmBuild on a good file, on a broken one, and on
-- the broken one once fixed in the buffer (unsaved). Running the .pyc files
-- is left to tests/nvim.rs.

local env = vim.env
local work = assert(env.PYASM_WORK, 'PYASM_WORK is not set')
local result_file = assert(env.PYASM_RESULT, 'PYASM_RESULT is not set')
vim.opt.runtimepath:prepend(assert(env.PYASM_PLUGIN, 'PYASM_PLUGIN is not set'))
vim.opt.swapfile = false
vim.opt.shortmess:append('F')
vim.lsp.set_log_level('info')

require('pyasm').setup({
  cmd = { assert(env.PYASM_BIN, 'PYASM_BIN is not set'), 'lsp' },
  -- Reaches the server as initializationOptions: checked below through the
  -- severity of an unknown-global warning.
  settings = { severities = { ['unknown-global'] = 'hint' } },
})

local lines = {}
local function log(fmt, ...)
  local line = select('#', ...) > 0 and fmt:format(...) or fmt
  table.insert(lines, line)
end

-- Everything the server publishes, and every message shown.
local published = {} -- uri -> { version = n, diagnostics = {...} }
local orig_publish = vim.lsp.handlers['textDocument/publishDiagnostics']
vim.lsp.handlers['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
  if result then
    published[result.uri] = { version = result.version, diagnostics = result.diagnostics }
  end
  return orig_publish(err, result, ctx, config)
end
local shown = {}
vim.lsp.handlers['window/showMessage'] = function(_, result)
  table.insert(shown, result.message)
  return result
end
local notified = {}
vim.notify = function(msg, level)
  table.insert(notified, { msg = msg, level = level })
  log('notify [%s] %s', tostring(level), msg)
end

local function check(cond, fmt, ...)
  if not cond then
    error(select('#', ...) > 0 and fmt:format(...) or fmt, 2)
  end
end

local function wait(what, ms, cond)
  local ok = vim.wait(ms, cond, 20)
  check(ok, 'timed out after %d ms waiting for %s', ms, what)
end

local function open(name)
  vim.cmd('edit ' .. vim.fn.fnameescape(work .. '/' .. name))
  local buf = vim.api.nvim_get_current_buf()
  check(vim.bo[buf].filetype == 'pyasm', '%s: filetype is %q, not pyasm', name, vim.bo[buf].filetype)
  check(vim.bo[buf].commentstring == '# %s', '%s: commentstring is %q', name, vim.bo[buf].commentstring)
  wait(name .. ': the pyasm client to attach and initialize', 15000, function()
    local c = require('pyasm').client(buf)
    return c ~= nil and c.initialized
  end)
  return buf
end

-- The diagnostics published for the buffer's current text.
local function diagnostics_now(name, buf)
  local uri = vim.uri_from_bufnr(buf)
  wait(name .. ': diagnostics for the current version', 15000, function()
    local p = published[uri]
    return p ~= nil and (p.version == nil or p.version == vim.lsp.util.buf_versions[buf])
  end)
  return published[uri].diagnostics
end

local function hover_text(result)
  local c = result and result.contents
  if type(c) == 'string' then
    return c
  elseif c and c.value then
    return c.value
  elseif type(c) == 'table' then
    local parts = {}
    for _, item in ipairs(c) do
      table.insert(parts, type(item) == 'string' and item or item.value)
    end
    return table.concat(parts, '\n')
  end
  return ''
end

local function floating_windows()
  local wins = {}
  for _, w in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(w).relative ~= '' then
      table.insert(wins, w)
    end
  end
  return wins
end

local function last_notification()
  return notified[#notified]
end

local function build(name, buf)
  local before = #notified
  vim.api.nvim_set_current_buf(buf)
  vim.cmd('PyasmBuild')
  wait(name .. ': :PyasmBuild to report', 15000, function()
    return #notified > before
  end)
  return last_notification()
end

-- The plugin's highlights and folds queries, run over a buffer with the
-- grammar: every query compiles in this Neovim, and highlights captures the
-- main kinds of node.
local function check_treesitter(buf)
  local so = assert(env.PYASM_TS_PARSER, 'PYASM_TS_PARSER is not set')
  local ts = vim.treesitter
  if ts.language.add then
    ts.language.add('pyasm', { path = so })
  else
    ts.require_language('pyasm', so)
  end
  local get_query = (ts.query and ts.query.get) or ts.get_query
  local tree = ts.get_parser(buf, 'pyasm'):parse()[1]
  check(not tree:root():has_error(), 'the grammar finds a syntax error in hello.pyasm')
  local captured = {}
  for _, name in ipairs({ 'highlights', 'folds' }) do
    local query = get_query('pyasm', name)
    check(query, 'no %s query for pyasm on the runtimepath', name)
    local files = (ts.query.get_files or ts.query.get_query_files)('pyasm', name)
    check(#files == 1 and files[1]:find(env.PYASM_PLUGIN, 1, true) == 1,
      '%s: expected the plugin\'s query file, found %s', name, vim.inspect(files))
    for id, node in query:iter_captures(tree:root(), buf, 0, -1) do
      local text = (ts.get_node_text or ts.query.get_node_text)(node, buf)
      local key = name .. ':' .. query.captures[id]
      captured[key] = captured[key] or {}
      captured[key][text] = true
    end
  end
  local want = {
    ['highlights:keyword.directive'] = { '.python', '.code', '.filename' },
    ['highlights:keyword'] = { 'RESUME', 'LOAD_CONST', 'RETURN_VALUE' },
    ['highlights:function'] = { 'module' },
    ['highlights:string'] = { "'Hello, world!'", "'hello.py'" },
    ['highlights:variable'] = { 'print' },
    ['highlights:constant.builtin'] = { 'None' },
    ['highlights:number'] = { '0', '3.11' },
    ['highlights:comment'] = { '# Hello, world: the smallest useful module.' },
    ['highlights:variable.parameter'] = { '1' },
  }
  for key, texts in pairs(want) do
    for _, text in ipairs(texts) do
      check(captured[key] and captured[key][text], '%s does not capture %q; captured: %s', key, text,
        vim.inspect(captured))
    end
  end
  check(not (captured['highlights:variable'] or {})['None'], 'None is captured as a variable too')
  log('tree-sitter captures: %s', vim.inspect(vim.tbl_keys(captured)))
end

local function test()
  log('nvim %s', tostring(vim.version and vim.version().major .. '.' .. vim.version().minor .. '.' .. vim.version().patch))

  -- A correct file: no diagnostics at all.
  local hello = open('hello.pyasm')
  check_treesitter(hello)
  local client = require('pyasm').client(hello)
  check(client.config.cmd[1] == env.PYASM_BIN, 'the client runs %q, not PYASM_BIN', client.config.cmd[1])
  local ds = diagnostics_now('hello.pyasm', hello)
  check(#ds == 0, 'hello.pyasm: expected no diagnostics, got %s', vim.inspect(ds))

  -- Hover on the constant operand of LOAD_CONST (line 10), then on the opcode.
  local row = vim.fn.search([[LOAD_CONST 'Hello]], 'n')
  check(row == 10, "hello.pyasm: LOAD_CONST 'Hello... found on line %d", row)
  vim.api.nvim_win_set_cursor(0, { row, 19 })
  local params = vim.lsp.util.make_position_params()
  local replies = vim.lsp.buf_request_sync(hello, 'textDocument/hover', params, 10000)
  check(replies and replies[client.id], 'no hover reply: %s', vim.inspect(replies))
  check(replies[client.id].error == nil, 'hover failed: %s', vim.inspect(replies[client.id].error))
  local text = hover_text(replies[client.id].result)
  log('hover on the operand:\n%s', text)
  check(text:find('co_consts[0]', 1, true), "operand hover does not name co_consts[0]:\n%s", text)
  check(text:find("'Hello, world!'", 1, true), 'operand hover does not show the constant:\n%s', text)

  vim.api.nvim_win_set_cursor(0, { row, 10 })
  vim.lsp.buf.hover()
  wait('the hover window', 10000, function()
    return #floating_windows() > 0
  end)
  local float = floating_windows()[1]
  local shown_text = table.concat(vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(float), 0, -1, false), '\n')
  log('hover window on the opcode:\n%s', shown_text)
  check(shown_text:find('LOAD_CONST', 1, true), 'the hover window does not mention LOAD_CONST:\n%s', shown_text)
  check(shown_text:find('depth', 1, true), 'the hover window shows no stack depth:\n%s', shown_text)
  vim.api.nvim_win_close(float, true)

  -- :PyasmBuild writes hello.pyc beside the file, and reports it once.
  local n = build('hello.pyasm', hello)
  local pyc = work .. '/hello.pyc'
  check(n.msg == 'pyasm: built ' .. pyc, 'unexpected report: %s', n.msg)
  check(n.level == vim.log.levels.INFO, 'reported at level %s', tostring(n.level))
  check(vim.fn.filereadable(pyc) == 1, '%s was not written', pyc)
  check(#shown == 0, 'the server message was shown besides the report: %s', vim.inspect(shown))

  -- A broken file: an unknown opcode (an error) and an unknown global (a
  -- warning, turned into a hint by the settings).
  local broken = open('broken.pyasm')
  ds = diagnostics_now('broken.pyasm', broken)
  log('broken.pyasm diagnostics: %s', vim.inspect(ds))
  local by_code = {}
  for _, d in ipairs(ds) do
    by_code[d.code] = d
  end
  local op = by_code['unknown-opcode']
  check(op, 'broken.pyasm: no unknown-opcode diagnostic')
  check(op.range.start.line == 10, 'unknown-opcode on line %d, expected 10 (0-based)', op.range.start.line)
  check(op.severity == vim.lsp.protocol.DiagnosticSeverity.Error, 'unknown-opcode severity %s', tostring(op.severity))
  check(op.message:find('PRECALL', 1, true), 'unknown-opcode does not suggest PRECALL: %s', op.message)
  local global = by_code['unknown-global']
  check(global, 'broken.pyasm: no unknown-global diagnostic')
  check(global.severity == vim.lsp.protocol.DiagnosticSeverity.Hint,
    'unknown-global severity %s: the severities setting did not reach the server', tostring(global.severity))
  -- And Neovim has them (signs, virtual text, :lua vim.diagnostic...).
  local nd = vim.diagnostic.get(broken, { severity = vim.diagnostic.severity.ERROR })
  check(#nd == 1 and nd[1].lnum == 10, 'vim.diagnostic.get: %s', vim.inspect(nd))

  n = build('broken.pyasm', broken)
  check(n.level == vim.log.levels.ERROR, 'broken build reported at level %s: %s', tostring(n.level), n.msg)
  check(n.msg:find('pyasm: not built: ', 1, true) == 1 and n.msg:find('unknown-opcode', 1, true),
    'unexpected report: %s', n.msg)
  check(vim.fn.filereadable(work .. '/broken.pyc') == 0, 'broken.pyc was written')

  -- Fixed in the buffer, not saved: the diagnostics go, and the build uses
  -- the buffer's text.
  vim.api.nvim_buf_set_lines(broken, 10, 11, true, { '        PRECALL 1' })
  local r = vim.fn.search('LOAD_NAME prnt', 'n')
  check(r > 0, 'broken.pyasm: no LOAD_NAME prnt')
  vim.api.nvim_buf_set_lines(broken, r - 1, r, true, { '        LOAD_NAME print' })
  wait('broken.pyasm: the diagnostics to clear after the fix', 15000, function()
    local p = published[vim.uri_from_bufnr(broken)]
    return p and p.version == vim.lsp.util.buf_versions[broken] and #p.diagnostics == 0
  end)
  check(vim.bo[broken].modified, 'broken.pyasm should be unsaved')
  -- Hover reads the edited document too.
  vim.api.nvim_win_set_cursor(0, { 12, 8 })
  local r = vim.lsp.buf_request_sync(broken, 'textDocument/hover', vim.lsp.util.make_position_params(), 10000)
  check(r and r[client.id] and r[client.id].result, 'no hover reply: %s', vim.inspect(r))
  text = hover_text(r[client.id].result)
  check(text:find('CALL', 1, true) and text:find('2 before, 1 after', 1, true),
    'hover on CALL in the fixed broken.pyasm:\n%s', text)
  n = build('broken.pyasm (fixed)', broken)
  check(n.msg == 'pyasm: built ' .. work .. '/broken.pyc', 'unexpected report: %s', n.msg)
  check(#shown == 0, 'server messages shown besides the reports: %s', vim.inspect(shown))
end

local function finish()
  local ok, err = xpcall(test, debug.traceback)
  local verdict = ok and 'OK' or ('FAIL: ' .. tostring(err))
  table.insert(lines, verdict)
  local f = assert(io.open(result_file, 'w'))
  f:write(table.concat(lines, '\n'), '\n')
  f:close()
  if ok then
    vim.cmd('qall!')
  else
    vim.cmd('cquit 1')
  end
end

vim.api.nvim_create_autocmd('VimEnter', {
  once = true,
  callback = function()
    vim.schedule(finish)
  end,
})
