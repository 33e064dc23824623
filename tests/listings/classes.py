# A class hierarchy with super(), a property and an f-string.
class Base:
    def __init__(self, name):
        self.name = name


class Child(Base):
    def __init__(self, name, age):
        super().__init__(name)
        self.age = age

    @property
    def label(self):
        return f"{self.name!r} is {self.age:>3}"


print(Child("x", 7).label)
