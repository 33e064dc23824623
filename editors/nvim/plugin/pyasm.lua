-- :PyasmBuild, for any buffer the pyasm language server is attached to.
if vim.g.loaded_pyasm then
  return
end
vim.g.loaded_pyasm = 1

vim.api.nvim_create_user_command('PyasmBuild', function()
  require('pyasm').build(0)
end, { desc = 'Build the .pyc of this pyasm buffer (beside it, or into outputDir)' })
