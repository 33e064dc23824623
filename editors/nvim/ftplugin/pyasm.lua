-- pyasm buffers: `#` comments, and the language server.
if vim.b.did_ftplugin then
  return
end
vim.b.did_ftplugin = 1

vim.bo.commentstring = '# %s'
vim.bo.comments = ':#'
vim.b.undo_ftplugin = 'setlocal commentstring< comments<'

local pyasm = require('pyasm')
local buf = vim.api.nvim_get_current_buf()
if pyasm.config.treesitter and vim.treesitter.start then
  -- Fails quietly when no pyasm parser is installed.
  pcall(vim.treesitter.start, buf, 'pyasm')
end
if pyasm.config.autostart then
  pyasm.attach(buf)
end
