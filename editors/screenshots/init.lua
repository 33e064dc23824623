-- The Neovim session take.sh photographs: editors/nvim as a user would load
-- it, the server from PYASM_BIN, tree-sitter highlighting from the parser
-- PYASM_TS_PARSER (the grammar compiled for this Neovim), and a few
-- cosmetic settings. <F2> opens the diagnostic at the cursor, K hovers.

local env = vim.env
vim.opt.runtimepath:prepend(env.PYASM_PLUGIN)
require('pyasm').setup({ cmd = { env.PYASM_BIN, 'lsp' } })

vim.opt.termguicolors = true
vim.opt.background = 'dark'
vim.cmd('colorscheme desert')
vim.opt.number = true
vim.opt.signcolumn = 'yes'
vim.opt.cursorline = true
vim.opt.swapfile = false
vim.opt.shortmess:append('I')
vim.opt.laststatus = 2
vim.opt.showmode = false

-- desert leaves these to the defaults, which are hard to read on it.
vim.cmd([[
  highlight Normal guibg=#262626
  highlight CursorLine guibg=#303030 cterm=NONE
  highlight CursorLineNr guifg=#ffd787 guibg=#303030
  highlight LineNr guifg=#6c6c6c
  highlight SignColumn guibg=#262626
  highlight NormalFloat guibg=#1c1c1c guifg=#dadada
  highlight FloatBorder guibg=#1c1c1c guifg=#8a8a8a
  highlight DiagnosticError guifg=#ff6b6b
  highlight DiagnosticWarn guifg=#ffc25c
  highlight DiagnosticVirtualTextError guifg=#ff6b6b guibg=#3a2626
  highlight DiagnosticVirtualTextWarn guifg=#ffc25c guibg=#3a3326
  highlight DiagnosticUnderlineError gui=underline guisp=#ff6b6b
  highlight DiagnosticUnderlineWarn gui=underline guisp=#ffc25c
  highlight StatusLine guibg=#444444 guifg=#e4e4e4 gui=NONE
  highlight EndOfBuffer guibg=#262626 guifg=#4e4e4e gui=NONE
  highlight NonText guibg=#262626 guifg=#4e4e4e gui=NONE
]])

vim.diagnostic.config({
  virtual_text = { prefix = '●', spacing = 2 },
  float = { border = 'rounded', source = 'always' },
  severity_sort = true,
})
-- Hover in a bordered float, its paragraphs wrapped between words (0.7
-- would cut words at the float's edge).
local hover = vim.lsp.with(vim.lsp.handlers.hover, { border = 'rounded' })
local function wrap(text, width)
  local out = {}
  for line in (text .. '\n'):gmatch('(.-)\n') do
    local cur = ''
    for word in line:gmatch('%S+') do
      if cur ~= '' and #cur + 1 + #word > width then
        table.insert(out, cur)
        cur = word
      else
        cur = cur == '' and word or (cur .. ' ' .. word)
      end
    end
    table.insert(out, cur)
  end
  return table.concat(out, '\n')
end
vim.lsp.handlers['textDocument/hover'] = function(err, result, ctx, config)
  if result and type(result.contents) == 'table' and result.contents.value then
    result.contents.value = wrap(result.contents.value, 64)
  end
  return hover(err, result, ctx, config)
end
for name, text in pairs({ Error = 'E', Warn = 'W', Info = 'I', Hint = 'H' }) do
  vim.fn.sign_define('DiagnosticSign' .. name, { text = text, texthl = 'Diagnostic' .. name })
end

vim.keymap.set('n', 'K', vim.lsp.buf.hover)
vim.keymap.set('n', '<F2>', function()
  vim.diagnostic.open_float()
end)

vim.api.nvim_create_autocmd('FileType', {
  pattern = 'pyasm',
  callback = function(args)
    local ts = vim.treesitter
    if ts.language.add then
      ts.language.add('pyasm', { path = env.PYASM_TS_PARSER })
    else
      ts.require_language('pyasm', env.PYASM_TS_PARSER)
    end
    if ts.start then
      ts.start(args.buf, 'pyasm')
    else
      ts.highlighter.new(ts.get_parser(args.buf, 'pyasm'))
    end
  end,
})
