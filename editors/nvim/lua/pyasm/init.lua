-- pyasm for Neovim: starts `pyasm lsp` for pyasm buffers and builds the
-- current file with :PyasmBuild.
--
-- Works on Neovim 0.7 and later: vim.lsp.start where it exists (0.8+),
-- vim.lsp.start_client and vim.lsp.buf_attach_client before that.

local M = {}

local defaults = {
  -- The server's command line.
  cmd = { 'pyasm', 'lsp' },
  -- Server settings (defaultVersion, outputDir, inlayHints, maxDiagnostics,
  -- severities), sent as initializationOptions and as the `pyasm` section
  -- of the workspace configuration.
  settings = {},
  -- Start the server when a pyasm buffer is opened.
  autostart = true,
  -- Neovim 0.8+: start tree-sitter highlighting in pyasm buffers when a
  -- pyasm parser is installed (see README.md; the queries come with the
  -- plugin).
  treesitter = true,
  -- The workspace root is the nearest folder above the file holding one of
  -- these; without one, the file's own folder.
  root_markers = { '.git', 'Cargo.toml' },
  -- Passed on to the client unchanged when set.
  on_attach = nil,
  capabilities = nil,
}

M.config = vim.deepcopy(defaults)

-- Client ids by root folder, for Neovim 0.7 (vim.lsp.start keeps its own).
local clients_by_root = {}

-- Per client id: how many window/showMessage notifications about builds
-- started by :PyasmBuild are still to come. The server announces every
-- build's outcome that way and :PyasmBuild reports it itself, so these are
-- not shown a second time. (Counted, not timed: the notification may come
-- before or after the command's response.)
local build_messages_due = {}

local function has(feature)
  return vim.fn.has(feature) == 1
end

--- Changes the configuration; keys left out keep their default.
function M.setup(opts)
  M.config = vim.tbl_deep_extend('force', vim.deepcopy(defaults), opts or {})
  if opts and opts.cmd then
    M.config.cmd = opts.cmd -- a list replaces, never merges
  end
end

local function root_dir(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  local dir = name ~= '' and vim.fn.fnamemodify(name, ':p:h') or vim.fn.getcwd()
  local cur = dir
  while true do
    for _, marker in ipairs(M.config.root_markers or {}) do
      if (vim.uv or vim.loop).fs_stat(cur .. '/' .. marker) then
        return cur
      end
    end
    local parent = vim.fn.fnamemodify(cur, ':h')
    if parent == cur then
      return dir
    end
    cur = parent
  end
end

local function show_message(err, result, ctx, config)
  local due = build_messages_due[ctx.client_id] or 0
  local message = result and result.message
  if due > 0 and type(message) == 'string'
    and (message:find('pyasm: built ', 1, true) == 1 or message:find('pyasm: not built: ', 1, true) == 1) then
    build_messages_due[ctx.client_id] = due - 1
    return result
  end
  return vim.lsp.handlers['window/showMessage'](err, result, ctx, config)
end

local function client_config(bufnr)
  local cfg = M.config
  -- An empty Lua table would go out as a JSON array.
  local settings = next(cfg.settings or {}) and cfg.settings or vim.empty_dict()
  return {
    name = 'pyasm',
    cmd = cfg.cmd,
    root_dir = root_dir(bufnr),
    init_options = settings,
    settings = { pyasm = settings },
    capabilities = cfg.capabilities,
    on_attach = cfg.on_attach,
    handlers = { ['window/showMessage'] = show_message },
  }
end

--- Starts the server for a buffer (or attaches the running one of its
--- root folder). Returns the client id.
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local cmd = M.config.cmd
  if type(cmd) == 'table' and vim.fn.executable(cmd[1]) ~= 1 then
    vim.notify(
      ('pyasm: `%s` not found; install it with `cargo install --path .` in the pyasm repository, or set cmd in require("pyasm").setup()')
        :format(cmd[1]),
      vim.log.levels.WARN
    )
    return nil
  end
  local config = client_config(bufnr)
  if vim.lsp.start then
    -- In the buffer: Neovim 0.8 attaches vim.lsp.start's client to the
    -- current buffer whatever opts.bufnr says.
    local id
    vim.api.nvim_buf_call(bufnr, function()
      id = vim.lsp.start(config, { bufnr = bufnr })
    end)
    return id
  end
  local id = clients_by_root[config.root_dir]
  if not id or vim.lsp.client_is_stopped(id) then
    id = vim.lsp.start_client(config)
    if not id then
      return nil
    end
    clients_by_root[config.root_dir] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

--- The pyasm client attached to a buffer, if any.
function M.client(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ bufnr = bufnr, name = 'pyasm' })[1]
  end
  for _, client in pairs(vim.lsp.buf_get_clients(bufnr)) do
    if client.name == 'pyasm' then
      return client
    end
  end
  return nil
end

local function request(client, method, params, handler, bufnr)
  if has('nvim-0.11') then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

--- Builds the buffer's .pyc through the server (`pyasm.build`, which uses
--- the text as it is in the buffer, saved or not). `callback(err, result)`
--- is called with the outcome (result.path: the file written); without
--- one, the outcome is reported with vim.notify.
function M.build(bufnr, callback)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local client = M.client(bufnr)
  if not client then
    local msg = 'pyasm: no language server is attached to this buffer'
    if callback then
      callback({ message = msg }, nil)
    else
      vim.notify(msg, vim.log.levels.ERROR)
    end
    return
  end
  local id = client.id
  build_messages_due[id] = (build_messages_due[id] or 0) + 1
  local params = { command = 'pyasm.build', arguments = { vim.uri_from_bufnr(bufnr) } }
  local function report(err, result)
    if callback then
      callback(err, result)
    elseif err then
      vim.notify('pyasm: not built: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    else
      vim.notify('pyasm: built ' .. ((result and result.path) or '?'), vim.log.levels.INFO)
    end
  end
  local sent = request(client, 'workspace/executeCommand', params, report, bufnr)
  if not sent then
    build_messages_due[id] = build_messages_due[id] - 1
    report({ message = 'the language server is not running' }, nil)
  end
end

return M
