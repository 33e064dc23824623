# try/except/finally, a with statement and a raise from.
import contextlib


def parse(text):
    try:
        return int(text)
    except ValueError as e:
        raise RuntimeError(text) from e
    finally:
        print("parsed", text)


with contextlib.suppress(RuntimeError):
    parse("x")
