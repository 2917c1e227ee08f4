from core.markdown import render


def test_markdown_renders_lists_and_emphasis():
    html = str(render("**Kesimpulan**\n\n- keswa\n- visum"))
    assert "<strong>Kesimpulan</strong>" in html
    assert "<li>keswa</li>" in html


def test_script_tags_are_shown_as_text_never_as_html():
    html = str(render("<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>"))
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html


def test_javascript_links_never_become_links():
    html = str(render("[klik](javascript:alert(1)) and <a href='javascript:alert(2)'>x</a>"))
    assert "<a" not in html
    assert "&lt;a href=" in html
