import sys

import matplotlib.pyplot as plt
import pytest

from grokcore import explore

PNG = b"\x89PNG\r\n\x1a\n"


def fig(a, b):
    f, ax = plt.subplots()
    ax.set_title(f"{a} {b}")
    return f


def test_two_axes_nest_stacks_and_link_every_stack(monkeypatch):
    ipywidgets = pytest.importorskip("ipywidgets")
    linked, real = set(), ipywidgets.jslink

    def spy(source, target):
        linked.add((source[0].model_id, source[1], target[0].model_id, target[1]))
        return real(source, target)

    monkeypatch.setattr(ipywidgets, "jslink", spy)
    w = explore.image_explorer(fig, {"a": [1, 2, 3], "b": [0.1, 0.2]}, title="t")
    header, s_a, s_b, root = w.children
    assert isinstance(root, ipywidgets.Stack) and len(root.children) == 3
    assert all(isinstance(c, ipywidgets.Stack) and len(c.children) == 2 for c in root.children)
    images = [img for c in root.children for img in c.children]
    values = [bytes(img.value) for img in images]
    assert all(v.startswith(PNG) for v in values)
    assert len(set(values)) == 6  # a distinct view per grid point
    assert s_a.description == "a" and s_b.description == "b"
    assert (s_a.model_id, "index", root.model_id, "selected_index") in linked
    assert all(
        (s_b.model_id, "index", c.model_id, "selected_index") in linked for c in root.children
    )
    assert len(linked) == 1 + 3
    assert plt.get_fignums() == []  # every rendered figure was closed


def test_bad_axes_and_render_values():
    pytest.importorskip("ipywidgets")
    with pytest.raises(ValueError, match="1 to 3 axes"):
        explore.image_explorer(fig, {})
    with pytest.raises(ValueError, match="no values"):
        explore.image_explorer(fig, {"a": []})
    with pytest.raises(TypeError, match="PNG bytes or a matplotlib Figure"):
        explore.image_explorer(lambda a: "nope", {"a": [1]})


def test_import_needs_no_jupyter():
    import subprocess

    code = "import grokcore, grokcore.explore, sys; print('ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
