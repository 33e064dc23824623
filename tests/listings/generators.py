# A generator driven by send, a generator expression and an async function.
def echo():
    got = yield "ready"
    while got is not None:
        got = yield got * 2


g = echo()
next(g)
print(g.send(21), sum(x for x in range(3)))


async def agen(items):
    async with items as it:
        async for x in it:
            print(x)
