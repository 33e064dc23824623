class Shape:
    def __init__(self, name, sides):
        self.name = name
        self.sides = sides

    def describe(self):
        return f"{self.name} has {self.sides} sides"


def tally(shapes):
    counts = {}
    for s in shapes:
        try:
            counts[s.sides] = counts.get(s.sides, 0) + 1
        except TypeError as e:
            print("skipped", e)
        finally:
            pass
    return counts


def make_adder(n):
    def add(x):
        return x + n
    return add


def evens(limit):
    i = 0
    while i < limit:
        if i % 2 == 0:
            yield i
        i += 1


shapes = [Shape("triangle", 3), Shape("square", 4), Shape("pentagon", 5)]
for s in shapes:
    print(s.describe())
print(tally(shapes))
print(make_adder(3)(4), list(evens(7)))
with open(__file__) as f:
    print(len(f.readline()) > 0)
