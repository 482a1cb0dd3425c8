"""What pytest.ini cannot say: the tests import tools/hoplib in-process,
and like the tools themselves they leave no __pycache__ next to it."""
import sys

sys.dont_write_bytecode = True
