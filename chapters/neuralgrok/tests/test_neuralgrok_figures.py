from chapters.neuralgrok import configs, figures


def test_table_markdown_lists_ours_and_paper(rec):
    cells = {f"x+y/{m}": [rec([0, 0.96])] for m in configs.METHODS}
    table = figures.table1_markdown(cells, ["x+y"])
    assert "1650" in table and "900" in table and table.count("\n") == 2
