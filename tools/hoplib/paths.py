"""Where things are, in the source tree and once installed (make install).

Source tree:  tools/hop-*, tools/hoplib/, build/hop.elf
Installed:    PREFIX/bin/hop-*, PREFIX/lib/hop/hoplib/, /boot/hop.elf

Each tool finds hoplib itself before it can import this module (the same
few lines at its top: tools/hoplib next to the tool, else
../lib/hop/hoplib); this module answers the rest.
"""

import os

INSTALLED_HOP = "/boot/hop.elf"


def in_source_tree(tools_dir):
    """True when the tool in `tools_dir` runs from hop's source tree."""
    return os.path.isdir(os.path.join(tools_dir, "hoplib"))


def default_hop(tools_dir):
    """The loader image a tool uses unless told: build/hop.elf of the
    source tree, or /boot/hop.elf (where make install puts it)."""
    if in_source_tree(tools_dir):
        return os.path.join(os.path.dirname(tools_dir), "build", "hop.elf")
    return INSTALLED_HOP


def missing_hop_hint(tools_dir, path):
    """What to say when the loader image `path` is missing."""
    if os.path.abspath(path) != os.path.abspath(default_hop(tools_dir)):
        return ""
    if in_source_tree(tools_dir):
        return ": run make first"
    return ": install hop (make install in hop's source tree) or give --hop"
