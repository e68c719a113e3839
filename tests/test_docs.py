"""The documentation site, as a reader sees it: the offline preview (scripts/docs_preview.py, the notebooks processed by
nbdev and rendered to HTML) served on 127.0.0.1 and opened page by page in headless Chromium.
Screenshots of the index and of one lesson are left in tests/artifacts/."""
import functools, http.server, re, subprocess, sys, threading
from pathlib import Path
import pytest, yaml

ROOT = Path(__file__).resolve().parents[1]
class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args): pass

@pytest.fixture(scope='module')
def site(tmp_path_factory):
    "The preview, built into a temporary folder and served on a free port of 127.0.0.1: (base URL, folder, pages)."
    out = tmp_path_factory.mktemp('preview')
    subprocess.run([sys.executable, str(ROOT / 'scripts' / 'docs_preview.py'), '--out', str(out)], check=True, cwd=ROOT)
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_Quiet, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    pages = sorted(p.name for p in out.glob('*.html'))
    yield f'http://127.0.0.1:{server.server_port}/', out, pages
    server.shutdown()

def test_every_notebook_is_a_page(site):
    _, out, pages = site
    listed = yaml.safe_load((ROOT / 'nbs' / 'sidebar.yml').read_text())['website']['sidebar']['contents']
    notebooks = sorted(p.name for p in (ROOT / 'nbs').glob('*.ipynb') if not p.name.startswith('_'))
    assert sorted(listed) == notebooks, 'nbs/sidebar.yml must list every notebook'
    assert len(pages) == len(notebooks) and 'index.html' in pages

def test_pages_in_the_browser(site, chromium, artifacts):
    base, out, pages = site
    sync_playwright, chromium_path = chromium
    problems, images, api_entries, param_tables = [], 0, 0, 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=['--no-sandbox'])
        page = browser.new_page(viewport={'width': 1200, 'height': 900})
        for name in pages:
            assert page.goto(base + name).ok, name
            page.wait_for_load_state('load')
            heading = page.inner_text('h1.title')
            if not heading or page.title() != f'{heading} – simple_diffusion': problems.append(f'{name}: title {page.title()!r}')
            broken = page.evaluate("[...document.images].filter(i => !i.complete || i.naturalWidth == 0).map(i => i.src.slice(0, 80))")
            problems += [f'{name}: image does not load: {src}' for src in broken]
            images += page.evaluate('document.images.length')
            text = page.inner_text('main')
            for bad, why in [(r'Traceback \(most recent call last\)', 'a traceback'), (r'\{target=', 'raw show_doc markup'),
                             (r'(?m)^#\|', 'a cell directive'), ('<IPython.core.display', 'an object repr')]:
                if re.search(bad, text): problems.append(f'{name}: {why} in the page')
            outputs = '\n'.join(page.eval_on_selector_all('.jp-OutputArea', 'es => es.map(e => e.innerText)'))
            if 'show_doc(' in outputs: problems.append(f'{name}: a show_doc call printed instead of rendered')
            if page.locator('.output_error').count(): problems.append(f'{name}: an error output')
            if 'OpenMoji' not in page.inner_text('footer') or 'CC BY-SA 4.0' not in page.inner_text('footer'):
                problems.append(f'{name}: no OpenMoji credit in the footer')
            links = page.eval_on_selector_all('nav.sidebar a', 'as => as.map(a => a.getAttribute("href"))')
            if sorted(set(links)) != pages: problems.append(f'{name}: sidebar links {sorted(set(links))}')
            problems += [f'{name}: sidebar link {l} does not resolve' for l in set(links) if not page.request.get(base + l).ok]
            api_entries += page.locator('a:text-is("source")').count()
            param_tables += page.locator('table:has(th:text-is("parameter"))').count()
            if name == 'training.html':                                           # an API entry: signature, docstring, parameter table
                page.locator("h3#train").scroll_into_view_if_needed()
                page.screenshot(path=str(artifacts / 'docs-api-train.png'), full_page=False)
            if name in ('index.html', 'schedules.html'): page.screenshot(path=str(artifacts / f'docs-{name[:-5]}.png'), full_page=False)
        browser.close()
    assert not problems, '\n'.join(problems)
    assert images >= 30, f'only {images} images in the whole site'                    # the plots and sample grids are there
    assert api_entries >= 50, f'only {api_entries} API entries (show_doc) in the site'
    assert param_tables >= 50, f'only {param_tables} parameter tables in the site (the renderer settings.ini names draws them)'
