# Nested closures, a lambda, a comprehension and keyword arguments.
def outer(a):
    def middle(b):
        def inner(c):
            return a + b + c
        return inner
    return middle


add = lambda x, *, y=1: x + y
squares = [v * v for v in range(4) if v]
print(outer(1)(2)(3), add(2, y=3), squares, sep=", ")
