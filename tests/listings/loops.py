# for and while loops with break, continue and else.
total = 0
for i in range(10):
    if i % 3 == 0:
        continue
    total += i
else:
    print("done", total)
n = 5
while n:
    n -= 1
    if n == 2:
        break
