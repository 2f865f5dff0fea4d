"""The base of every domain exception: services raise these, interfaces turn them into messages."""


class ApplicationError(Exception):
    def __init__(self, message: str = "", **extra):
        super().__init__(message or self.__class__.__doc__ or self.__class__.__name__)
        self.message = str(self.args[0])
        self.extra = extra
