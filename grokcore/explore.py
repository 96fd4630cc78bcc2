"""Interactive figure explorers that also work in the static book, with no kernel.

Every view is rendered in advance to a small PNG; sliders switch between them on the client
(``jslink`` from each slider to a level of nested ``Stack`` widgets), so the explorer keeps
working in the HTML built from a papermill-executed notebook, where no Python runs.

ipywidgets is imported inside the functions: ``import grokcore`` must not need Jupyter.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ipywidgets
    from matplotlib.figure import Figure

__all__ = ["figure_png", "image_explorer"]

MAX_AXES = 3


def figure_png(fig: Figure, dpi: int = 80, colors: int = 256) -> bytes:
    """Render a matplotlib figure to a small palette PNG at a fixed dpi, then close the figure.

    The image is flattened onto white and reduced to ``colors`` colours without dithering,
    about 2.5x smaller than matplotlib's RGBA PNG for line plots, with no visible change.
    Closing matters in a notebook: an open pyplot figure would also be shown below the cell.
    """
    import matplotlib.pyplot as plt
    from PIL import Image

    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=dpi)
    finally:
        plt.close(fig)
    rgba = Image.open(buf).convert("RGBA")
    flat = Image.new("RGBA", rgba.size, "white")
    flat.alpha_composite(rgba)
    small = flat.convert("RGB").quantize(colors, dither=Image.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="png", optimize=True)
    return out.getvalue()


def _to_png(view: Any) -> bytes:
    """Accept PNG bytes or a matplotlib Figure (anything with ``savefig``)."""
    if isinstance(view, (bytes, bytearray)):
        return bytes(view)
    if hasattr(view, "savefig"):
        return figure_png(view)
    raise TypeError(f"render() must return PNG bytes or a matplotlib Figure, got {type(view)!r}")


def _stack(
    axes: list[tuple[str, list]], prefix: dict, render: Callable[..., Any], levels: list[list]
) -> ipywidgets.Widget:
    """Build the nested Stack for the axes after ``prefix``; collect each Stack by its level."""
    import ipywidgets as widgets

    depth = len(prefix)
    if depth == len(axes):
        return widgets.Image(value=_to_png(render(**prefix)), format="png")
    name, values = axes[depth]
    children = [_stack(axes, {**prefix, name: v}, render, levels) for v in values]
    stack = widgets.Stack(children=children, selected_index=0)
    levels[depth].append(stack)
    return stack


def image_explorer(
    render: Callable[..., Any], axes: dict[str, list], *, title: str = ""
) -> ipywidgets.Widget:
    """Return a widget that shows ``render(**point)`` for every point of the grid ``axes``.

    render(**{axis_name: value}) -> PNG bytes, or a matplotlib Figure (saved with `figure_png`).
    axes: ordered mapping axis name -> list of values (1 to 3 axes). The widget has one
    SelectionSlider per axis (description = axis name) above nested Stacks of Images: the outer
    Stack runs over axis 0, each of its children over axis 1, and so on. Each slider's ``index``
    is jslinked to ``selected_index`` of every Stack at its level, so switching views needs no
    kernel. All ``prod(len(values))`` views are rendered now and stored in the notebook, so keep
    the grid and the figures small.

    Example:
        >>> image_explorer(lambda eps, seed: plot(eps, seed), {"eps": [0.01, 0.1], "seed": [0, 1]})
    """
    import ipywidgets as widgets

    items = [(str(name), list(values)) for name, values in axes.items()]
    if not 1 <= len(items) <= MAX_AXES:
        raise ValueError(f"image_explorer takes 1 to {MAX_AXES} axes, got {len(items)}")
    for name, values in items:
        if not values:
            raise ValueError(f"axis {name!r} has no values")

    levels: list[list] = [[] for _ in items]
    root = _stack(items, {}, render, levels)
    sliders = []
    for (name, values), stacks in zip(items, levels):
        slider = widgets.SelectionSlider(
            options=[(_label(v), i) for i, v in enumerate(values)],
            index=0,
            description=name,
            continuous_update=True,
            style={"description_width": "initial"},
            layout=widgets.Layout(width="420px"),
        )
        for stack in stacks:
            widgets.jslink((slider, "index"), (stack, "selected_index"))
        sliders.append(slider)

    header = [widgets.HTML(f"<b>{html.escape(title)}</b>")] if title else []
    return widgets.VBox([*header, *sliders, root])


def _label(value: Any) -> str:
    """A short slider label: floats in ``%g`` form, everything else via ``str``."""
    return f"{value:g}" if isinstance(value, float) else str(value)
