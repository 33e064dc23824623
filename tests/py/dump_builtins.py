"""Print the running interpreter's builtin names, sorted."""
import builtins

print(" ".join(sorted(dir(builtins))))
