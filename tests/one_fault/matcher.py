def classify(value):
    match value:
        case 0:
            return "zero"
        case [x, y]:
            return f"pair {x} {y}"
        case {"kind": kind}:
            return "kind " + kind
        case str() as s if len(s) > 3:
            return "long string"
        case _:
            return "other"


def safe_div(a, b):
    try:
        return a / b
    except ZeroDivisionError:
        return None


total = 0
for v in [0, [1, 2], {"kind": "k"}, "hello", 3.5]:
    print(classify(v))
    total += 1
print(safe_div(1, 0), safe_div(4, 2), total)
